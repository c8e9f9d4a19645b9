#include "consensus/signer.hpp"

#include <stdexcept>

namespace bizra::consensus {

crypto::Signature Ed25519Signer::sign(ByteSpan message) {
  if (!key_) throw std::logic_error("consensus: a verify-only signer was asked to sign");
  return key_->sign(message);
}

bool Ed25519Signer::verify(const crypto::PublicKey& key, ByteSpan message, const crypto::Signature& sig) {
  return crypto::verify(key, message, sig);
}

}  // namespace bizra::consensus
