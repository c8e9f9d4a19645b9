#include "poi/rules.hpp"

#include <algorithm>
#include <limits>

namespace bizra::poi {
namespace {

// Sums of impact could in principle exceed 64 bits; saturating keeps them deterministic and
// monotone instead of wrapping.
std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return b > std::numeric_limits<std::uint64_t>::max() - a ? std::numeric_limits<std::uint64_t>::max()
                                                           : a + b;
}

Uint128 wide(std::uint64_t v) { return static_cast<Uint128>(v); }

}  // namespace

// Digit-by-digit (base 4) square root: no division, no floating point, exact on all inputs.
std::uint64_t isqrt(Uint128 n) {
  Uint128 root = 0;
  Uint128 bit = static_cast<Uint128>(1) << 126;  // the highest power of four in 128 bits
  while (bit > n) bit >>= 2;
  while (bit != 0) {
    if (n >= root + bit) {
      n -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return static_cast<std::uint64_t>(root);
}

void credit_attestation(Account& account, std::uint64_t impact_micro, std::uint64_t epoch) {
  if (account.last_epoch != epoch) {
    account.last_epoch = epoch;
    account.epoch_attestations = 0;
    account.epoch_impact_sum_micro = 0;
  }
  if (account.epoch_attestations < kMaxRewardedAttestationsPerEpoch) {
    account.reputation =
        std::min(kMaxReputation, saturating_add(account.reputation, impact_micro / kImpactMicroPerReputation));
  }
  ++account.epoch_attestations;
  account.epoch_impact_sum_micro = saturating_add(account.epoch_impact_sum_micro, impact_micro);
  ++account.attestations;
  account.impact_sum_micro = saturating_add(account.impact_sum_micro, impact_micro);
}

std::uint64_t decay_reputation(std::uint64_t reputation) {
  return static_cast<std::uint64_t>(wide(reputation) * kDecayNumerator / kDecayDenominator);
}

std::uint64_t mean_impact_in_epoch(const Account& account, std::uint64_t epoch) {
  if (account.last_epoch != epoch || account.epoch_attestations == 0) return 0;
  return account.epoch_impact_sum_micro / account.epoch_attestations;
}

std::uint64_t voting_weight(std::uint64_t mean_impact_micro, std::uint64_t reputation,
                            std::uint64_t stake_bond) {
  Uint128 weight = 100;
  weight += 10 * wide(mean_impact_micro) / kMicro;
  weight += 5 * wide(reputation) / 100;
  weight += 2 * wide(isqrt(stake_bond)) / 100;
  return static_cast<std::uint64_t>(weight);
}

std::uint64_t churn_limit(std::uint64_t n_active) { return std::max(kMinChurn, n_active / kChurnDivisor); }

LivenessClass classify_liveness(std::uint64_t last_seen_slot, std::uint64_t current_slot) {
  const std::uint64_t since = current_slot > last_seen_slot ? current_slot - last_seen_slot : 0;
  if (since > kOfflineAfterSlots) return LivenessClass::kOffline;
  if (since > kMissedAfterSlots) return LivenessClass::kMissed;
  return LivenessClass::kLive;
}

SlashPenalty slash_penalty(SlashReason reason) {
  switch (reason) {
    case SlashReason::kEquivocation: return {{9, 10}, {1, 1}, 5'000, 4};
    case SlashReason::kFraudulentPoI: return {{7, 10}, {1, 2}, 3'000, 2};
    case SlashReason::kCensorship: return {{1, 2}, {3, 10}, 2'000, 2};
    case SlashReason::kKeyTheft: return {{19, 20}, {1, 10}, 500, 1};
    case SlashReason::kNone: break;
  }
  return {{0, 1}, {0, 1}, 0, 0};
}

std::uint64_t reduce_by(std::uint64_t value, Rational cut) {
  return value - static_cast<std::uint64_t>(wide(value) * cut.numerator / cut.denominator);
}

std::uint64_t penalize_reputation(std::uint64_t reputation, SlashReason reason) {
  const std::uint64_t penalty = slash_penalty(reason).reputation_penalty;
  return reputation > penalty ? reputation - penalty : 0;
}

void slash_record(ValidatorRecord& record, SlashReason reason, std::uint64_t current_epoch) {
  const SlashPenalty penalty = slash_penalty(reason);
  record.poi_weight = reduce_by(record.poi_weight, penalty.weight_cut);
  record.stake_bond = reduce_by(record.stake_bond, penalty.bond_cut);
  record.rep_score = penalize_reputation(record.rep_score, reason);
  record.status = ValidatorStatus::kSlashed;
  record.slash_reason = reason;
  record.quarantine_until = saturating_add(current_epoch, penalty.quarantine_epochs);
}

}  // namespace bizra::poi
