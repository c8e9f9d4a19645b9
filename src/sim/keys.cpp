#include "sim/keys.hpp"

#include <algorithm>
#include <numeric>

#include "codec/binary.hpp"
#include "crypto/blake3.hpp"
#include "poi/types.hpp"

namespace bizra::sim {
namespace {

Hash32 key_material(std::uint64_t seed, std::size_t i) {
  return crypto::blake3_derive_key("BIZRA sim validator key v1",
                                   codec::Writer().u64(seed).u64(static_cast<std::uint64_t>(i)).data());
}

crypto::Signature mac(const crypto::PublicKey& key, ByteSpan message) {
  crypto::Signature signature;
  crypto::Blake3::keyed(key.bytes).update(message).finalize(signature.bytes.bytes);
  return signature;
}

}  // namespace

KeyRing::KeyRing(SignatureScheme scheme, std::uint64_t seed, std::size_t n) : scheme_(scheme) {
  std::vector<crypto::PublicKey> keys;
  std::vector<crypto::SecretKey> secrets;
  for (std::size_t i = 0; i < n; ++i) {
    const Hash32 material = key_material(seed, i);
    if (scheme == SignatureScheme::kEd25519) {
      secrets.push_back(crypto::SecretKey::from_seed(material.span()).value());
      keys.push_back(secrets.back().public_key());
    } else {
      keys.push_back(crypto::PublicKey{material});
    }
  }
  // Consensus index order: ascending validator id (consensus::ValidatorSet sorts the same way).
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return poi::validator_id_of(keys[a]) < poi::validator_id_of(keys[b]);
  });
  for (const std::size_t i : order) {
    public_keys_.push_back(keys[i]);
    if (scheme == SignatureScheme::kEd25519) secret_keys_.push_back(std::move(secrets[i]));
  }
}

crypto::Signature KeyRing::sign(ValidatorIndex signer, ByteSpan message) const {
  if (scheme_ == SignatureScheme::kEd25519) return secret_keys_[signer].sign(message);
  return mac(public_keys_[signer], message);
}

bool KeyRing::verify(const crypto::PublicKey& key, ByteSpan message, const crypto::Signature& signature) const {
  if (scheme_ == SignatureScheme::kEd25519) return crypto::verify(key, message, signature);
  return mac(key, message) == signature;
}

crypto::Signature MeteredSigner::sign(ByteSpan message) {
  meter_.charge(costs_.sign);
  return keys_.sign(self_, message);
}

bool MeteredSigner::verify(const crypto::PublicKey& key, ByteSpan message, const crypto::Signature& signature) {
  meter_.charge(costs_.verify);
  return keys_.verify(key, message, signature);
}

}  // namespace bizra::sim
