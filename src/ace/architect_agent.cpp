#include "ace/architect_agent.hpp"

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "ace/json_util.hpp"
#include "ace/plan.hpp"
#include "codec/jcs.hpp"

namespace bizra::ace {
namespace {

constexpr std::size_t kMaxGoalBytes = 4096;  // as parse_plan's bound on "goal"

// ---- the rule-based planner ------------------------------------------------------------------

// The goal as lowercase ASCII words, for keyword matching: " back up the db " (padded with spaces
// so that a phrase matches whole words only).
struct GoalWords {
  std::string padded;

  explicit GoalWords(std::string_view goal) : padded(" ") {
    for (char c : goal) {
      const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
      if (c >= 'A' && c <= 'Z') padded += static_cast<char>(c - 'A' + 'a');
      else if (alnum) padded += c;
      else if (padded.back() != ' ') padded += ' ';
    }
    if (padded.back() != ' ') padded += ' ';
  }
  bool starts_with(std::string_view word) const { return padded.starts_with(" " + std::string(word) + " "); }
  // Whether any of `phrases` (one or more words) occurs as whole words.
  bool any(std::initializer_list<std::string_view> phrases) const {
    return std::any_of(phrases.begin(), phrases.end(), [&](std::string_view phrase) {
      return padded.find(" " + std::string(phrase) + " ") != std::string::npos;
    });
  }
};

json::Value str(std::string_view s) { return json::Value::string(std::string(s)); }
json::Value obj(std::vector<json::Value::Member> members) { return json::Value::object(std::move(members)); }

// Steps keyed by id: an intent that needs a step another intent already added (audit and health
// both want "health") reuses it.
class PlanBuilder {
 public:
  PlanBuilder(std::string_view goal, const json::Value& params) : goal_(goal), params_(params) {}

  std::string_view goal() const { return goal_; }
  const json::Value* param(std::string_view name) const { return params_.find(name); }
  bool empty() const { return steps_.empty(); }

  void add(std::string_view id, std::string_view skill, json::Value input, std::vector<std::string> after = {},
           bool optional = false) {
    if (std::find(ids_.begin(), ids_.end(), id) != ids_.end()) return;
    ids_.emplace_back(id);
    steps_.push_back(obj({{"id", str(id)},
                          {"skill", str(skill)},
                          {"input", std::move(input)},
                          {"after", detail::json_strings(after)},
                          {"optional", json::Value::boolean(optional)}}));
  }

  // A policy gate (check_policy with enforce: a denial fails the step and so its dependents).
  void add_gate(std::string_view id, std::string_view gated_skill) {
    add(id, "security.check_policy", obj({{"skill", str(gated_skill)}, {"enforce", json::Value::boolean(true)}}));
  }

  // An optional memory.store of what the plan did, after `after`; the engine hands it their
  // outputs as "deps".
  void add_record(std::string_view id, std::string_view what, std::vector<std::string> after) {
    add(id, "memory.store",
        obj({{"text", str(std::string(what) + ": " + std::string(goal_))},
             {"tags", detail::json_strings({"ace", std::string(what)})},
             {"source", str("architect")}}),
        std::move(after), true);
  }

  json::Value to_json() && {
    return obj({{"goal", str(goal_)}, {"steps", json::Value::array(std::move(steps_))}});
  }

