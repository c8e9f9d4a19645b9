#include "crypto/blake3.hpp"

namespace bizra::crypto {

Blake3::Blake3() { blake3_hasher_init(&state_); }

Blake3 Blake3::keyed(const Blake3Key& key) {
  Blake3 h;
  blake3_hasher_init_keyed(&h.state_, key.data());
  return h;
}

Blake3 Blake3::derive_key(std::string_view context) {
  Blake3 h;
  blake3_hasher_init_derive_key_raw(&h.state_, context.data(), context.size());
  return h;
}

Blake3& Blake3::update(ByteSpan data) {
  blake3_hasher_update(&state_, data.data(), data.size());
  return *this;
}

Hash32 Blake3::finalize() const {
  Hash32 out;
  blake3_hasher_finalize(&state_, out.data(), out.size());
  return out;
}

void Blake3::finalize(MutableByteSpan out) const { blake3_hasher_finalize(&state_, out.data(), out.size()); }

const char* Blake3::simd_backend() {
  // blake3_dispatch.c does not export its choice; mirror its order with the same CPU checks.
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return "avx512";
  if (__builtin_cpu_supports("avx2")) return "avx2";
  if (__builtin_cpu_supports("sse4.1")) return "sse41";
  if (__builtin_cpu_supports("sse2")) return "sse2";
  return "portable";
#elif defined(__aarch64__)
  return "neon";
#else
  return "portable";
#endif
}

Hash32 blake3(ByteSpan data) { return Blake3().update(data).finalize(); }

Hash32 blake3_keyed(const Blake3Key& key, ByteSpan data) { return Blake3::keyed(key).update(data).finalize(); }

Hash32 blake3_derive_key(std::string_view context, ByteSpan key_material) {
  return Blake3::derive_key(context).update(key_material).finalize();
}

}  // namespace bizra::crypto
