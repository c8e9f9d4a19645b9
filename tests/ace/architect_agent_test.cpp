// The Architect: every intent of the rule-based planner yields a plan parse_plan accepts, with
// the expected steps and dependencies; the LLM planner is used when its plan is valid and falls
// back to the rules otherwise.

#include <map>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "ace/architect_agent.hpp"
#include "ace/plan.hpp"
#include "codec/jcs.hpp"
#include "security_fixture.hpp"

namespace bizra::ace {
namespace {

using testing::FakeContext;
using testing::parse_json;

struct PlanView {
  json::Value output = json::Value::null();
  Plan plan;
  std::map<std::string, PlanStep> steps;  // by id

  std::set<std::string> ids() const {
    std::set<std::string> out;
    for (const auto& [id, step] : steps) out.insert(id);
    return out;
  }
  const PlanStep& at(const std::string& id) const { return steps.at(id); }
  std::string skill(const std::string& id) const { return steps.at(id).skill; }
  std::vector<std::string> after(const std::string& id) const { return steps.at(id).after; }
  std::string planner() const { return output.find("planner")->as_string(); }
};

PlanView plan_with(Agent& agent, const json::Value& input, const FakeContext& ctx = FakeContext()) {
  PlanView view;
  auto out = agent.run("architect.plan", input, ctx);
  EXPECT_TRUE(out.ok()) << out.error().to_string();
  if (!out) return view;
  view.output = *out;
  auto plan = parse_plan(*out, 64);
  EXPECT_TRUE(plan.ok()) << plan.error().to_string() << "\n" << jcs::serialize(*out);
  if (!plan) return view;
  view.plan = *plan;
  for (const PlanStep& step : view.plan.steps) view.steps.emplace(step.id, step);
  return view;
}

PlanView rules_plan(std::string_view goal, std::string_view params_json = "{}") {
  std::vector<json::Value::Member> input = parse_json(params_json).members();
  input.emplace_back("goal", json::Value::string(std::string(goal)));
  auto agent = make_architect_agent();
  PlanView view = plan_with(*agent, json::Value::object(std::move(input)));
  EXPECT_EQ(view.output.find("fallback_reason"), nullptr);
  if (view.output.is_object()) {
    EXPECT_EQ(view.planner(), "rules");
  }
  return view;
}

using Ids = std::set<std::string>;
using After = std::vector<std::string>;

TEST(ArchitectRules, HealthAndStatusRunThreeIndependentSteps) {
  for (const char* goal : {"health check", "What is the node's STATUS?", "show peers and metrics"}) {
    const PlanView view = rules_plan(goal);
    EXPECT_EQ(view.ids(), (Ids{"health", "metrics", "peers"})) << goal;
    EXPECT_EQ(view.skill("health"), "operations.health");
    EXPECT_EQ(view.skill("peers"), "operations.peers");
    EXPECT_EQ(view.skill("metrics"), "operations.metrics_snapshot");
    for (const auto& [id, step] : view.steps) EXPECT_TRUE(step.after.empty()) << id;
  }
}

TEST(ArchitectRules, BackupIsGatedByPolicyAndRecorded) {
  for (const char* goal : {"backup the node", "please back up everything"}) {
    const PlanView view = rules_plan(goal);
    EXPECT_EQ(view.ids(), (Ids{"backup", "policy_backup", "record_backup"})) << goal;
    EXPECT_EQ(view.skill("policy_backup"), "security.check_policy");
    EXPECT_EQ(view.at("policy_backup").input.find("skill")->as_string(), "operations.backup");
    EXPECT_TRUE(view.at("policy_backup").input.find("enforce")->as_bool());
    EXPECT_EQ(view.skill("backup"), "operations.backup");
    EXPECT_EQ(view.after("backup"), After{"policy_backup"});
    EXPECT_EQ(view.skill("record_backup"), "memory.store");
    EXPECT_EQ(view.after("record_backup"), After{"backup"});
    EXPECT_TRUE(view.at("record_backup").optional);
    EXPECT_FALSE(view.at("backup").optional);
    // Topological order: the gate first.
    EXPECT_EQ(view.plan.steps.front().id, "policy_backup");
  }
}

TEST(ArchitectRules, CheckpointAloneMakesACheckpoint) {
  const PlanView view = rules_plan("take a checkpoint of the database");
  EXPECT_EQ(view.ids(), (Ids{"checkpoint", "policy_checkpoint", "record_checkpoint"}));
  EXPECT_EQ(view.skill("checkpoint"), "operations.checkpoint");
  EXPECT_EQ(view.after("checkpoint"), After{"policy_checkpoint"});
  EXPECT_EQ(view.at("policy_checkpoint").input.find("skill")->as_string(), "operations.checkpoint");
}

TEST(ArchitectRules, CompactionRunsAfterACheckpoint) {
  for (const char* goal : {"compact the store", "nightly maintenance"}) {
    const PlanView view = rules_plan(goal);
    EXPECT_EQ(view.ids(), (Ids{"checkpoint", "compact", "policy_compact", "record_compact"})) << goal;
    EXPECT_EQ(view.after("checkpoint"), After{"policy_compact"});
    EXPECT_EQ(view.skill("compact"), "operations.compact");
    EXPECT_EQ(view.after("compact"), (After{"policy_compact", "checkpoint"}));
    EXPECT_EQ(view.after("record_compact"), After{"compact"});
  }
}

TEST(ArchitectRules, VerifyAttestationCarriesTheDocument) {
  const PlanView view = rules_plan("verify this attestation", R"({"attestation": {"version": "poi-1.0"}})");
  EXPECT_EQ(view.ids(), (Ids{"record_attestation", "verify_attestation"}));
  EXPECT_EQ(view.skill("verify_attestation"), "security.verify_attestation");
  EXPECT_EQ(jcs::serialize(*view.at("verify_attestation").input.find("attestation")), R"({"version":"poi-1.0"})");
  EXPECT_EQ(view.after("record_attestation"), After{"verify_attestation"});
  EXPECT_TRUE(view.at("record_attestation").optional);
}

TEST(ArchitectRules, VerifySignatureCarriesItsParams) {
  const PlanView view =
      rules_plan("check the signature", R"({"pubkey": "aa", "signature": "bb", "message": "m", "unrelated": 1})");
  EXPECT_EQ(view.ids(), Ids{"verify_signature"});
  EXPECT_EQ(jcs::serialize(view.at("verify_signature").input), R"({"message":"m","pubkey":"aa","signature":"bb"})");
}

TEST(ArchitectRules, EvidenceIsGatedHashedAndRecorded) {
  const PlanView view = rules_plan("hash the evidence pack", R"({"paths": ["run1", "logs/a.txt"]})");
  EXPECT_EQ(view.ids(), (Ids{"hash_evidence", "policy_evidence", "record_evidence"}));
  EXPECT_EQ(view.at("policy_evidence").input.find("skill")->as_string(), "security.hash_evidence");
  EXPECT_EQ(view.skill("hash_evidence"), "security.hash_evidence");
  EXPECT_EQ(jcs::serialize(*view.at("hash_evidence").input.find("paths")), R"(["run1","logs/a.txt"])");
  EXPECT_EQ(view.after("hash_evidence"), After{"policy_evidence"});
  EXPECT_EQ(view.after("record_evidence"), After{"hash_evidence"});
}

TEST(ArchitectRules, RememberStoresTheTextOrTheGoal) {
  const PlanView goal_only = rules_plan("remember that validators rotate weekly");
  EXPECT_EQ(goal_only.ids(), Ids{"remember"});
  EXPECT_EQ(goal_only.skill("remember"), "memory.store");
  EXPECT_EQ(goal_only.at("remember").input.find("text")->as_string(), "remember that validators rotate weekly");
  const PlanView with_text = rules_plan("store this", R"({"text": "the key is in vault 3"})");
  EXPECT_EQ(with_text.ids(), Ids{"remember"});
  EXPECT_EQ(with_text.at("remember").input.find("text")->as_string(), "the key is in vault 3");
}

TEST(ArchitectRules, RecallQueriesTheGoalOrTheQuery) {
  for (const char* goal : {"what do we know about slashing", "find notes on epochs", "recall the last audit?"}) {
    const PlanView view = rules_plan(goal);
    EXPECT_TRUE(view.ids().count("recall")) << goal;
    EXPECT_EQ(view.skill("recall"), "memory.recall");
    EXPECT_EQ(view.at("recall").input.find("query")->as_string(), goal);
  }
  const PlanView with_query = rules_plan("search", R"({"query": "epochs"})");
  EXPECT_EQ(with_query.at("recall").input.find("query")->as_string(), "epochs");
}

TEST(ArchitectRules, AuditCombinesHealthWithTheEvidenceGiven) {
  const PlanView bare = rules_plan("audit the node");
  EXPECT_EQ(bare.ids(), (Ids{"health", "metrics", "peers", "record_audit"}));
  EXPECT_EQ(bare.after("record_audit"), (After{"health", "peers", "metrics"}));

  const PlanView full = rules_plan("audit", R"({"attestation": {"nonce": "00"}, "paths": ["pack"]})");
  EXPECT_EQ(full.ids(), (Ids{"hash_evidence", "health", "metrics", "peers", "policy_evidence", "record_audit",
                             "record_attestation", "record_evidence", "verify_attestation"}));
  EXPECT_EQ(full.after("record_audit"), (After{"health", "peers", "metrics", "verify_attestation", "hash_evidence"}));
  EXPECT_EQ(full.plan.steps.back().id, "record_audit");
}

TEST(ArchitectRules, IntentsCombineWithoutDuplicateSteps) {
  const PlanView view = rules_plan("health check, then backup and compact");
  EXPECT_EQ(view.ids(), (Ids{"backup", "checkpoint", "compact", "health", "metrics", "peers", "policy_backup",
                             "policy_compact", "record_backup", "record_compact"}));
  const PlanView both = rules_plan("checkpoint then compact");
  EXPECT_EQ(both.after("compact"), (After{"policy_compact", "checkpoint"}));
  EXPECT_EQ(both.skill("checkpoint"), "operations.checkpoint");
}

TEST(ArchitectRules, UnknownGoalsAndMissingParamsBecomeARecall) {
  for (const char* goal : {"xyzzy", "verify the attestation", "hash the evidence", "a goal with √ unicode"}) {
    const PlanView view = rules_plan(goal);
    EXPECT_EQ(view.ids(), Ids{"recall"}) << goal;
    EXPECT_EQ(view.at("recall").input.find("query")->as_string(), goal);
  }
}

TEST(ArchitectRules, KeywordsMatchWholeWordsOnly) {
  EXPECT_EQ(rules_plan("healthcare statistics").ids(), Ids{"recall"});
}

TEST(ArchitectRules, PlansAreDeterministic) {
  const std::string params = R"({"paths": ["a"], "attestation": {}})";
  EXPECT_EQ(jcs::serialize(rules_plan("audit and backup", params).output),
            jcs::serialize(rules_plan("audit and backup", params).output));
  const json::Value rules = rules_plan("health").output;
  EXPECT_EQ(jcs::serialize(rule_based_plan("health", json::Value::object({}))),
            jcs::serialize(json::Value::object({{"goal", *rules.find("goal")}, {"steps", *rules.find("steps")}})));
}

TEST(ArchitectAgent, BadInputs) {
  auto agent = make_architect_agent();
  EXPECT_EQ(agent->kind(), AgentKind::kArchitect);
  EXPECT_EQ(agent->skills(), std::vector<std::string>{"architect.plan"});
  for (const char* input : {R"({})", R"({"goal": ""})", R"({"goal": 3})", R"([])"}) {
    auto out = agent->run("architect.plan", parse_json(input), FakeContext());
    ASSERT_FALSE(out.ok()) << input;
    EXPECT_EQ(out.error().code(), "bad_input") << input;
  }
  auto too_long = agent->run("architect.plan",
                             json::Value::object({{"goal", json::Value::string(std::string(4097, 'a'))}}), FakeContext());
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().code(), "bad_input");
  auto unknown = agent->run("architect.dream", parse_json(R"({"goal": "x"})"), FakeContext());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code(), "unknown_skill");
}

