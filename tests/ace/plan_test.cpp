#include "ace/plan.hpp"

#include <gtest/gtest.h>

#include "ace/orchestration.hpp"
#include "codec/jcs.hpp"
#include "engine_test_support.hpp"

namespace bizra::ace {
namespace {

using testing::parse;

Result<Plan> plan_of(std::string_view text, std::size_t max_steps = 64) { return parse_plan(parse(text), max_steps); }

std::string error_of(std::string_view text, std::size_t max_steps = 64) {
  auto plan = plan_of(text, max_steps);
  return plan ? "ok" : plan.error().to_string();
}

TEST(ParsePlan, OrdersStepsTopologicallyKeepingDocumentOrderForTies) {
  auto plan = plan_of(R"({"goal":"g","steps":[
      {"id":"c","skill":"meta.synthesize","after":["a","b"]},
      {"id":"a","skill":"memory.recall"},
      {"id":"d","skill":"security.check_policy","after":["a"]},
      {"id":"b","skill":"security.hash_evidence","optional":true,"alternatives":["operations.health"]}]})");
  ASSERT_TRUE(plan) << plan.error().to_string();
  std::vector<std::string> order;
  for (const PlanStep& s : plan->steps) order.push_back(s.id);
  EXPECT_EQ(order, (std::vector<std::string>{"a", "d", "b", "c"}));
  EXPECT_TRUE(plan->steps[2].optional);
  EXPECT_EQ(plan->steps[2].alternatives, std::vector<std::string>{"operations.health"});
  EXPECT_TRUE(plan->steps[0].input.is_object());
}

TEST(ParsePlan, RoundTripsThroughJson) {
  auto plan = plan_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","input":{"q":"x"}},
                                             {"id":"b","skill":"memory.store","after":["a"]}]})");
  ASSERT_TRUE(plan);
  auto again = parse_plan(plan_to_json(*plan), 64);
  ASSERT_TRUE(again);
  EXPECT_EQ(jcs::serialize(plan_to_json(*again)), jcs::serialize(plan_to_json(*plan)));
}

TEST(ParsePlan, RefusesBadShapes) {
  EXPECT_NE(error_of(R"([])").find("bad_plan"), std::string::npos);
  EXPECT_NE(error_of(R"({"steps":[{"id":"a","skill":"memory.recall"}]})").find("goal"), std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[]})").find("empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall"}],"x":1})").find("x: unknown"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","what":1}]})").find("steps[0].what"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"A","skill":"memory.recall"}]})").find("steps[0].id"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":")" + std::string(33, 'a') + R"(","skill":"memory.recall"}]})")
                .find("steps[0].id"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","input":[]}]})").find("input"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","optional":1}]})").find("optional"),
            std::string::npos);
}

TEST(ParsePlan, RefusesBadReferencesAndCycles) {
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall"},{"id":"a","skill":"memory.store"}]})")
                .find("not unique"),
            std::string::npos);
  EXPECT_NE(
      error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","after":["zz"]}]})").find("unknown step"),
      std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","after":["a"]}]})").find("cycle"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","after":["b"]},
                                            {"id":"b","skill":"memory.store","after":["a"]}]})")
                .find("cycle"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall"},
                                            {"id":"b","skill":"memory.store","after":["a","a"]}]})")
                .find("twice"),
            std::string::npos);
}

TEST(ParsePlan, RefusesOrchestrateUnknownAgentsAndTooManySteps) {
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"meta.orchestrate"}]})").find("meta.orchestrate"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","alternatives":["meta.orchestrate"]}]})")
                .find("meta.orchestrate"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"wizard.cast"}]})").find("known agent"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory"}]})").find("known agent"), std::string::npos);
  EXPECT_NE(
      error_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall"},{"id":"b","skill":"memory.store"}]})", 1)
          .find("more than 1"),
      std::string::npos);
}

detail::Orchestration orchestration_of(std::string_view plan_text) {
  detail::Orchestration o("Verify the evidence");
  o.set_plan(std::move(*plan_of(plan_text)));
  return o;
}

TEST(Orchestration, RouteIsTheFirstWordOfTheGoal) {
  EXPECT_EQ(detail::plan_route("  Verify the evidence"), "plan:verify");
  EXPECT_EQ(detail::plan_route(""), "plan:");
}

TEST(Orchestration, FailedRequiredStepFailsItsDependentsTransitively) {
  auto o = orchestration_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall"},
      {"id":"b","skill":"memory.store","after":["a"]},{"id":"c","skill":"memory.link","after":["b"]},
      {"id":"d","skill":"security.check_policy"}]})");
  EXPECT_EQ(o.take_ready(), (std::vector<std::size_t>{0, 3}));
  o.finish_step(0, TaskStatus::kFailed, std::nullopt, Error("bad_input", "x"), 1);
  o.finish_step(3, TaskStatus::kSucceeded, testing::ok_output(), std::nullopt, 1);
  EXPECT_TRUE(o.take_ready().empty());
  EXPECT_TRUE(o.steps_done());
  EXPECT_EQ(o.step(1).error->code(), "dependency_failed");
  EXPECT_EQ(o.step(2).error->code(), "dependency_failed");
  ASSERT_TRUE(o.failure());
  EXPECT_EQ(o.failure()->code(), "step_failed");
}

TEST(Orchestration, OptionalStepFailureIsPassedOnAsNull) {
  auto o = orchestration_of(R"({"goal":"g","steps":[{"id":"a","skill":"memory.recall","optional":true},
      {"id":"b","skill":"memory.store","after":["a"],"input":{"k":1}}]})");
  EXPECT_EQ(o.take_ready(), std::vector<std::size_t>{0});
  o.finish_step(0, TaskStatus::kFailed, std::nullopt, Error("bad_input", "x"), 1);
  EXPECT_EQ(o.take_ready(), std::vector<std::size_t>{1});
  const json::Value input = o.step_input(1);
  EXPECT_EQ(jcs::serialize(input), R"({"deps":{"a":null},"k":1})");
  o.finish_step(1, TaskStatus::kSucceeded, testing::ok_output(), std::nullopt, 1);
  EXPECT_FALSE(o.failure());
  const json::Value synth = o.synthesize_input();
  EXPECT_EQ(synth.find("steps")->find("a")->find("status")->as_string(), "failed");
  EXPECT_EQ(o.evaluate_input().find("steps")->items().size(), 2u);
}

}  // namespace
}  // namespace bizra::ace
