#pragma once
// A hash for 32-byte ids (BLAKE3 outputs) in unordered containers that peers can fill (seen-id
// caches, the mempool index). The ids are already uniform, so their first 8 bytes would do as a
// hash — but a peer choosing transaction bytes can grind ids whose low bits collide and pile
// them into one bucket. Mixing with a per-process secret (SplitMix64's finalizer over the bytes
// XOR a random key) makes the bucket of an id unpredictable, so such a flood cannot be aimed.
// Never use it for anything hashed into consensus state: it differs between processes.

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/bytes.hpp"

namespace bizra {

std::uint64_t id_hash_key();  // random, fixed for the process lifetime

struct IdHash {
  std::size_t operator()(const Hash32& id) const noexcept {
    std::uint64_t x = 0;
    std::memcpy(&x, id.bytes.data(), sizeof x);
    x ^= kKey;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(x ^ (x >> 31));
  }
  static inline const std::uint64_t kKey = id_hash_key();
};

}  // namespace bizra
