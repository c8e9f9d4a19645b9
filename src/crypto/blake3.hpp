#pragma once
// BLAKE3 (official C implementation, SIMD-dispatched): one-shot, incremental, keyed and
// derive-key modes. All outputs here are the default 32 bytes unless a length is given.

#include <blake3.h>

#include <string_view>

#include "base/bytes.hpp"

namespace bizra::crypto {

using Blake3Key = FixedBytes<32>;

class Blake3 {
 public:
  Blake3();  // plain hashing
  static Blake3 keyed(const Blake3Key& key);
  // Derive-key mode: `context` is a hard-coded, globally unique, application-specific string.
  static Blake3 derive_key(std::string_view context);

  Blake3& update(ByteSpan data);
  Blake3& update(std::string_view data) { return update(as_bytes(data)); }

  // Finalizing does not consume the state: update() may continue afterwards.
  Hash32 finalize() const;
  void finalize(MutableByteSpan out) const;  // extendable output of any length

  // Name of the SIMD implementation the dispatcher selects on this CPU (for reports).
  static const char* simd_backend();

 private:
  blake3_hasher state_;  // a plain C struct: copying it forks the hash state
};

Hash32 blake3(ByteSpan data);
inline Hash32 blake3(std::string_view data) { return blake3(as_bytes(data)); }
Hash32 blake3_keyed(const Blake3Key& key, ByteSpan data);
// Derives a 32-byte key from key material for the given context string (BLAKE3 derive_key).
Hash32 blake3_derive_key(std::string_view context, ByteSpan key_material);

}  // namespace bizra::crypto