// ---- the LLM planner ---------------------------------------------------------------------------

class FakeGenerator final : public TextGenerator {
 public:
  explicit FakeGenerator(Result<std::string> answer) : answer_(std::move(answer)) {}
  Result<std::string> generate(std::string_view prompt, std::chrono::milliseconds timeout) override {
    ++calls;
    last_prompt = std::string(prompt);
    last_timeout = timeout;
    return answer_;
  }
  std::string_view name() const override { return "fake:planner"; }

  int calls = 0;
  std::string last_prompt;
  std::chrono::milliseconds last_timeout{0};

 private:
  Result<std::string> answer_;
};

constexpr std::string_view kGoodPlan = R"({"goal": "whatever the model says", "steps": [
  {"id": "b", "skill": "operations.peers", "input": {}, "after": ["a"]},
  {"id": "a", "skill": "operations.health", "input": {}}]})";

struct LlmRun {
  std::shared_ptr<FakeGenerator> generator;
  PlanView view;
};

LlmRun llm_plan(Result<std::string> answer, const FakeContext& ctx = FakeContext()) {
  LlmRun run{std::make_shared<FakeGenerator>(std::move(answer)), {}};
  ArchitectOptions options;
  options.generator = run.generator;
  options.llm_timeout = std::chrono::milliseconds(5000);
  auto agent = make_architect_agent(options);
  run.view = plan_with(*agent, parse_json(R"({"goal": "health check", "node": "n1"})"), ctx);
  return run;
}

