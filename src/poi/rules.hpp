#pragma once
// The arithmetic of ../shared/spec/poi.md §4–§6 as pure
// functions. Integer arithmetic only; products are taken on 128 bits so no intermediate value
// can overflow, whatever the inputs.

#include <cstdint>

#include "poi/types.hpp"

namespace bizra::poi {

// The one place the project names GCC's 128-bit integer (ISO C++ has none; __extension__
// keeps -Wpedantic quiet).
__extension__ typedef unsigned __int128 Uint128;

// floor(sqrt(n)); exact for every 128-bit n (the result always fits 64 bits).
std::uint64_t isqrt(Uint128 n);

// --- §4 reputation ----------------------------------------------------------------------------

// Credits one finalized attestation of `impact_micro` (0..1e6) in `epoch` to the account:
// counts and sums always; reputation += impact_micro / 10000 (capped at 100000) only for the
// first 10 attestations of the account in that epoch.
void credit_attestation(Account& account, std::uint64_t impact_micro, std::uint64_t epoch);

// rep * 95 / 100 (floor): one epoch boundary's decay.
std::uint64_t decay_reputation(std::uint64_t reputation);

// Mean impact (micro-units, floor) of the account's attestations finalized in `epoch`; 0 if none.
std::uint64_t mean_impact_in_epoch(const Account& account, std::uint64_t epoch);

// weight = 100 + 10*I/1e6 + 5*rep/100 + 2*isqrt(bond)/100, integer division, left to right.
// Fits 64 bits for any inputs: the terms are at most 1.9e14, 9.3e17 and 8.6e7.
std::uint64_t voting_weight(std::uint64_t mean_impact_micro, std::uint64_t reputation,
                            std::uint64_t stake_bond);

// --- §5 validators ----------------------------------------------------------------------------

// max(2, n_active / 50): activations (and exits) allowed per epoch.
std::uint64_t churn_limit(std::uint64_t n_active);

LivenessClass classify_liveness(std::uint64_t last_seen_slot, std::uint64_t current_slot);

// Slots count 2 s of block time from genesis.
inline std::uint64_t slot_of(std::uint64_t ms_since_genesis) { return ms_since_genesis / kSlotMillis; }
inline std::uint64_t epoch_of_slot(std::uint64_t slot) { return slot / kSlotsPerEpoch; }
inline std::uint64_t first_slot_of_epoch(std::uint64_t epoch) { return epoch * kSlotsPerEpoch; }

// --- §6 slashing ------------------------------------------------------------------------------

struct Rational {
  std::uint64_t numerator;
  std::uint64_t denominator;
};

struct SlashPenalty {
  Rational weight_cut;  // wf
  Rational bond_cut;    // bf
  std::uint64_t reputation_penalty;
  std::uint64_t quarantine_epochs;
};

// The §6 table. kNone has no penalty.
SlashPenalty slash_penalty(SlashReason reason);

// value - floor(value * cut): `value -= value * cut` with an exact rational cut in [0, 1].
std::uint64_t reduce_by(std::uint64_t value, Rational cut);

// max(0, reputation - penalty of `reason`).
std::uint64_t penalize_reputation(std::uint64_t reputation, SlashReason reason);

// Applies `reason`'s penalty to the record (weight, bond, rep_score, status, quarantine
// starting at `current_epoch`). The caller checks that the record is not already Slashed.
void slash_record(ValidatorRecord& record, SlashReason reason, std::uint64_t current_epoch);



}  // namespace bizra::poi
