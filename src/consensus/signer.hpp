#pragma once
// How the consensus core signs and verifies (docs/consensus.md §2).
//
// An interface rather than direct Ed25519 calls so that the simulator can substitute a cheap
// deterministic scheme for 1 000-validator scale runs and charge calibrated virtual CPU time per
// call instead of spending real time.

#include <optional>

#include "base/bytes.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::consensus {

class Signer {
 public:
  virtual ~Signer() = default;
  virtual crypto::Signature sign(ByteSpan message) = 0;
  virtual bool verify(const crypto::PublicKey& key, ByteSpan message, const crypto::Signature& sig) = 0;
};

// Production: Ed25519 (crypto/ed25519.hpp). Without a key it only verifies: a non-validator
// full node never signs, so a call to sign() there is a programming error (std::logic_error).
class Ed25519Signer final : public Signer {
 public:
  Ed25519Signer() = default;
  explicit Ed25519Signer(crypto::SecretKey key) : key_(std::move(key)) {}

  crypto::Signature sign(ByteSpan message) override;
  bool verify(const crypto::PublicKey& key, ByteSpan message, const crypto::Signature& sig) override;

 private:
  std::optional<crypto::SecretKey> key_;
};

}  // namespace bizra::consensus
