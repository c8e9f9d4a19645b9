#include "crypto/ed25519.hpp"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace bizra::crypto {
namespace {

// libsodium must be initialized once before use (it picks implementations and seeds its RNG).
void ensure_sodium() {
  static const bool initialized = [] {
    if (sodium_init() < 0) std::abort();  // no usable randomness: nothing safe can be done
    return true;
  }();
  (void)initialized;
}

}  // namespace

SecretKey SecretKey::generate() {
  ensure_sodium();
  SecretKey key;
  crypto_sign_keypair(key.public_key_.bytes.data(), key.expanded_);
  return key;
}

Result<SecretKey> SecretKey::from_seed(ByteSpan seed) {
  if (seed.size() != kSeedSize)
    return Error("bad_key", "an Ed25519 seed is 32 bytes, got " + std::to_string(seed.size()));
  ensure_sodium();
  SecretKey key;
  crypto_sign_seed_keypair(key.public_key_.bytes.data(), key.expanded_, seed.data());
  return key;
}

SecretKey::SecretKey(SecretKey&& other) noexcept : public_key_(other.public_key_) {
  std::memcpy(expanded_, other.expanded_, sizeof expanded_);
  other.wipe();
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    std::memcpy(expanded_, other.expanded_, sizeof expanded_);
    public_key_ = other.public_key_;
    other.wipe();
  }
  return *this;
}

SecretKey::~SecretKey() { wipe(); }

void SecretKey::wipe() { sodium_memzero(expanded_, sizeof expanded_); }

Signature SecretKey::sign(ByteSpan message) const {
  Signature sig;
  crypto_sign_detached(sig.bytes.data(), nullptr, message.data(), message.size(), expanded_);
  return sig;
}

bool verify(const PublicKey& key, ByteSpan message, const Signature& signature) {
  ensure_sodium();
  return crypto_sign_verify_detached(signature.bytes.data(), message.data(), message.size(),
                                     key.bytes.data()) == 0;
}

void random_bytes(MutableByteSpan out) {
  ensure_sodium();
  randombytes_buf(out.data(), out.size());
}

}  // namespace bizra::crypto
