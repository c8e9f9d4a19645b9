// The simulator can fail: with a deliberately broken safety rule in every core
// (consensus::SafetyMutation), equivocating Byzantine validators must make a run break an
// invariant within the seed budget — and the same scenario without the mutation must not.
#include <gtest/gtest.h>

#include "sim/simulator.hpp"

namespace bizra::sim {
namespace {

// Scenarios tried per mutation (seeds 1.. with n = 4, 7, 10 in turn) before the test gives up.
constexpr std::uint64_t kSeedBudget = 300;

// An equivocation scenario with as many Byzantine validators as the seed's weights allow.
Scenario attack(std::uint64_t index, consensus::SafetyMutation mutation, bool check_double_signing) {
  constexpr std::uint32_t kSizes[] = {4, 7, 10};
  Scenario s = random_scenario(1 + index / 3, kSizes[index % 3], {Fault::kEquivocate});
  while (true) {
    ++s.byzantine;
    if (!byzantine_nodes(s).ok()) break;
  }
  --s.byzantine;
  s.mutation = mutation;
  s.check_double_signing = check_double_signing;
  return s;
}

// The first run in the budget that breaks an invariant of one of `kinds`.
std::optional<RunResult> first_violation(consensus::SafetyMutation mutation, bool check_double_signing,
                                         std::initializer_list<ViolationKind> kinds) {
  for (std::uint64_t i = 0; i < kSeedBudget; ++i) {
    auto result = run(attack(i, mutation, check_double_signing));
    if (!result.ok()) {
      ADD_FAILURE() << result.error().to_string();
      return std::nullopt;
    }
    if (result->violation && std::ranges::find(kinds, result->violation->kind) != kinds.end())
      return std::move(*result);
  }
  return std::nullopt;
}

void expect_clean_without_mutation(Scenario scenario) {
  scenario.mutation = consensus::SafetyMutation::kNone;
  const auto result = run(scenario);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->violation.has_value()) << failure_report(*result);
}

// An honest node that votes twice in a round is caught at once by the signature log.
TEST(SimMutation, VotingTwiceIsCaughtAsADoubleSignature) {
  const auto found =
      first_violation(consensus::SafetyMutation::kIgnoreLastVotedRound, true, {ViolationKind::kDurability});
  ASSERT_TRUE(found.has_value()) << "no run in the budget caught a node voting twice";
  EXPECT_NE(found->violation->detail.find("signed two different votes"), std::string::npos) << failure_report(*found);
  expect_clean_without_mutation(found->scenario);
}

// Without that log, the double votes let the coalition certify and commit two forks: conflicting
// commits (or a core that detects one and stops).
TEST(SimMutation, VotingTwiceBreaksSafety) {
  const auto found = first_violation(consensus::SafetyMutation::kIgnoreLastVotedRound, false, {ViolationKind::kSafety});
  ASSERT_TRUE(found.has_value()) << "no run in the budget broke safety with nodes voting twice";
  std::cout << "caught: " << found->violation->detail << "\n  node0 sim " << found->scenario.to_flags() << "\n";
  expect_clean_without_mutation(found->scenario);
}

// Voting through a TC without checking the TC's high QC round lets a Byzantine leader fork
// below a block that some honest node committed.
TEST(SimMutation, IgnoringTheTcHighQcBreaksSafety) {
  const auto found = first_violation(consensus::SafetyMutation::kIgnoreTcHighQc, false, {ViolationKind::kSafety});
  ASSERT_TRUE(found.has_value()) << "no run in the budget broke safety with the TC rule ignored";
  std::cout << "caught: " << found->violation->detail << "\n  node0 sim " << found->scenario.to_flags() << "\n";
  expect_clean_without_mutation(found->scenario);
}

}  // namespace
}  // namespace bizra::sim
