// SafetyRules (docs/consensus.md §3): each vote and timeout rule, and the test-only mutations.

#include "consensus/safety.hpp"

#include <gtest/gtest.h>

#include "fixture.hpp"

namespace bizra::consensus {
namespace {

using testing::Committee;

class SafetyRules : public ::testing::Test {
 protected:
  Committee c{{1, 1, 1, 1}};

  // A state with the given last voted round, preferred round and a high QC of `high` round.
  SafetyState state(Round last_voted, Round preferred, Round high) const {
    SafetyState s;
    s.epoch = testing::kEpoch;
    s.last_voted_round = last_voted;
    s.preferred_round = preferred;
    s.high_qc = high == 0 ? genesis_qc(testing::kEpoch, c.genesis().id) : c.qc(high, crypto::blake3("b"), {0, 1, 2});
    return s;
  }
  // A TC of `round` whose highest high_qc_round is `max_high`.
  TimeoutCert tc(Round round, Round max_high) const { return c.tc(round, {{0, max_high}, {1, 0}, {2, 0}}); }

  static std::string code(const Status& s) { return s.ok() ? "ok" : std::string(s.error().code()); }
  static std::string code(const Result<TimeoutDecision>& r) { return r.ok() ? "ok" : std::string(r.error().code()); }
};

TEST_F(SafetyRules, HappyPathVote) {
  EXPECT_EQ(code(safe_to_vote(state(0, 0, 0), 1, 0, nullptr)), "ok");
  EXPECT_EQ(code(safe_to_vote(state(4, 3, 4), 5, 4, nullptr)), "ok");
  const SafetyState after = record_vote(state(4, 3, 4), 5, 4);
  EXPECT_EQ(after.last_voted_round, 5u);
  EXPECT_EQ(after.preferred_round, 4u);
}

TEST_F(SafetyRules, NeverVotesTwiceInARound) {
  const SafetyState voted = record_vote(state(4, 3, 4), 5, 4);
  EXPECT_EQ(code(safe_to_vote(voted, 5, 4, nullptr)), "already_voted");
  EXPECT_EQ(code(safe_to_vote(voted, 4, 3, nullptr)), "already_voted");
  // The mutation is what lets a validator vote twice; the simulator must catch it.
  EXPECT_EQ(code(safe_to_vote(voted, 5, 4, nullptr, SafetyMutation::kIgnoreLastVotedRound)), "ok");
  EXPECT_EQ(code(safe_to_vote(voted, 5, 4, nullptr, SafetyMutation::kIgnoreTcHighQc)), "already_voted");
}

TEST_F(SafetyRules, BlockRoundMustBeAboveItsQc) {
  EXPECT_EQ(code(safe_to_vote(state(0, 0, 0), 3, 3, nullptr)), "round_not_above_qc");
  EXPECT_EQ(code(safe_to_vote(state(0, 0, 0), 3, 7, nullptr)), "round_not_above_qc");
}

TEST_F(SafetyRules, GapNeedsATcOfThePreviousRound) {
  EXPECT_EQ(code(safe_to_vote(state(0, 0, 0), 3, 1, nullptr)), "not_consecutive");
  const TimeoutCert tc1 = tc(1, 1);  // for round 1, not round 2
  EXPECT_EQ(code(safe_to_vote(state(0, 0, 0), 3, 1, &tc1)), "not_consecutive");
  const TimeoutCert tc2 = tc(2, 1);
  EXPECT_EQ(code(safe_to_vote(state(0, 0, 0), 3, 1, &tc2)), "ok");
}

TEST_F(SafetyRules, TcPathNeedsQcAtLeastTheTcsHighestQc) {
  const TimeoutCert tc5 = tc(5, 3);
  EXPECT_EQ(code(safe_to_vote(state(4, 3, 3), 6, 3, &tc5)), "ok");  // q == max: accepted
  EXPECT_EQ(code(safe_to_vote(state(4, 3, 4), 6, 4, &tc5)), "ok");  // q > max: accepted
  EXPECT_EQ(code(safe_to_vote(state(4, 2, 2), 6, 2, &tc5)), "qc_below_tc_high_qc");
  EXPECT_EQ(code(safe_to_vote(state(4, 2, 2), 6, 2, &tc5, SafetyMutation::kIgnoreTcHighQc)), "ok");
  EXPECT_EQ(code(safe_to_vote(state(4, 2, 2), 6, 2, &tc5, SafetyMutation::kIgnoreLastVotedRound)),
            "qc_below_tc_high_qc");
}

TEST_F(SafetyRules, TimeoutAfterEnteringByQc) {
  Result<TimeoutDecision> d = decide_timeout(state(3, 2, 3), 4, nullptr);
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(d->state.last_voted_round, 4u);
  EXPECT_EQ(d->state.preferred_round, 3u);
  EXPECT_EQ(d->state.timeout_round, 4u);
  EXPECT_EQ(d->high_qc.round, 3u);
  EXPECT_EQ(d->state.timeout_high_qc, d->high_qc);
  // Having timed out round 4, it never votes in it.
  EXPECT_EQ(code(safe_to_vote(d->state, 4, 3, nullptr)), "already_voted");
}

TEST_F(SafetyRules, TimeoutOfTheRoundVotedInIsAllowed) {
  EXPECT_TRUE(decide_timeout(state(4, 3, 3), 4, nullptr).ok());    // r > max(lvr - 1, q)
  EXPECT_EQ(code(decide_timeout(state(5, 3, 3), 4, nullptr)), "already_voted");
  EXPECT_EQ(code(decide_timeout(state(0, 0, 4), 4, nullptr)), "already_voted");  // r <= q
}

TEST_F(SafetyRules, TimeoutAfterEnteringByTc) {
  EXPECT_EQ(code(decide_timeout(state(0, 0, 1), 4, nullptr)), "not_consecutive");
  const TimeoutCert tc3 = tc(3, 1);
  EXPECT_TRUE(decide_timeout(state(3, 1, 1), 4, &tc3).ok());
  const TimeoutCert tc2 = tc(2, 1);
  EXPECT_EQ(code(decide_timeout(state(0, 0, 1), 4, &tc2)), "not_consecutive");
}

TEST_F(SafetyRules, TimeoutNeedsHighQcAtLeastPreferred) {
  EXPECT_EQ(code(decide_timeout(state(3, 3, 2), 3, nullptr)), "stale_high_qc");
}

// A repeated timeout of the same round re-sends the statement already signed, even if the high
// QC moved meanwhile: a different high_qc_round would be slashable.
TEST_F(SafetyRules, RepeatedTimeoutKeepsItsStatement) {
  const TimeoutCert tc3 = tc(3, 1);
  const SafetyState first = decide_timeout(state(3, 1, 1), 4, &tc3).value().state;
  SafetyState moved = first;
  observe_qc(moved, c.qc(3, crypto::blake3("late"), {0, 1, 2}));
  ASSERT_EQ(moved.high_qc.round, 3u);
  Result<TimeoutDecision> again = decide_timeout(moved, 4, nullptr);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->high_qc.round, 1u);
  EXPECT_EQ(again->state, moved);  // nothing new to persist
}

TEST_F(SafetyRules, ObserveKeepsTheHighestCertificates) {
  SafetyState s = state(0, 0, 2);
  EXPECT_FALSE(observe_qc(s, c.qc(1, crypto::blake3("x"), {0, 1, 2})));
  EXPECT_EQ(s.high_qc.round, 2u);
  EXPECT_TRUE(observe_qc(s, c.qc(5, crypto::blake3("y"), {0, 1, 2})));
  EXPECT_EQ(s.high_qc.round, 5u);
  EXPECT_TRUE(observe_tc(s, tc(4, 1)));
  EXPECT_FALSE(observe_tc(s, tc(3, 1)));
  EXPECT_EQ(s.high_tc->round, 4u);
}

}  // namespace
}  // namespace bizra::consensus
