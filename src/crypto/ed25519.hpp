#pragma once
// Ed25519 (RFC 8032) signatures on libsodium.
//
// Verification rule: libsodium's crypto_sign_verify_detached (canonical S, rejects small-order
// A and R). The network's target rule is ZIP-215 (../shared/spec/poi.md §2); until our own
// verifier lands every node uses this one, so single verification is consistent network-wide.

#include <compare>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace bizra::crypto {

struct PublicKey {
  static constexpr std::size_t kSize = 32;
  FixedBytes<kSize> bytes;

  ByteSpan span() const { return bytes.span(); }
  auto operator<=>(const PublicKey&) const = default;
};

struct Signature {
  static constexpr std::size_t kSize = 64;
  FixedBytes<kSize> bytes;

  ByteSpan span() const { return bytes.span(); }
  auto operator<=>(const Signature&) const = default;
};

// An Ed25519 signing key. Move-only; its bytes are wiped when it is destroyed or moved from.
class SecretKey {
 public:
  static constexpr std::size_t kSeedSize = 32;

  // A fresh key from the operating system's CSPRNG.
  static SecretKey generate();
  // The key determined by a 32-byte seed (RFC 8032 private key). Errors: "bad_key".
  static Result<SecretKey> from_seed(ByteSpan seed);

  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  const PublicKey& public_key() const { return public_key_; }
  Signature sign(ByteSpan message) const;
  // The 32-byte seed, for writing a key file. A view: valid while this key lives.
  ByteSpan seed() const { return {expanded_, kSeedSize}; }

 private:
  SecretKey() = default;
  void wipe();

  std::uint8_t expanded_[64] = {};  // libsodium layout: seed ‖ public key
  PublicKey public_key_;
};

// True when `signature` is a valid signature of `message` under `key`.
bool verify(const PublicKey& key, ByteSpan message, const Signature& signature);

// Fills `out` with bytes from the operating system's CSPRNG.
void random_bytes(MutableByteSpan out);

}  // namespace bizra::crypto