 private:
  std::string_view goal_;
  const json::Value& params_;
  std::vector<std::string> ids_;
  std::vector<json::Value> steps_;
};

void plan_health(PlanBuilder& plan) {
  plan.add("health", "operations.health", obj({}));
  plan.add("peers", "operations.peers", obj({}));
  plan.add("metrics", "operations.metrics_snapshot", obj({}));
}

// "checkpoint"/"snapshot" alone asks for a checkpoint; anything else ("backup", "back up") for a
// full backup.
void plan_backup(PlanBuilder& plan, const GoalWords& words) {
  const bool checkpoint_only = words.any({"checkpoint", "snapshot"}) && !words.any({"backup", "backups", "back up"});
  if (checkpoint_only) {
    plan.add_gate("policy_checkpoint", "operations.checkpoint");
    plan.add("checkpoint", "operations.checkpoint", obj({}), {"policy_checkpoint"});
    plan.add_record("record_checkpoint", "checkpoint", {"checkpoint"});
  } else {
    plan.add_gate("policy_backup", "operations.backup");
    plan.add("backup", "operations.backup", obj({}), {"policy_backup"});
    plan.add_record("record_backup", "backup", {"backup"});
  }
}

// A checkpoint first, so that a compaction that goes wrong has a copy to return to.
void plan_compact(PlanBuilder& plan) {
  plan.add_gate("policy_compact", "operations.compact");
  plan.add("checkpoint", "operations.checkpoint", obj({}), {"policy_compact"});
  plan.add("compact", "operations.compact", obj({}), {"policy_compact", "checkpoint"});
  plan.add_record("record_compact", "compact", {"compact"});
}

bool plan_verify_attestation(PlanBuilder& plan) {
  const json::Value* attestation = plan.param("attestation");
  if (attestation == nullptr) return false;
  plan.add("verify_attestation", "security.verify_attestation", obj({{"attestation", *attestation}}));
  plan.add_record("record_attestation", "attestation", {"verify_attestation"});
  return true;
}

bool plan_verify_signature(PlanBuilder& plan) {
  std::vector<json::Value::Member> input;
  for (std::string_view name : {"pubkey", "signature", "message", "message_hex"})
    if (const json::Value* value = plan.param(name)) input.emplace_back(name, *value);
  const bool complete = plan.param("pubkey") != nullptr && plan.param("signature") != nullptr &&
                        (plan.param("message") != nullptr || plan.param("message_hex") != nullptr);
  if (!complete) return false;
  plan.add("verify_signature", "security.verify_signature", obj(std::move(input)));
  return true;
}

bool plan_evidence(PlanBuilder& plan) {
  const json::Value* paths = plan.param("paths");
  if (paths == nullptr) return false;
  plan.add_gate("policy_evidence", "security.hash_evidence");
  plan.add("hash_evidence", "security.hash_evidence", obj({{"paths", *paths}}), {"policy_evidence"});
  plan.add_record("record_evidence", "evidence", {"hash_evidence"});
  return true;
}

// A string param, or the goal text.
json::Value text_param(const PlanBuilder& plan, std::string_view name) {
  const json::Value* value = plan.param(name);
  return value != nullptr && value->is_string() ? *value : str(plan.goal());
}

void plan_remember(PlanBuilder& plan) {
  plan.add("remember", "memory.store",
           obj({{"text", text_param(plan, "text")},
                {"tags", detail::json_strings({"ace", "note"})},
                {"source", str("architect")}}));
}

void plan_recall(PlanBuilder& plan) {
  plan.add("recall", "memory.recall", obj({{"query", text_param(plan, "query")}}));
}

// Health, plus whatever evidence the params carry, then one record naming everything checked.
void plan_audit(PlanBuilder& plan) {
  plan_health(plan);
  std::vector<std::string> checked{"health", "peers", "metrics"};
  if (plan_verify_attestation(plan)) checked.emplace_back("verify_attestation");
  if (plan_evidence(plan)) checked.emplace_back("hash_evidence");
  plan.add_record("record_audit", "audit", std::move(checked));
}

// The intent table, in the order intents are added to a plan (docs/ace-agents.md).
// An intent whose params are missing (verify without "attestation", evidence without "paths")
// adds nothing; a goal that adds nothing becomes a recall of its text.
json::Value build_rule_plan(std::string_view goal, const json::Value& params) {
  const GoalWords words(goal);
  PlanBuilder plan(goal, params);
  if (words.any({"audit"})) plan_audit(plan);
  if (words.any({"health", "healthy", "status", "diagnose", "diagnostics", "peers", "metrics"})) plan_health(plan);
  if (words.any({"backup", "backups", "back up", "checkpoint", "snapshot"})) plan_backup(plan, words);
  if (words.any({"compact", "compaction", "maintenance"})) plan_compact(plan);
  if (words.any({"attestation", "attestations", "attest"})) plan_verify_attestation(plan);
  if (words.any({"signature", "signed"})) plan_verify_signature(plan);
  if (words.any({"evidence", "hash", "hashes", "digest"})) plan_evidence(plan);
  // "store" is a noun too ("compact the store"): it asks to remember only as the first word.
  if (words.any({"remember", "save", "note", "memorize"}) || words.starts_with("store")) plan_remember(plan);
  if (words.any({"recall", "find", "search", "lookup", "look up", "what do we know"}) || plan.empty())
    plan_recall(plan);
  return std::move(plan).to_json();
}

// ---- the LLM planner -------------------------------------------------------------------------

struct SkillHint {
  std::string_view skill;
  std::string_view input;
};
// What the prompt says about each skill's input.
constexpr SkillHint kSkillHints[] = {
    {"memory.store", R"({"text": string, "tags"?: [string], "source"?: string})"},
    {"memory.recall", R"({"query": string, "limit"?: 1..50, "depth"?: 0..4})"},
    {"memory.neighbourhood", R"({"id": string, "depth"?: 0..4})"},
    {"memory.link", R"({"from": string, "to": string, "relation": string})"},
    {"memory.consolidate", "{}"},
    {"operations.health", "{}"},
    {"operations.peers", "{}"},
    {"operations.metrics_snapshot", "{}"},
    {"operations.checkpoint", R"({"name"?: string})"},
    {"operations.backup", "{}"},
    {"operations.compact", "{}"},
    {"reflection.stats", "{}"},
    {"security.check_policy", R"({"skill": string, "enforce"?: boolean})"},
    {"security.hash_evidence", R"({"paths": [relative path]})"},
    {"security.verify_attestation", R"({"attestation": object})"},
    {"security.verify_signature", R"({"pubkey": hex, "message"|"message_hex": string, "signature": hex})"},
};

std::string skill_line(std::string_view skill) {
  for (const SkillHint& hint : kSkillHints)
    if (hint.skill == skill) return "- " + std::string(skill) + " input " + std::string(hint.input) + "\n";
  return "- " + std::string(skill) + "\n";
}

std::string planning_prompt(std::string_view goal, const json::Value& params, const std::vector<std::string>& skills,
                            std::size_t max_steps) {
  std::string prompt =
      "You are the Architect agent of a BIZRA node. Turn the goal below into a plan: a DAG of skill calls.\n"
      "Answer with one JSON object and nothing else, of this form:\n"
      R"({"goal": "<the goal>", "steps": [{"id": "<[a-z0-9_]{1,32}, unique>", "skill": "<a skill below>", )"
      R"("input": {<the skill's input>}, "after": ["<ids of steps this one needs>"], "optional": <true if )"
      R"(its failure must not stop the plan>}]})"
      "\nAt most " +
      std::to_string(max_steps) +
      " steps; \"after\" must not form a cycle; a step receives its dependencies' outputs as input.deps.\n"
      "Skills:\n";
  for (const std::string& skill : skills) prompt += skill_line(skill);
  prompt += "Goal: " + std::string(goal) + "\nParams (JSON): " + jcs::serialize(params) + "\n";
  return prompt;
}

// The outermost {...} of an answer that may wrap it in prose or a code fence.
Result<json::Value> extract_object(std::string_view answer, std::size_t max_bytes) {
  if (answer.size() > max_bytes) return Error("bad_answer", "the answer is longer than " + std::to_string(max_bytes) + " bytes");
  const std::size_t open = answer.find('{');
  const std::size_t close = answer.rfind('}');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return Error("bad_answer", "no JSON object in the answer");
  auto value = json::parse(answer.substr(open, close - open + 1));
  if (!value) return Error("bad_answer", "the answer's JSON does not parse: " + value.error().message());
  return value;
}

Status check_skills_allowed(const Plan& plan, const std::vector<std::string>& allowed) {
  const auto is_allowed = [&](const std::string& skill) {
    return std::find(allowed.begin(), allowed.end(), skill) != allowed.end();
  };
  for (const PlanStep& step : plan.steps) {
    if (!is_allowed(step.skill)) return Error("bad_plan", step.id + ": skill " + step.skill + " is not allowed");
    for (const std::string& alternative : step.alternatives)
      if (!is_allowed(alternative)) return Error("bad_plan", step.id + ": skill " + alternative + " is not allowed");
  }
  return ok_status();
}

class ArchitectAgent final : public Agent {
 public:
  explicit ArchitectAgent(ArchitectOptions options) : options_(std::move(options)) {
    if (options_.allowed_skills.empty())
      options_.allowed_skills.assign(std::begin(kPlannableSkills), std::end(kPlannableSkills));
  }

