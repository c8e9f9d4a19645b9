#pragma once
// The Proof-of-Impact state transitions (poi.md §4–§6). Each touches the state only through
// poi::State and is a deterministic function of (state, input).
//
// A transaction that fails at execution never halts the chain: the apply_* functions return
// its verdict, ok or an Error whose code the block records, and leave the state as it was
// (except that a validator op with a valid signature consumes its nonce, so it cannot be
// replayed after failing). Storage failures are not verdicts: they surface as
// State::status(), which the executor checks before committing the block.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "crypto/ed25519.hpp"
#include "poi/evidence.hpp"
#include "poi/state.hpp"
#include "poi/types.hpp"
#include "poi/validator_op.hpp"

namespace bizra::poi {

// What execution needs of a finalized, already validated attestation (poi/attestation.hpp
// parses and validates the document).
struct FinalizedAttestation {
  crypto::PublicKey pubkey;
  std::string attester_id;  // "bz" + 40 hex, must match pubkey
  std::uint64_t impact_micro = 0;
  std::string nonce;
  std::string attestation_id;  // hex digest, for messages
};

// Credits the attestation to its account (created with reputation 500 on first use) in the
// current epoch and consumes its nonce. Errors: "bad_attester", "bad_measurement" (impact
// above 1e6), "replay" (nonce already used by this key).
Status apply_attestation(State& state, const FinalizedAttestation& attestation);

// Register: a new key (or one that Exited, or was Slashed and whose quarantine is over) becomes
// Pending, queued by (epoch_join, validator_id). Exit: Active -> Exiting with
// epoch_exit = current + 2, at most churn_limit(active at epoch start) per epoch.
// Errors: "wrong_chain", "bad_signature", "replay", "bad_address", "already_registered",
// "quarantined", "unknown_validator", "bad_status", "churn_limit".
Status apply_validator_op(State& state, std::string_view chain_id, const ValidatorOp& op);

enum class EvidenceOutcome : std::uint8_t {
  kSlashed,         // the signer was slashed for equivocation
  kDuplicate,       // this offence (validator, epoch, round, kind) was already applied: no-op
  kAlreadySlashed,  // valid new evidence, but the signer is already Slashed: recorded, no penalty
};

// Verifies equivocation evidence (verify_evidence) and slashes the signer.
// Errors: those of verify_evidence, "unknown_validator".
Result<EvidenceOutcome> apply_evidence(State& state, std::string_view chain_id, const EquivocationEvidence& evidence);

// Slashes a validator for `reason` (§6): weight and bond cut, account and rep_score penalized,
// status Slashed, quarantined until current epoch + q. For reasons proven by other means than
// equivocation evidence. Errors: "unknown_validator", "already_slashed", "bad_value" (kNone).
Status slash_validator(State& state, const ValidatorId& id, SlashReason reason);

// Moves the state to `new_epoch` (> current; a jump over epochs without blocks is one
// boundary). In order:
//   1. every account's reputation decays once (rep * 95 / 100), in pubkey order;
//   2. Exiting validators whose epoch_exit <= new_epoch become Exited;
//   3. Pending validators whose account reputation is >= 500 become Active, in
//      (epoch_join, validator_id) order, at most churn_limit(voting) and never more than 100
//      voting; activation sets last_seen_slot to the epoch's first slot;
//   4. every voting validator's rep_score and poi_weight are recomputed (§4 formula, I = mean
//      impact of its attestations finalized in epoch new_epoch - 1);
//   5. the epoch counters restart.
// Errors: "bad_epoch" (new_epoch <= current).
Status on_epoch_boundary(State& state, std::uint64_t new_epoch);

// Records that a QC at `slot` contains the validator's vote (last_seen_slot only moves forward).
// Errors: "unknown_validator".
Status note_seen(State& state, const ValidatorId& id, std::uint64_t slot);

LivenessClass liveness(const ValidatorRecord& record, std::uint64_t current_slot);

struct GenesisValidator {
  crypto::PublicKey key;
  std::string network_address;
  std::uint64_t stake_bond = 0;
  std::uint64_t poi_weight = 0;  // the weight for epoch 0
};

// Installs the initial validator set (Active, epoch 0) into an empty state.
// Errors: "bad_genesis" (state not empty, no validators, more than 100, duplicate keys,
// zero weight, bad address).
Status apply_genesis(State& state, std::span<const GenesisValidator> validators);

// The validators that vote in the current epoch (Active and Exiting), in id order.
std::vector<ValidatorRecord> voting_validators(const State& state);

}  // namespace bizra::poi
