#pragma once
// Validator keys and signing for the simulator, with virtual CPU time charged per operation.
//
// The simulator owns every validator's key (it must: a Byzantine validator signs conflicting
// messages with its own key, and the scenario derives all keys from the seed). Two schemes:
//  - kEd25519: the production scheme, real Ed25519 (crypto/ed25519.hpp). For small n.
//  - kInsecureMac: BLAKE3 keyed by the *public* key, 64 bytes of output. Anyone can forge it;
//    it is deterministic, fast, and sim-only, for 1 000-validator runs where real Ed25519 would
//    take hours of real time. The sim's Byzantine validators sign only with their own keys, so
//    the protocol behaves as with an unforgeable scheme.
// Either way the node's CPU is charged the calibrated Ed25519 costs (CpuCosts), so virtual
// latencies do not depend on which scheme computed the bytes.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "consensus/core.hpp"
#include "crypto/ed25519.hpp"
#include "sim/event_queue.hpp"

namespace bizra::sim {

using consensus::ValidatorIndex;

enum class SignatureScheme : std::uint8_t { kEd25519, kInsecureMac };

// Virtual CPU time per operation. Sign and verify default to Ed25519 on the development machine
// (bench/crypto_bench: sign ≈ 17 µs, verify ≈ 50 µs); the rest is a small cost for decoding,
// bookkeeping and execution so that a flood of cheap messages still occupies the CPU.
struct CpuCosts {
  Time sign = 17 * kMicros;
  Time verify = 50 * kMicros;
  Time per_message = 2 * kMicros;
  Time per_kib = 1 * kMicros;  // decoding and hashing, per KiB of message
  Time per_block_executed = 20 * kMicros;
};

// Work done by one node in the current step, in virtual time.
class CpuMeter {
 public:
  void charge(Time work) { pending_ += work; }
  Time take() { return std::exchange(pending_, 0); }

 private:
  Time pending_ = 0;
};

class KeyRing {
 public:
  // n keys derived from the seed, in consensus index order (ascending validator id, as
  // consensus::ValidatorSet orders them), so that validator i of the set holds key i.
  KeyRing(SignatureScheme scheme, std::uint64_t seed, std::size_t n);

  SignatureScheme scheme() const { return scheme_; }
  std::size_t size() const { return public_keys_.size(); }
  const crypto::PublicKey& public_key(ValidatorIndex i) const { return public_keys_[i]; }
  crypto::Signature sign(ValidatorIndex signer, ByteSpan message) const;
  bool verify(const crypto::PublicKey& key, ByteSpan message, const crypto::Signature& signature) const;

 private:
  SignatureScheme scheme_;
  std::vector<crypto::PublicKey> public_keys_;
  std::vector<crypto::SecretKey> secret_keys_;  // kEd25519 only
};

// The consensus::Signer of one node: signs with that node's key and charges its CPU meter.
class MeteredSigner final : public consensus::Signer {
 public:
  MeteredSigner(const KeyRing& keys, ValidatorIndex self, CpuMeter& meter, const CpuCosts& costs)
      : keys_(keys), self_(self), meter_(meter), costs_(costs) {}

  crypto::Signature sign(ByteSpan message) override;
  bool verify(const crypto::PublicKey& key, ByteSpan message, const crypto::Signature& signature) override;

 private:
  const KeyRing& keys_;
  ValidatorIndex self_;
  CpuMeter& meter_;
  CpuCosts costs_;
};

}  // namespace bizra::sim