std::string fallback_reason(const PlanView& view) {
  const json::Value* reason = view.output.find("fallback_reason");
  return reason == nullptr ? "" : reason->as_string();
}

TEST(ArchitectLlm, AGoodPlanIsUsedEvenInsideProse) {
  const LlmRun run = llm_plan("Here is the plan:\n```json\n" + std::string(kGoodPlan) + "\n```\nDone.");
  EXPECT_EQ(run.generator->calls, 1);
  EXPECT_EQ(run.view.planner(), "llm");
  EXPECT_EQ(fallback_reason(run.view), "");
  EXPECT_EQ(run.view.ids(), (Ids{"a", "b"}));
  EXPECT_EQ(run.view.after("b"), After{"a"});
  EXPECT_EQ(run.view.plan.goal, "health check");  // the goal asked, not the model's restatement
  EXPECT_LE(run.generator->last_timeout, std::chrono::milliseconds(5000));
  EXPECT_GT(run.generator->last_timeout.count(), 0);
  // The prompt names the goal, the params, the schema and the allowed skills.
  const std::string& prompt = run.generator->last_prompt;
  for (const char* part : {"Goal: health check", R"({"node":"n1"})", "\"after\"", "security.hash_evidence",
                           "operations.compact", "memory.recall"})
    EXPECT_NE(prompt.find(part), std::string::npos) << part;
  EXPECT_EQ(prompt.find("meta.orchestrate"), std::string::npos);
}

