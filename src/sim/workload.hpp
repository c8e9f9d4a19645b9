#pragma once
// What the simulated chain carries and executes: payloads of Proof-of-Impact transactions, made
// deterministically from the seed, and the per-node executor whose state digests the simulator
// compares across nodes at every height.
//
// Payload encoding (sim-only; canonical binary, codec/binary.hpp):
//   payload = u32 count (≤ kMaxTransactions) ‖ transaction...
//   transaction = kind u8 ‖ body
//     1 attestation effect: attester pubkey (32) ‖ impact_micro u64 ‖ nonce u64
//       (the part of a finalized attestation execution needs, poi::FinalizedAttestation)
//     2 validator op: poi::encode(op) with u32 length
//     3 equivocation evidence: poi::encode(evidence) with u32 length
// The mix deliberately contains transactions that fail at execution (reused nonces, impact above
// 1.0, second registrations): a failed transaction is recorded, never halts the chain, and the
// failure is part of the state every node must agree on.

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/error.hpp"
#include "consensus/core.hpp"
#include "crypto/ed25519.hpp"
#include "poi/evidence.hpp"
#include "poi/state.hpp"
#include "poi/transition.hpp"
#include "poi/validator_op.hpp"
#include "sim/rng.hpp"

namespace bizra::sim {

inline constexpr std::size_t kMaxTransactions = 256;

struct AttestationEffect {
  crypto::PublicKey attester;
  std::uint64_t impact_micro = 0;
  std::uint64_t nonce = 0;
  bool operator==(const AttestationEffect&) const = default;
};

using Transaction = std::variant<AttestationEffect, poi::ValidatorOp, poi::EquivocationEvidence>;

Bytes encode_payload(std::span<const Transaction> transactions);
// Strict. Errors: codec::Reader's codes, "bad_value" (unknown kind), those of the embedded
// decoders.
Result<std::vector<Transaction>> decode_payload(ByteSpan payload);

struct WorkloadConfig {
  std::uint32_t max_transactions_per_block = 4;
  std::uint32_t attesters = 16;
  std::uint64_t nonce_space = 256;  // per attester: small enough that some nonces repeat
  std::uint32_t candidates = 4;     // keys that register as validators now and then
  std::uint32_t validator_op_ppm = 50'000;  // chance that a block carries one
};

// The seed's transaction pool, shared by every node: attester keys and validator candidates.
class Workload {
 public:
  Workload(std::string chain_id, std::uint64_t seed, WorkloadConfig config);

  // A few transactions drawn from `rng`.
  std::vector<Transaction> draw(Rng& rng) const;

 private:
  std::string chain_id_;
  WorkloadConfig config_;
  std::vector<crypto::PublicKey> attesters_;
  std::vector<crypto::SecretKey> candidates_;
};

// The PayloadSource of one node: draws from the workload (per height, from the node's seed)
// and adds the equivocation evidence this node has reported, once each.
class SimPayloadSource final : public consensus::PayloadSource {
 public:
  SimPayloadSource(const Workload& workload, std::uint64_t seed) : workload_(workload), seed_(seed) {}

  Bytes next_payload(consensus::Height height, const Hash32& parent, std::size_t max_bytes) override;
  bool payload_valid(ByteSpan payload) override;
  void add_evidence(const poi::EquivocationEvidence& evidence);

 private:
  const Workload& workload_;
  std::uint64_t seed_;
  std::uint64_t calls_ = 0;
  std::deque<poi::EquivocationEvidence> evidence_;
};

// A node's durable PoI state and the digest chain over it: digest_0 after genesis, then
// digest_h = poi::next_state_digest(digest_{h-1}, change set of block h), and a digest of the
// transactions' verdicts.
class Executor {
 public:
  Executor(std::string chain_id, std::span<const poi::GenesisValidator> genesis);

  // Executes the next committed block (height() + 1). Errors: "bad_height", "bad_payload" (a
  // committed payload must have passed payload_valid), the state's status.
  Status execute(const consensus::Block& block);
  consensus::Height height() const { return height_; }
  const Hash32& digest() const { return digest_; }
  // Chains every transaction's verdict (empty, or its error code): failed transactions change no
  // state, but every node must record the same failures.
  const Hash32& receipts_digest() const { return receipts_digest_; }
  std::uint64_t failed_transactions() const { return failed_; }

 private:
  // The transaction's verdict: empty when applied, else the error code.
  std::string_view apply(const Transaction& transaction);

  std::string chain_id_;
  poi::MemoryState state_;
  consensus::Height height_ = 0;
  Hash32 digest_;
  Hash32 receipts_digest_;
  std::uint64_t failed_ = 0;
};

}  // namespace bizra::sim
