// The poi.md §4–§6 arithmetic against hand-computed values (the arithmetic is in the comments).

#include "poi/rules.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace bizra::poi {
namespace {

constexpr std::uint64_t kMax64 = std::numeric_limits<std::uint64_t>::max();

Account fresh_account() { return Account{}; }  // reputation 500, nothing attested

// --- isqrt ------------------------------------------------------------------------------------

TEST(Isqrt, SmallValues) {
  EXPECT_EQ(isqrt(0), 0u);
  EXPECT_EQ(isqrt(1), 1u);
  EXPECT_EQ(isqrt(2), 1u);
  EXPECT_EQ(isqrt(3), 1u);
  EXPECT_EQ(isqrt(4), 2u);
  EXPECT_EQ(isqrt(8), 2u);
  EXPECT_EQ(isqrt(9), 3u);
  EXPECT_EQ(isqrt(1'000'000), 1'000u);
  EXPECT_EQ(isqrt(999'999), 999u);
}

TEST(Isqrt, WideBoundaries) {
  const Uint128 one = 1;
  EXPECT_EQ(isqrt((one << 64) - 1), 4'294'967'295u);  // (2^32)^2 = 2^64 is one too many
  EXPECT_EQ(isqrt(one << 64), 4'294'967'296u);        // 2^32 exactly
  EXPECT_EQ(isqrt((one << 127) - 1), 13'043'817'825'332'782'212u);  // floor(2^63.5)
  const Uint128 top_square = static_cast<Uint128>(kMax64) * kMax64;   // (2^64-1)^2
  EXPECT_EQ(isqrt(top_square), kMax64);
  EXPECT_EQ(isqrt(top_square - 1), kMax64 - 1);
  EXPECT_EQ(isqrt(~static_cast<Uint128>(0)), kMax64);  // 2^128 - 1
}

TEST(Isqrt, FloorPropertyAroundSquares) {
  for (std::uint64_t r : {2ull, 3ull, 1000ull, 65'535ull, 4'294'967'295ull, 1ull << 40, (1ull << 63) + 12345}) {
    const Uint128 square = static_cast<Uint128>(r) * r;
    EXPECT_EQ(isqrt(square), r);
    EXPECT_EQ(isqrt(square - 1), r - 1);
    EXPECT_EQ(isqrt(square + 2 * static_cast<Uint128>(r)), r);  // (r+1)^2 - 1
  }
}

// --- reputation -------------------------------------------------------------------------------

TEST(Reputation, AttestationAddsImpactOver10000) {
  Account a = fresh_account();
  credit_attestation(a, 740'000, 0);  // 500 + 740000/10000 = 500 + 74
  EXPECT_EQ(a.reputation, 574u);
  EXPECT_EQ(a.attestations, 1u);
  EXPECT_EQ(a.impact_sum_micro, 740'000u);
  credit_attestation(a, 9'999, 0);  // 9999/10000 = 0: no gain, still counted
  EXPECT_EQ(a.reputation, 574u);
  EXPECT_EQ(a.attestations, 2u);
  EXPECT_EQ(a.impact_sum_micro, 749'999u);
}

TEST(Reputation, CappedAt100000) {
  Account a = fresh_account();
  a.reputation = 99'950;
  credit_attestation(a, 1'000'000, 0);  // 99950 + 100 = 100050 -> cap 100000
  EXPECT_EQ(a.reputation, 100'000u);
  credit_attestation(a, 1'000'000, 0);
  EXPECT_EQ(a.reputation, 100'000u);
}

TEST(Reputation, OnlyTenAttestationsPerEpochEarnReputation) {
  Account a = fresh_account();
  for (int i = 0; i < 10; ++i) credit_attestation(a, 100'000, 7);  // 10 x (+10) = 500 + 100
  EXPECT_EQ(a.reputation, 600u);
  credit_attestation(a, 900'000, 7);  // the 11th in epoch 7: would be +90, earns nothing
  EXPECT_EQ(a.reputation, 600u);
  EXPECT_EQ(a.attestations, 11u);
  EXPECT_EQ(a.epoch_attestations, 11u);
  EXPECT_EQ(a.impact_sum_micro, 1'900'000u);  // 10 x 100000 + 900000: always summed
  credit_attestation(a, 900'000, 8);  // a new epoch: counts again, 600 + 90
  EXPECT_EQ(a.reputation, 690u);
  EXPECT_EQ(a.epoch_attestations, 1u);
  EXPECT_EQ(a.epoch_impact_sum_micro, 900'000u);
}

TEST(Reputation, DecayFloors) {
  EXPECT_EQ(decay_reputation(1'001), 950u);      // 1001 * 95 = 95095, / 100 = 950
  EXPECT_EQ(decay_reputation(574), 545u);        // 54530 / 100 = 545
  EXPECT_EQ(decay_reputation(100'000), 95'000u);
  EXPECT_EQ(decay_reputation(19), 18u);          // 1805 / 100 = 18
  EXPECT_EQ(decay_reputation(1), 0u);            // 95 / 100 = 0
  EXPECT_EQ(decay_reputation(0), 0u);
  EXPECT_EQ(decay_reputation(kMax64), 17'524'406'870'024'074'034u);  // no 64-bit overflow
}

TEST(Reputation, MeanImpactOfOneEpoch) {
  Account a = fresh_account();
  credit_attestation(a, 700'000, 3);
  credit_attestation(a, 800'001, 3);
  EXPECT_EQ(mean_impact_in_epoch(a, 3), 750'000u);  // 1500001 / 2 = 750000 (floor)
  EXPECT_EQ(mean_impact_in_epoch(a, 2), 0u);        // nothing then
  EXPECT_EQ(mean_impact_in_epoch(a, 4), 0u);
  EXPECT_EQ(mean_impact_in_epoch(fresh_account(), 0), 0u);
}

// --- weight -----------------------------------------------------------------------------------

TEST(Weight, SpecExample) {
  // 100 + 10*740000/1e6 + 5*574/100 + 2*isqrt(1e6)/100
  //   = 100 + 7400000/1e6 (7) + 2870/100 (28) + 2*1000/100 (20) = 155
  EXPECT_EQ(voting_weight(740'000, 574, 1'000'000), 155u);
}

TEST(Weight, EachTermFloorsSeparately) {
  EXPECT_EQ(voting_weight(0, 0, 0), 100u);
  EXPECT_EQ(voting_weight(99'999, 0, 0), 100u);   // 999990 / 1e6 = 0
  EXPECT_EQ(voting_weight(100'000, 0, 0), 101u);  // 1000000 / 1e6 = 1
  EXPECT_EQ(voting_weight(0, 19, 0), 100u);       // 95 / 100 = 0
  EXPECT_EQ(voting_weight(0, 20, 0), 101u);       // 100 / 100 = 1
  EXPECT_EQ(voting_weight(0, 0, 2'499), 100u);    // isqrt = 49, 98 / 100 = 0
  EXPECT_EQ(voting_weight(0, 0, 2'500), 101u);    // isqrt = 50, 100 / 100 = 1
  // Terms floor one by one: 0.99 + 0.95 + 0.98 would sum past 2 but each is 0.
  EXPECT_EQ(voting_weight(99'999, 19, 2'499), 100u);
}

TEST(Weight, ExtremesDoNotOverflow) {
  // 100 + 10 + 5*100000/100 (5000) + 2*4294967295/100 (85899345) = 85904455
  EXPECT_EQ(voting_weight(1'000'000, 100'000, kMax64), 85'904'455u);
  // Out-of-range inputs still evaluate on 128 bits: 10*(2^64-1)/1e6 = 184467440737095,
  // 5*(2^64-1)/100 = 922337203685477580, plus 100 and the bond term 0.
  EXPECT_EQ(voting_weight(kMax64, kMax64, 0), 100u + 184'467'440'737'095u + 922'337'203'685'477'580u);
}

// --- validators -------------------------------------------------------------------------------

TEST(Churn, MaxOfTwoAndOneFiftieth) {
  EXPECT_EQ(churn_limit(0), 2u);
  EXPECT_EQ(churn_limit(99), 2u);   // 99 / 50 = 1
  EXPECT_EQ(churn_limit(100), 2u);  // 100 / 50 = 2: at the 100-validator cap the limit is 2
  EXPECT_EQ(churn_limit(149), 2u);
  EXPECT_EQ(churn_limit(150), 3u);
  EXPECT_EQ(churn_limit(5'000), 100u);
}

TEST(Liveness, Boundaries) {
  EXPECT_EQ(classify_liveness(100, 100), LivenessClass::kLive);
  EXPECT_EQ(classify_liveness(100, 164), LivenessClass::kLive);      // 64 slots: not > 64
  EXPECT_EQ(classify_liveness(100, 165), LivenessClass::kMissed);    // 65
  EXPECT_EQ(classify_liveness(100, 1'124), LivenessClass::kMissed);  // 1024: still <= 1024
  EXPECT_EQ(classify_liveness(100, 1'125), LivenessClass::kOffline); // 1025
  EXPECT_EQ(classify_liveness(500, 10), LivenessClass::kLive);       // seen "in the future"
}

TEST(Epochs, SlotsPerEpoch) {
  EXPECT_EQ(slot_of(1'999), 0u);
  EXPECT_EQ(slot_of(2'000), 1u);
  EXPECT_EQ(epoch_of_slot(slot_of(64'000)), 1u);  // 64 s = 32 slots of 2 s
  EXPECT_EQ(epoch_of_slot(0), 0u);
  EXPECT_EQ(epoch_of_slot(31), 0u);
  EXPECT_EQ(epoch_of_slot(32), 1u);
  EXPECT_EQ(first_slot_of_epoch(3), 96u);
}

// --- slashing ---------------------------------------------------------------------------------

TEST(Slashing, TableIsExactRationals) {
  const SlashPenalty eq = slash_penalty(SlashReason::kEquivocation);
  EXPECT_EQ(eq.weight_cut.numerator, 9u);
  EXPECT_EQ(eq.weight_cut.denominator, 10u);
  EXPECT_EQ(eq.bond_cut.numerator, 1u);
  EXPECT_EQ(eq.bond_cut.denominator, 1u);
  EXPECT_EQ(eq.reputation_penalty, 5'000u);
  EXPECT_EQ(eq.quarantine_epochs, 4u);
  const SlashPenalty none = slash_penalty(SlashReason::kNone);
  EXPECT_EQ(none.weight_cut.numerator, 0u);
  EXPECT_EQ(none.reputation_penalty, 0u);
}

TEST(Slashing, ReduceByFloorsTheCut) {
  EXPECT_EQ(reduce_by(155, {9, 10}), 16u);   // 155 - floor(139.5) = 155 - 139
  EXPECT_EQ(reduce_by(155, {1, 1}), 0u);
  EXPECT_EQ(reduce_by(1'001, {1, 2}), 501u); // 1001 - floor(500.5) = 1001 - 500
  EXPECT_EQ(reduce_by(0, {19, 20}), 0u);
  EXPECT_EQ(reduce_by(kMax64, {19, 20}), 922'337'203'685'477'581u);  // 128-bit product
}

struct SlashCase {
  SlashReason reason;
  std::uint64_t weight, bond, rep, quarantine_until;
};

// A record with weight 155, bond 1000, rep_score 5574, slashed in epoch 10.
TEST(Slashing, EachReasonOnOneRecord) {
  const SlashCase cases[] = {
      // 155 - floor(155*9/10 = 139.5);  1000 - 1000;  5574 - 5000;  10 + 4
      {SlashReason::kEquivocation, 16, 0, 574, 14},
      // 155 - floor(108.5) = 47;  1000 - 500;  5574 - 3000;  10 + 2
      {SlashReason::kFraudulentPoI, 47, 500, 2'574, 12},
      // 155 - floor(77.5) = 78;  1000 - 300;  5574 - 2000;  10 + 2
      {SlashReason::kCensorship, 78, 700, 3'574, 12},
      // 155 - floor(155*19/20 = 147.25) = 8;  1000 - 100;  5574 - 500;  10 + 1
      {SlashReason::kKeyTheft, 8, 900, 5'074, 11},
  };
  for (const auto& c : cases) {
    ValidatorRecord record;
    record.status = ValidatorStatus::kActive;
    record.poi_weight = 155;
    record.stake_bond = 1'000;
    record.rep_score = 5'574;
    slash_record(record, c.reason, 10);
    SCOPED_TRACE(std::string(name(c.reason)));
    EXPECT_EQ(record.poi_weight, c.weight);
    EXPECT_EQ(record.stake_bond, c.bond);
    EXPECT_EQ(record.rep_score, c.rep);
    EXPECT_EQ(record.quarantine_until, c.quarantine_until);
    EXPECT_EQ(record.status, ValidatorStatus::kSlashed);
    EXPECT_EQ(record.slash_reason, c.reason);
  }
}

TEST(Slashing, ReputationNeverBelowZero) {
  EXPECT_EQ(penalize_reputation(400, SlashReason::kKeyTheft), 0u);  // max(0, 400 - 500)
  EXPECT_EQ(penalize_reputation(500, SlashReason::kKeyTheft), 0u);
  EXPECT_EQ(penalize_reputation(501, SlashReason::kKeyTheft), 1u);
  EXPECT_EQ(penalize_reputation(4'999, SlashReason::kEquivocation), 0u);
}

}  // namespace
}  // namespace bizra::poi
