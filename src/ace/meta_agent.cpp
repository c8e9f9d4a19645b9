#include "ace/meta_agent.hpp"

#include <algorithm>
#include <map>

#include "ace/json_util.hpp"
#include "ace/skill_input.hpp"
#include "ace/task.hpp"
#include "codec/jcs.hpp"

namespace bizra::ace {

namespace {

using detail::bad_input;

constexpr std::size_t kMaxGoalBytes = kMaxTaskInputBytes;  // a goal is part of a task input
constexpr std::size_t kSummaryGoalBytes = 200;

struct StepResult {
  std::string id, skill, status;
  bool optional = false;
  const json::Value* output = nullptr;  // succeeded steps
  const json::Value* error = nullptr;   // the others, when given
};

// One step's report of one field.
struct Report {
  const StepResult* step;
  std::string canonical;  // the value as RFC 8785 writes it: what "same value" means
  const json::Value* value;
};

Result<StepResult> read_step(const std::string& id, const json::Value& step) {
  const std::string where = "steps." + id;
  if (!step.is_object()) return bad_input(where, "must be an object");
  StepResult out;
  out.id = id;
  auto skill = detail::read_string(step, "skill", 128, true);
  if (!skill.ok()) return skill.error().with_context(where);
  if (!detail::is_skill_name(**skill)) return bad_input(where + ".skill", "not a skill name");
  out.skill = **skill;
  auto status = detail::read_string(step, "status", 16, true);
  if (!status.ok()) return status.error().with_context(where);
  out.status = **status;
  auto optional = detail::read_bool(step, "optional", false);
  if (!optional.ok()) return optional.error().with_context(where);
  out.optional = *optional;
  if (out.status == "succeeded") {
    out.output = step.find("output");
    if (out.output == nullptr || !out.output->is_object()) return bad_input(where + ".output", "a succeeded step's output object");
  } else if ((out.error = step.find("error")) != nullptr) {
    if (!out.error->is_object()) return bad_input(where + ".error", "must be {code, message}");
    for (std::string_view field : {"code", "message"})
      if (const json::Value* v = out.error->find(field); v != nullptr && !v->is_string())
        return bad_input(where + ".error." + std::string(field), "must be a string");
  }
  return out;
}

bool is_security(const StepResult& step) { return agent_for_skill(step.skill) == AgentKind::kSecurity; }

// The value of the reports most of them share; the earliest report's among a tie.
const Report& most_reported(const std::vector<const Report*>& reports, bool& unique) {
  std::map<std::string, std::size_t> votes;
  for (const Report* r : reports) ++votes[r->canonical];
  std::size_t top = 0;
  for (const auto& [value, count] : votes) top = std::max(top, count);
  unique = std::count_if(votes.begin(), votes.end(), [&](const auto& v) { return v.second == top; }) == 1;
  for (const Report* r : reports)
    if (votes[r->canonical] == top) return *r;
  return *reports.front();  // unreachable: some report holds the top count
}

struct Resolution {
  const Report* chosen;
  std::string_view reason;
};

Resolution resolve(const std::vector<Report>& reports) {
  std::vector<const Report*> security, all;
  for (const Report& r : reports) {
    all.push_back(&r);
    if (is_security(*r.step)) security.push_back(&r);
  }
  bool unique = false;
  if (!security.empty()) return {&most_reported(security, unique), "security_step"};
  const Report& chosen = most_reported(all, unique);
  return {&chosen, unique ? "majority" : "earliest_step"};
}

json::Value conflict_json(const std::string& field, const std::vector<Report>& reports, const Resolution& resolution) {
  std::vector<json::Value> values;
  for (const Report& r : reports)
    values.push_back(json::Value::object({{"step", json::Value::string(r.step->id)},
                                          {"skill", json::Value::string(r.step->skill)},
                                          {"value", *r.value}}));
  return json::Value::object({{"field", json::Value::string(field)},
                              {"values", json::Value::array(std::move(values))},
                              {"chosen", *resolution.chosen->value},
                              {"chosen_step", json::Value::string(resolution.chosen->step->id)},
                              {"reason", json::Value::string(std::string(resolution.reason))}});
}

json::Value error_json(const StepResult& step) {
  const auto text = [&](std::string_view field) {
    const json::Value* v = step.error == nullptr ? nullptr : step.error->find(field);
    return json::Value::string(v == nullptr ? "" : v->as_string());
  };
  return json::Value::object({{"step", json::Value::string(step.id)},
                              {"skill", json::Value::string(step.skill)},
                              {"status", json::Value::string(step.status)},
                              {"optional", json::Value::boolean(step.optional)},
                              {"code", text("code")},
                              {"message", text("message")}});
}

std::string summary_text(std::string_view goal, const std::vector<StepResult>& steps, std::size_t conflicts) {
  std::size_t succeeded = 0, failed = 0, optional_failed = 0;
  for (const StepResult& s : steps) {
    if (s.status == "succeeded")
      ++succeeded;
    else
      ++(s.optional ? optional_failed : failed);
  }
  return "Goal \"" + detail::utf8_prefix(goal, kSummaryGoalBytes) + "\": " + std::to_string(steps.size()) +
         " steps, " + std::to_string(succeeded) + " succeeded, " + std::to_string(failed) + " failed, " +
         std::to_string(optional_failed) + " optional failed; " + std::to_string(conflicts) + " conflicts resolved.";
}

}  // namespace

Result<json::Value> synthesize(const json::Value& input) {
  BIZRA_TRY(detail::expect_object(input, {"goal", "steps"}));
  auto goal = detail::read_string(input, "goal", kMaxGoalBytes, true);
  if (!goal.ok()) return goal.error();
  const json::Value* steps_json = input.find("steps");
  if (steps_json == nullptr || !steps_json->is_object() || steps_json->members().size() > kMaxSynthesizedSteps)
    return bad_input("steps", "an object of at most " + std::to_string(kMaxSynthesizedSteps) + " steps");

  std::vector<StepResult> steps;
  steps.reserve(steps_json->members().size());  // Reports point into it
  for (const auto& [id, step] : steps_json->members()) {
    auto result = read_step(id, step);
    if (!result.ok()) return result.error();
    steps.push_back(std::move(*result));
  }

  std::map<std::string, std::vector<Report>> fields;  // sorted: results and conflicts come out ordered
  std::size_t reported = 0;
  std::vector<json::Value> errors;
  for (const StepResult& step : steps) {
    if (step.output == nullptr) {
      errors.push_back(error_json(step));
      continue;
    }
    for (const auto& [field, value] : step.output->members()) {
      if (++reported > kMaxSynthesizedFields)
        return bad_input("steps", "more than " + std::to_string(kMaxSynthesizedFields) + " output fields");
      fields[field].push_back({&step, jcs::serialize(value), &value});
    }
  }

  std::vector<json::Value::Member> results;
  std::vector<json::Value> conflicts;
  for (const auto& [field, reports] : fields) {
    const bool agree = std::all_of(reports.begin(), reports.end(),
                                   [&](const Report& r) { return r.canonical == reports.front().canonical; });
    if (agree) {
      results.emplace_back(field, *reports.front().value);
      continue;
    }
    const Resolution resolution = resolve(reports);
    results.emplace_back(field, *resolution.chosen->value);
    conflicts.push_back(conflict_json(field, reports, resolution));
  }
  const std::size_t conflict_count = conflicts.size();
  return json::Value::object({{"summary", json::Value::string(summary_text(**goal, steps, conflict_count))},
                              {"results", json::Value::object(std::move(results))},
                              {"conflicts", json::Value::array(std::move(conflicts))},
                              {"errors", json::Value::array(std::move(errors))}});
}

std::vector<std::string> MetaAgent::skills() const { return {"meta.synthesize"}; }

Result<json::Value> MetaAgent::run(std::string_view skill, const json::Value& input, const SkillContext& ctx) {
  if (ctx.cancelled()) return Error("cancelled", "the task was cancelled");
  if (skill == "meta.synthesize") return synthesize(input);
  return Error("unknown_skill", "the Meta-Agent has no skill " + std::string(skill));
}

}  // namespace bizra::ace