  AgentKind kind() const override { return AgentKind::kArchitect; }
  std::vector<std::string> skills() const override { return {"architect.plan"}; }
  // Planning changes nothing (an LLM planner is asked again).
  bool rerunnable(std::string_view) const override { return true; }

  Result<json::Value> run(std::string_view skill, const json::Value& input, const SkillContext& ctx) override {
    if (skill != "architect.plan")
      return Error("unknown_skill", "the Architect has no skill \"" + std::string(skill) + "\"");
    if (!input.is_object()) return Error("bad_input", "input: expected an object");
    const json::Value* goal = input.find("goal");
    if (goal == nullptr || !goal->is_string() || goal->as_string().empty() || goal->as_string().size() > kMaxGoalBytes)
      return Error("bad_input", "goal: expected a non-empty string of at most " + std::to_string(kMaxGoalBytes) + " bytes");
    std::vector<json::Value::Member> params;
    for (const auto& member : input.members())
      if (member.first != "goal") params.push_back(member);
    return plan(goal->as_string(), json::Value::object(std::move(params)), ctx);
  }

 private:
  json::Value plan(const std::string& goal, const json::Value& params, const SkillContext& ctx) const {
    if (!options_.generator) return annotated(build_rule_plan(goal, params), "rules", nullptr);
    auto llm = llm_plan(goal, params, ctx);
    if (llm) return annotated(std::move(*llm), "llm", nullptr);
    const std::string reason = llm.error().to_string();
    return annotated(build_rule_plan(goal, params), "rules", &reason);
  }

