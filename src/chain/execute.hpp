#pragma once
// Execution of a committed block's payload: state' = apply(state, block) (consensus.md §5),
// through the PoI transitions (poi/transition.hpp).
//
// In order:
//   1. the payload is split (decode_payload); a payload that breaks the genesis limits is an
//      error: validators never vote for one, so a committed block cannot carry it;
//   2. when the block's height starts a new epoch (epoch = height / poi::kSlotsPerEpoch, one
//      slot per height) the state crosses the boundary first (poi::on_epoch_boundary);
//   3. each transaction, in payload order, gets a receipt. A transaction that fails — does not
//      decode, repeats an earlier transaction of the same block ("duplicate"), or is rejected by
//      its check or transition — records its error code and changes no state (spec §4: it never
//      halts the chain):
//        attestation   the checks of admission (chain/check.hpp) against the state: rule 3 with
//                      options.is_finalized_block, rule 6 replay against the state's nonce record,
//                      rule 7 with t = the block's timestamp; then poi::apply_attestation,
//                      crediting the impact score clamped to [0, 1e6] (rule 8 lets the claimed
//                      score differ from the computed one, which lies in that range, by one unit)
//        validator op  poi::apply_validator_op (chain id, signature, nonce, register / exit)
//        evidence      poi::apply_evidence (verified; duplicates and already-slashed signers are
//                      successful no-ops, as the spec's "duplicate evidence is a no-op")
//        bench opaque  no effect; fails "bench_disabled" unless enabled at genesis
//   4. the state's sticky status is checked: a storage failure fails the block (nothing may be
//      committed from bad reads), which is an error, not a receipt.
// The changes stay pending in `state`; the caller commits them (with the block, atomically).
// Liveness bookkeeping (poi::note_seen for the voters of a QC) is the caller's, not the payload's.
//
// Deterministic: integer arithmetic, canonical encodings, no clock reads (the block time is an
// argument), receipts in payload order. Attestation signatures verified at admission are
// skipped when `options.verified` lists the transaction id (see VerifiedCache); a miss verifies.

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "chain/check.hpp"
#include "chain/transaction.hpp"
#include "poi/state.hpp"

namespace bizra::chain {

struct Receipt {
  Hash32 tx_id;
  std::optional<std::string> attestation_id;  // when the transaction is an attestation that parses
  bool ok = false;
  std::string error_code;  // empty when ok
  bool operator==(const Receipt&) const = default;
};

// Receipt encoding (canonical): tx_id (32) ‖ ok u8 ‖ error_code (u32 length, ≤ 64)
//   ‖ has_attestation u8 ‖ [attestation_id (u32 length, ≤ 64)].
inline constexpr std::size_t kMaxErrorCodeBytes = 64;
inline constexpr std::size_t kMaxAttestationIdBytes = 64;
Bytes encode_receipt(const Receipt& receipt);
// Strict. Errors: those of codec::Reader, "bad_value" (a flag other than 0/1, or an ok receipt
// with an error code).
Result<Receipt> decode_receipt(ByteSpan bytes);

// BLAKE3-256("BIZRA/receipts/v1" ‖ 0x00 ‖ u32 count ‖ encode_receipt(r)...), in order.
inline constexpr std::string_view kReceiptsDomain = "BIZRA/receipts/v1";
Hash32 receipts_digest(std::span<const Receipt> receipts);

struct BlockResult {
  std::vector<Receipt> receipts;  // one per transaction, payload order
  Hash32 receipts_digest;
  // Per receipt: the attester id (attester.id as written) of an attestation that parses, else
  // empty. Not part of the receipt or its digest: it is for event subscribers (WebSocket filters).
  std::vector<std::string> attesters;
};

struct ExecutionOptions {
  // Rule 3: whether a block is finalized, as of the block being executed (so every node
  // answers alike: blocks committed at lower heights). Empty: none is.
  std::function<bool(const Hash32& block)> is_finalized_block;
  // Attestation transaction ids whose signatures verified at admission. May be null.
  const VerifiedCache* verified = nullptr;
};

inline std::uint64_t epoch_of_height(std::uint64_t height) { return height / poi::kSlotsPerEpoch; }

// Errors: those of decode_payload (a payload that should never have been committed), and the
// state's status (storage failure).
Result<BlockResult> execute_block(poi::State& state, const ChainParams& params, std::uint64_t height,
                                  std::int64_t block_time_unix, ByteSpan payload, const ExecutionOptions& options = {});

}  // namespace bizra::chain
