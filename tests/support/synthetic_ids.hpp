#pragma once
// Synthetic 32-byte ids for tests and benchmarks of id-keyed structures: uniformly distributed,
// as BLAKE3 ids are, but cheap and reproducible (SplitMix64 over n and the word index).

#include <cstdint>
#include <cstring>

#include "base/bytes.hpp"

namespace bizra::testing {

inline Hash32 synthetic_id(std::uint64_t n) {
  Hash32 id;
  for (std::size_t w = 0; w < 4; ++w) {
    std::uint64_t x = n * 4 + w + 0x9e3779b97f4a7c15;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
    x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
    x ^= x >> 31;
    std::memcpy(id.data() + 8 * w, &x, 8);
  }
  return id;
}

}  // namespace bizra::testing