  static json::Value annotated(json::Value plan, std::string_view planner, const std::string* fallback_reason) {
    std::vector<json::Value::Member> members = plan.members();
    members.emplace_back("planner", str(planner));
    if (fallback_reason != nullptr) members.emplace_back("fallback_reason", str(*fallback_reason));
    return json::Value::object(std::move(members));
  }

  Result<json::Value> llm_plan(const std::string& goal, const json::Value& params, const SkillContext& ctx) const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(ctx.deadline() -
                                                                            std::chrono::steady_clock::now()) -
                      options_.fallback_reserve;
    const auto timeout = std::min(options_.llm_timeout, left);
    if (timeout.count() <= 0) return Error("backend_timeout", "no time left for the LLM before the deadline");
    auto answer = options_.generator->generate(
        planning_prompt(goal, params, options_.allowed_skills, options_.max_plan_steps), timeout);
    if (!answer) return answer.error();
    auto value = extract_object(*answer, options_.max_answer_bytes);
    if (!value) return value.error();
    auto plan = parse_plan(*value, options_.max_plan_steps);
    if (!plan) return plan.error();
    BIZRA_TRY(check_skills_allowed(*plan, options_.allowed_skills));
    plan->goal = goal;  // the plan is for the goal asked, whatever the answer restated
    return plan_to_json(*plan);
  }

  ArchitectOptions options_;
};

}  // namespace

std::unique_ptr<Agent> make_architect_agent(ArchitectOptions options) {
  return std::make_unique<ArchitectAgent>(std::move(options));
}

json::Value rule_based_plan(std::string_view goal, const json::Value& params) { return build_rule_plan(goal, params); }

}  // namespace bizra::ace
