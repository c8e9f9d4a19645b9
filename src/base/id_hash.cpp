#include "base/id_hash.hpp"

#include <random>

namespace bizra {

std::uint64_t id_hash_key() {
  std::random_device device;  // the OS's CSPRNG on Linux (getrandom)
  return (std::uint64_t{device()} << 32) ^ device();
}

}  // namespace bizra
