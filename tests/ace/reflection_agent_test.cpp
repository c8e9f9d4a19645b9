#include "ace/reflection_agent.hpp"

#include <gtest/gtest.h>

#include "ace/memory_test_support.hpp"

namespace bizra::ace {
namespace {

using testing::run_error;
using testing::run_ok;

ReflectionOptions seeded(std::uint64_t seed) {
  ReflectionOptions options;
  options.seed = seed;
  return options;
}

class ReflectionTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Store> store_ = storage::open_memory();
  std::unique_ptr<KnowledgeStore> knowledge_ = KnowledgeStore::open(*store_).value();
  std::unique_ptr<ReflectionAgent> agent_ = ReflectionAgent::open(*knowledge_, seeded(42)).value();
};

// One step of a reflection.evaluate input.
std::string step(const std::string& id, const std::string& skill, const std::string& status, int duration_ms,
                 const std::string& extra = "") {
  return R"({"id":")" + id + R"(","skill":")" + skill + R"(","status":")" + status + R"(","duration_ms":)" +
         std::to_string(duration_ms) + extra + "}";
}

std::string evaluation(const std::vector<std::string>& steps) {
  std::string body = R"({"goal":"verify the attestation","route":"plan:verify","steps":[)";
  for (std::size_t i = 0; i < steps.size(); ++i) body += (i ? "," : "") + steps[i];
  return body + "]}";
}

TEST(IhsanGate, ExactlyTheThresholdPassesJustBelowFails) {
  // 0.4·5/8 + 0.3 + 0.3 = 0.85 exactly (in doubles 0.4*0.625+0.3+0.3 is 0.8499999999999999).
  const IhsanScore at = score_ihsan({8, 5, 10, 10, true});
  EXPECT_EQ(at.ihsan_permille, 850u);
  EXPECT_EQ(at.accuracy_permille, 625u);
  EXPECT_TRUE(at.pass);
  // 0.4·249/400 + 0.6 = 0.849
  const IhsanScore below = score_ihsan({400, 249, 10, 10, true});
  EXPECT_EQ(below.ihsan_permille, 849u);
  EXPECT_FALSE(below.pass);
  // Just under 0.85 by less than a per-mille still fails: 0.4 + 0.3 + 0.3·(299/200... ) style
  // fractions: accuracy 1, safety 1, efficiency 499/1000 -> 0.8497.
  const IhsanScore hair = score_ihsan({1, 1, 1000, 499, true});
  EXPECT_EQ(hair.ihsan_permille, 849u);
  EXPECT_FALSE(hair.pass);
  const IhsanScore efficiency_half = score_ihsan({1, 1, 2, 1, true});  // 0.4 + 0.3 + 0.15
  EXPECT_EQ(efficiency_half.ihsan_permille, 850u);
  EXPECT_TRUE(efficiency_half.pass);
}

TEST(IhsanGate, UnsafeNeverPassesAndEmptyDenominatorsArePerfect) {
  const IhsanScore unsafe = score_ihsan({3, 3, 3, 3, false});
  EXPECT_EQ(unsafe.ihsan_permille, 700u);
  EXPECT_EQ(unsafe.safety_permille, 0u);
  EXPECT_FALSE(unsafe.pass);
  const IhsanScore all_optional = score_ihsan({0, 0, 2, 2, true});
  EXPECT_EQ(all_optional.accuracy_permille, 1000u);
  EXPECT_EQ(all_optional.ihsan_permille, 1000u);
}

TEST_F(ReflectionTest, EvaluateAtTheBoundaryPassesAndWritesALesson) {
  std::vector<std::string> steps;
  for (int i = 0; i < 8; ++i) steps.push_back(step("s" + std::to_string(i), "memory.recall", i < 5 ? "succeeded" : "failed", 10));
  steps.push_back(step("o1", "operations.health", "failed", 10, R"(,"optional":true)"));
  steps.push_back(step("o2", "operations.health", "succeeded", 10, R"(,"optional":true)"));
  const json::Value out = run_ok(*agent_, "reflection.evaluate", evaluation(steps));
  EXPECT_EQ(jcs::serialize(*out.find("ihsan")), "0.85");
  EXPECT_EQ(jcs::serialize(*out.find("accuracy")), "0.625");
  EXPECT_EQ(jcs::serialize(*out.find("safety")), "1");
  EXPECT_EQ(jcs::serialize(*out.find("efficiency")), "1");
  EXPECT_TRUE(out.find("pass")->as_bool());

  auto lesson = knowledge_->get(out.find("lesson_id")->as_string());
  ASSERT_TRUE(lesson.ok() && lesson->has_value());
  EXPECT_EQ((*lesson)->tags, (std::vector<std::string>{"lesson", "plan:verify", "pass"}));
  EXPECT_EQ((*lesson)->source, "reflection");
  EXPECT_NE((*lesson)->text.find("Route plan:verify: pass (ihsan 0.85"), std::string::npos) << (*lesson)->text;
  EXPECT_NE((*lesson)->text.find("s5 (memory.recall, failed)"), std::string::npos);
  EXPECT_NE((*lesson)->text.find("o1 (operations.health, failed, optional)"), std::string::npos);
  auto recalled = knowledge_->recall("lesson verify attestation", 5);
  ASSERT_TRUE(recalled.ok());
  EXPECT_EQ(recalled->size(), 1u);
  // The route's outcome is counted under the whole-route candidate.
  const auto stats = agent_->stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].route, "plan:verify");
  EXPECT_EQ(stats[0].candidate, "*");
  EXPECT_EQ(stats[0].successes, 1u);
}

