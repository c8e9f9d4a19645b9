#pragma once
// Stateless admission of a transaction: what the mempool runs before accepting one from the API
// or gossip, and what a validator may run over a proposal's transactions. Everything that needs
// no chain state beyond what the caller's poi::ValidationContext answers (the clock, finalized
// blocks, nonces already accepted) is checked here; execution (chain/execute.hpp) re-checks
// what depends on the state at the including block.
//
// Per kind (first failure decides the code):
//   any           "too_large": the transaction cannot fit in a block under the genesis limits
//                 decode errors (chain/transaction.hpp)
//   attestation   rule 1 "malformed"; "non_canonical" (the document is not exactly its RFC 8785
//                 canonical form, signature included, as poi::sign writes it: one attestation,
//                 one encoding, one transaction id); rules 2–10 of poi/validate.hpp
//   validator op  "wrong_chain", "bad_signature", "bad_address" (register without an address)
//   evidence      poi::verify_evidence: "wrong_chain", "not_equivocation", "bad_signature"
//   bench opaque  "bench_disabled" unless ChainParams::bench_transactions

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "chain/transaction.hpp"
#include "crypto/ed25519.hpp"
#include "poi/validate.hpp"

namespace bizra::chain {

// Proposal order: validator ops and evidence (they change who votes) before attestations before
// benchmark filler.
inline constexpr std::uint8_t kPriorityBench = 0;
inline constexpr std::uint8_t kPriorityAttestation = 1;
inline constexpr std::uint8_t kPriorityConsensus = 2;

// (attester pubkey, nonce as written): an attestation can be accepted once per key.
using ReplayKey = std::pair<crypto::PublicKey, std::string>;

struct CheckedTx {
  Hash32 id;  // transaction_id(encoded)
  TxKind kind = TxKind::kAttestation;
  Bytes encoded;
  std::optional<std::string> attestation_id;  // hex digest, attestations only
  std::optional<ReplayKey> replay_key;        // attestations only
  std::uint8_t priority = kPriorityBench;
};

// Ids of attestation transactions whose signature (rule 10) verified at admission, so that
// execution need not verify it again. Sound because a transaction id commits to every byte of
// the document, signature included: the same id is the same signed bytes. Correctness never
// depends on it (a miss verifies again). Bounded: the oldest entries are forgotten first.
// Thread-safe (admission on API threads, execution on the consensus thread).
class VerifiedCache {
 public:
  explicit VerifiedCache(std::size_t capacity) : capacity_(capacity) {}

  void insert(const Hash32& id);
  bool contains(const Hash32& id) const;
  std::size_t size() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::set<Hash32> ids_;
  std::deque<Hash32> order_;  // insertion order, for eviction
};

// Checks `encoded` as described above. chain_id and genesis_root come from `params`; `context`
// supplies rule 3's finalized blocks, rule 6's accepted nonces and rule 7's clock (`now`).
// When `verified` is given, an attestation whose signature verified is recorded there.
Result<CheckedTx> check_transaction(ByteSpan encoded, const ChainParams& params, const poi::ValidationContext& context,
                                    VerifiedCache* verified = nullptr);

}  // namespace bizra::chain
