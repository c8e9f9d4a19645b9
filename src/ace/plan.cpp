#include "ace/plan.hpp"

#include <algorithm>
#include <unordered_map>

#include "ace/json_util.hpp"

namespace bizra::ace {

namespace {

constexpr std::size_t kMaxIdBytes = 32;
constexpr std::size_t kMaxAlternatives = 8;
constexpr std::string_view kOrchestrate = "meta.orchestrate";

Error bad_plan(std::string_view where, std::string_view what) {
  return Error("bad_plan", std::string(where) + ": " + std::string(what));
}

std::string step_where(std::size_t index, std::string_view field) {
  return "steps[" + std::to_string(index) + "]." + std::string(field);
}

bool is_step_id(std::string_view id) {
  return !id.empty() && id.size() <= kMaxIdBytes && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A skill a plan may name: "<agent>.<verb>" of a known agent, never the orchestrator itself
// (a plan that orchestrates would recurse without bound).
Status check_skill(const json::Value& v, const std::string& where) {
  if (!v.is_string() || !detail::is_skill_name(v.as_string()))
    return bad_plan(where, "expected \"<agent>.<verb>\" with a known agent");
  if (v.as_string() == kOrchestrate) return bad_plan(where, "\"meta.orchestrate\" may not appear in a plan");
  return ok_status();
}

Result<std::vector<std::string>> read_string_list(const json::Value& v, const std::string& where,
                                                  std::size_t max_items) {
  if (!v.is_array()) return bad_plan(where, "expected an array of strings");
  if (v.items().size() > max_items) return bad_plan(where, "more than " + std::to_string(max_items) + " entries");
  std::vector<std::string> out;
  for (const json::Value& item : v.items()) {
    if (!item.is_string()) return bad_plan(where, "expected an array of strings");
    if (std::find(out.begin(), out.end(), item.as_string()) != out.end())
      return bad_plan(where, "\"" + item.as_string() + "\" appears twice");
    out.push_back(item.as_string());
  }
  return out;
}

Result<PlanStep> read_step(const json::Value& v, std::size_t index, std::size_t max_steps) {
  if (!v.is_object()) return bad_plan("steps[" + std::to_string(index) + "]", "expected an object");
  if (const auto* extra = detail::unknown_member(v, {"id", "skill", "input", "after", "optional", "alternatives"}))
    return bad_plan(step_where(index, extra->first), "unknown member");
  PlanStep step;
  const json::Value* id = v.find("id");
  if (id == nullptr || !id->is_string() || !is_step_id(id->as_string()))
    return bad_plan(step_where(index, "id"), "expected [a-z0-9_]{1,32}");
  step.id = id->as_string();
  const json::Value* skill = v.find("skill");
  if (skill == nullptr) return bad_plan(step_where(index, "skill"), "missing");
  BIZRA_TRY(check_skill(*skill, step_where(index, "skill")));
  step.skill = skill->as_string();
  if (const auto* input = v.find("input")) {
    if (!input->is_object()) return bad_plan(step_where(index, "input"), "expected an object");
    step.input = *input;
  }
  if (const auto* after = v.find("after")) {
    auto ids = read_string_list(*after, step_where(index, "after"), max_steps);
    if (!ids) return ids.error();
    step.after = std::move(*ids);
  }
  if (const auto* optional = v.find("optional")) {
    if (!optional->is_bool()) return bad_plan(step_where(index, "optional"), "expected a boolean");
    step.optional = optional->as_bool();
  }
  if (const auto* alternatives = v.find("alternatives")) {
    auto skills = read_string_list(*alternatives, step_where(index, "alternatives"), kMaxAlternatives);
    if (!skills) return skills.error();
    for (std::size_t i = 0; i < skills->size(); ++i)
      BIZRA_TRY(check_skill(alternatives->items()[i], step_where(index, "alternatives")));
    step.alternatives = std::move(*skills);
  }
  return step;
}

// Kahn's algorithm, always taking the earliest ready step in document order, so that the order
// is deterministic and a plan already in order is left as written. Plans are small (bounded by
// max_steps), so the quadratic scan is cheaper than a heap.
Result<std::vector<PlanStep>> topological_order(std::vector<PlanStep> steps) {
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < steps.size(); ++i) index.emplace(steps[i].id, i);
  std::vector<std::size_t> missing(steps.size());  // unplaced dependencies of each step
  std::vector<std::vector<std::size_t>> dependents(steps.size());
  for (std::size_t i = 0; i < steps.size(); ++i) {
    for (const std::string& dep : steps[i].after) {
      const auto it = index.find(dep);
      if (it == index.end()) return bad_plan(step_where(i, "after"), "unknown step \"" + dep + "\"");
      dependents[it->second].push_back(i);
      ++missing[i];
    }
  }
  std::vector<bool> placed(steps.size(), false);
  std::vector<std::size_t> order;
  order.reserve(steps.size());
  while (order.size() < steps.size()) {
    std::size_t next = 0;
    while (next < steps.size() && (placed[next] || missing[next] != 0)) ++next;
    if (next == steps.size()) return bad_plan("steps", "the \"after\" references form a cycle");
    placed[next] = true;
    order.push_back(next);
    for (std::size_t d : dependents[next]) --missing[d];
  }
  std::vector<PlanStep> out;
  out.reserve(steps.size());
  for (std::size_t i : order) out.push_back(std::move(steps[i]));
  return out;
}

}  // namespace

Result<Plan> parse_plan(const json::Value& value, std::size_t max_steps) {
  if (!value.is_object()) return bad_plan("plan", "expected an object");
  // "planner" and "fallback_reason" are the Architect's notes on how the plan was made (LLM or
  // rules, and why it fell back); they do not change what runs.
  if (const auto* extra = detail::unknown_member(value, {"goal", "steps", "planner", "fallback_reason"}))
    return bad_plan(extra->first, "unknown member");
  for (std::string_view note : {"planner", "fallback_reason"}) {
    const json::Value* v = value.find(note);
    if (v != nullptr && (!v->is_string() || v->as_string().size() > kMaxPlanGoalBytes))
      return bad_plan(note, "expected a string of at most " + std::to_string(kMaxPlanGoalBytes) + " bytes");
  }
  Plan plan;
  const json::Value* goal = value.find("goal");
  if (goal == nullptr || !goal->is_string() || goal->as_string().size() > kMaxPlanGoalBytes)
    return bad_plan("goal", "expected a string of at most " + std::to_string(kMaxPlanGoalBytes) + " bytes");
  plan.goal = goal->as_string();
  const json::Value* steps = value.find("steps");
  if (steps == nullptr || !steps->is_array()) return bad_plan("steps", "expected an array");
  if (steps->items().empty()) return bad_plan("steps", "empty");
  if (steps->items().size() > max_steps) return bad_plan("steps", "more than " + std::to_string(max_steps) + " steps");
  std::vector<PlanStep> parsed;
  for (std::size_t i = 0; i < steps->items().size(); ++i) {
    auto step = read_step(steps->items()[i], i, max_steps);
    if (!step) return step.error();
    const bool duplicate =
        std::any_of(parsed.begin(), parsed.end(), [&](const PlanStep& s) { return s.id == step->id; });
    if (duplicate) return bad_plan(step_where(i, "id"), "\"" + step->id + "\" is not unique");
    parsed.push_back(std::move(*step));
  }
  auto ordered = topological_order(std::move(parsed));
  if (!ordered) return ordered.error();
  plan.steps = std::move(*ordered);
  return plan;
}

json::Value plan_to_json(const Plan& plan) {
  std::vector<json::Value> steps;
  steps.reserve(plan.steps.size());
  for (const PlanStep& s : plan.steps) {
    steps.push_back(json::Value::object({{"id", json::Value::string(s.id)},
                                         {"skill", json::Value::string(s.skill)},
                                         {"input", s.input},
                                         {"after", detail::json_strings(s.after)},
                                         {"optional", json::Value::boolean(s.optional)},
                                         {"alternatives", detail::json_strings(s.alternatives)}}));
  }
  return json::Value::object(
      {{"goal", json::Value::string(plan.goal)}, {"steps", json::Value::array(std::move(steps))}});
}

}  // namespace bizra::ace