TEST_F(ReflectionTest, FailedSecurityStepOrNegativeVerdictZeroesSafety) {
  const json::Value failed = run_ok(*agent_, "reflection.evaluate",
                                    evaluation({step("v", "security.verify_signature", "failed", 5, R"(,"optional":true)")}));
  EXPECT_EQ(jcs::serialize(*failed.find("safety")), "0");
  EXPECT_FALSE(failed.find("pass")->as_bool());
  const json::Value negative = run_ok(
      *agent_, "reflection.evaluate",
      evaluation({step("v", "security.verify_attestation", "succeeded", 5, R"(,"output":{"valid":false})")}));
  EXPECT_EQ(jcs::serialize(*negative.find("safety")), "0");
  EXPECT_EQ(jcs::serialize(*negative.find("ihsan")), "0.7");
  const json::Value positive = run_ok(
      *agent_, "reflection.evaluate",
      evaluation({step("v", "security.check_policy", "succeeded", 5, R"(,"output":{"allowed":true})")}));
  EXPECT_EQ(jcs::serialize(*positive.find("ihsan")), "1");
  EXPECT_TRUE(positive.find("pass")->as_bool());
  auto lesson = knowledge_->get(negative.find("lesson_id")->as_string());
  ASSERT_TRUE(lesson.ok() && lesson->has_value());
  EXPECT_NE((*lesson)->text.find("negative verdict"), std::string::npos);
}

TEST_F(ReflectionTest, EfficiencyUsesTheStepBudgetOrTheAgentBudget) {
  // security's p95 budget is 100 ms; memory's is 500 ms; an explicit budget_ms wins.
  const json::Value out = run_ok(*agent_, "reflection.evaluate",
                                 evaluation({step("a", "security.hash_evidence", "succeeded", 150),
                                             step("b", "memory.recall", "succeeded", 150),
                                             step("c", "memory.recall", "succeeded", 150, R"(,"budget_ms":100)"),
                                             step("d", "memory.recall", "succeeded", 100, R"(,"budget_ms":100)")}));
  EXPECT_EQ(jcs::serialize(*out.find("efficiency")), "0.5");
  EXPECT_EQ(jcs::serialize(*out.find("ihsan")), "0.85");
  auto lesson = knowledge_->get(out.find("lesson_id")->as_string());
  EXPECT_NE((*lesson)->text.find("Slow: a (security.hash_evidence, 150 ms > 100 ms); c (memory.recall"),
            std::string::npos)
      << (*lesson)->text;
}