TEST(ArchitectLlm, GarbageFallsBackToRules) {
  const LlmRun run = llm_plan(std::string("I cannot help with that."));
  EXPECT_EQ(run.view.planner(), "rules");
  EXPECT_NE(fallback_reason(run.view).find("no JSON object"), std::string::npos);
  EXPECT_EQ(run.view.ids(), (Ids{"health", "metrics", "peers"}));

  const LlmRun broken = llm_plan(std::string("{\"goal\": \"x\", \"steps\": [}"));
  EXPECT_EQ(broken.view.planner(), "rules");
  EXPECT_NE(fallback_reason(broken.view).find("does not parse"), std::string::npos);
}

TEST(ArchitectLlm, BackendErrorsFallBackToRules) {
  const LlmRun run = llm_plan(Error("backend_unavailable", "connection refused"));
  EXPECT_EQ(run.view.planner(), "rules");
  EXPECT_EQ(fallback_reason(run.view), "backend_unavailable: connection refused");
  EXPECT_EQ(run.view.ids(), (Ids{"health", "metrics", "peers"}));
}

TEST(ArchitectLlm, InvalidPlansFallBackToRules) {
  const LlmRun cycle = llm_plan(std::string(R"({"goal": "g", "steps": [
      {"id": "a", "skill": "operations.health", "after": ["b"]},
      {"id": "b", "skill": "operations.peers", "after": ["a"]}]})"));
  EXPECT_EQ(cycle.view.planner(), "rules");
  EXPECT_NE(fallback_reason(cycle.view).find("cycle"), std::string::npos);

  const LlmRun unknown = llm_plan(std::string(R"({"goal": "g", "steps": [{"id": "a", "skill": "rogue.delete"}]})"));
  EXPECT_EQ(unknown.view.planner(), "rules");
  EXPECT_NE(fallback_reason(unknown.view).find("bad_plan"), std::string::npos);

  // Well-formed skill names outside the whitelist: the engine's own steps, and verbs nobody serves.
  for (const char* skill : {"meta.synthesize", "operations.selfdestruct", "architect.plan"}) {
    const LlmRun not_allowed = llm_plan(
        R"({"goal": "g", "steps": [{"id": "a", "skill": "operations.health", "alternatives": [")" + std::string(skill) +
        R"("]}]})");
    EXPECT_EQ(not_allowed.view.planner(), "rules") << skill;
    EXPECT_NE(fallback_reason(not_allowed.view).find("not allowed"), std::string::npos) << skill;
  }

  const LlmRun empty = llm_plan(std::string(R"({"goal": "g", "steps": []})"));
  EXPECT_EQ(empty.view.planner(), "rules");
  EXPECT_FALSE(empty.view.steps.empty());
}

TEST(ArchitectLlm, NoTimeLeftSkipsTheBackend) {
  const LlmRun run = llm_plan(std::string(kGoodPlan), FakeContext("alice", std::chrono::milliseconds(0)));
  EXPECT_EQ(run.generator->calls, 0);
  EXPECT_EQ(run.view.planner(), "rules");
  EXPECT_NE(fallback_reason(run.view).find("no time left"), std::string::npos);
}

}  // namespace
}  // namespace bizra::ace