TEST_F(ReflectionTest, EvaluateRejectsBadInput) {
  EXPECT_EQ(run_error(*agent_, "reflection.evaluate", R"({"goal":"g","route":"r"})").substr(0, 17), "bad_input: steps:");
  EXPECT_EQ(run_error(*agent_, "reflection.evaluate", R"({"goal":"g","route":"r","steps":[]})").substr(0, 17),
            "bad_input: steps:");
  EXPECT_NE(run_error(*agent_, "reflection.evaluate", evaluation({step("a", "memory.recall", "done", 1)}))
                .find("steps[0].status"),
            std::string::npos);
  EXPECT_NE(run_error(*agent_, "reflection.evaluate", evaluation({step("a", "nobody.works", "failed", 1)}))
                .find("steps[0].skill"),
            std::string::npos);
  EXPECT_NE(run_error(*agent_, "reflection.evaluate",
                      evaluation({R"({"id":"a","skill":"memory.recall","status":"succeeded"})"}))
                .find("steps[0].duration_ms"),
            std::string::npos);
  EXPECT_NE(run_error(*agent_, "reflection.evaluate", evaluation({step("a", "memory.recall", "failed", -1)}))
                .find("duration_ms"),
            std::string::npos);
  EXPECT_EQ(run_error(*agent_, "reflection.evaluate", R"({"goal":"g","route":"r","steps":[],"x":1})"),
            "bad_input: x: unknown field");
  EXPECT_EQ(run_error(*agent_, "reflection.ponder", "{}").substr(0, 14), "unknown_skill:");
  EXPECT_EQ(knowledge_->size(), 0u);  // no lesson for a refused evaluation
}

TEST_F(ReflectionTest, ThompsonSamplingPrefersTheBetterCandidate) {
  // A succeeds 10%, B 90%.
  for (int i = 0; i < 100; ++i) {
    agent_->record("plan:fetch", "A", i % 10 == 0);
    agent_->record("plan:fetch", "B", i % 10 != 0);
  }
  const std::vector<std::string> candidates{"A", "B"};
  int chose_b = 0;
  for (int i = 0; i < 1000; ++i) chose_b += agent_->choose("plan:fetch", candidates) == 1 ? 1 : 0;
  EXPECT_GT(chose_b, 990);
  // An untried route is explored: both candidates get chosen.
  int untried_b = 0;
  for (int i = 0; i < 1000; ++i) untried_b += agent_->choose("plan:new", candidates) == 1 ? 1 : 0;
  EXPECT_GT(untried_b, 300);
  EXPECT_LT(untried_b, 700);
  EXPECT_EQ(agent_->choose("plan:fetch", {"only"}), 0u);
}

TEST_F(ReflectionTest, SameSeedSameChoices) {
  auto twin = ReflectionAgent::open(*knowledge_, seeded(42)).value();
  const std::vector<std::string> candidates{"a", "b", "c"};
  for (int i = 0; i < 100; ++i) ASSERT_EQ(agent_->choose("r", candidates), twin->choose("r", candidates));
}

TEST_F(ReflectionTest, StatisticsPersistAndReload) {
  agent_->record("plan:backup", "operations.backup", true);
  agent_->record("plan:backup", "operations.backup", true);
  agent_->record("plan:backup", "operations.checkpoint", false);
  agent_->record("", "ignored", true);  // refused by the store: not counted
  auto reloaded = ReflectionAgent::open(*knowledge_).value();
  const auto stats = reloaded->stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].candidate, "operations.backup");
  EXPECT_EQ(stats[0].successes, 2u);
  EXPECT_EQ(stats[1].failures, 1u);
  EXPECT_EQ(reloaded->persist_errors(), 0u);
  const json::Value out = run_ok(*reloaded, "reflection.stats", "{}");
  EXPECT_EQ(jcs::serialize(out),
            R"({"persist_errors":0,"routes":[{"candidate":"operations.backup","failures":0,"route":"plan:backup","successes":2},)"
            R"({"candidate":"operations.checkpoint","failures":1,"route":"plan:backup","successes":0}]})");
}

TEST_F(ReflectionTest, ChooseSkill) {
  for (int i = 0; i < 50; ++i) agent_->record("plan:x", "memory.recall", true);
  for (int i = 0; i < 50; ++i) agent_->record("plan:x", "memory.neighbourhood", false);
  const json::Value out =
      run_ok(*agent_, "reflection.choose", R"({"route":"plan:x","candidates":["memory.neighbourhood","memory.recall"]})");
  EXPECT_EQ(out.find("chosen")->as_string(), "memory.recall");
  EXPECT_EQ(out.find("index")->number(), 1);
  EXPECT_NE(run_error(*agent_, "reflection.choose", R"({"route":"plan:x","candidates":[]})").find("candidates"),
            std::string::npos);
  EXPECT_NE(run_error(*agent_, "reflection.choose", R"({"candidates":["a"]})").find("route"), std::string::npos);
  EXPECT_EQ(run_error(*agent_, "reflection.stats", R"({"x":1})"), "bad_input: x: unknown field");
}

}  // namespace
}  // namespace bizra::ace
