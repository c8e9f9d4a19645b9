#include "ace/orchestration.hpp"

#include <algorithm>

#include "ace/agent.hpp"
#include "ace/json_util.hpp"

namespace bizra::ace::detail {

namespace {
constexpr std::size_t kMaxRouteWordBytes = 32;

json::Value error_value(const Error& e) {
  return json::Value::object(
      {{"code", json::Value::string(std::string(e.code()))}, {"message", json::Value::string(e.message())}});
}
}  // namespace

std::string plan_route(std::string_view goal) {
  const std::size_t begin = goal.find_first_not_of(" \t\r\n");
  std::string word;
  for (std::size_t i = begin; i != std::string_view::npos && i < goal.size() && word.size() < kMaxRouteWordBytes; ++i) {
    const char c = goal[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') break;
    if (c >= 'A' && c <= 'Z')
      word.push_back(static_cast<char>(c - 'A' + 'a'));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
      word.push_back(c);
  }
  return "plan:" + word;
}

Orchestration::Orchestration(std::string goal) : goal_(std::move(goal)), route_(plan_route(goal_)) {}

void Orchestration::set_plan(Plan plan) {
  plan_ = std::move(plan);
  steps_.clear();
  steps_.reserve(plan_.steps.size());
  for (const PlanStep& s : plan_.steps) {
    StepState state;
    state.step = s;
    state.skill = s.skill;
    steps_.push_back(std::move(state));
  }
  phase_ = Phase::kSteps;
}

std::string Orchestration::step_route(std::size_t i) const { return route_ + "/" + steps_[i].step.id; }

const Orchestration::StepState* Orchestration::find(std::string_view id) const {
  for (const StepState& s : steps_)
    if (s.step.id == id) return &s;
  return nullptr;
}

bool Orchestration::required_dependency_failed(const StepState& s) const {
  return std::any_of(s.step.after.begin(), s.step.after.end(), [&](const std::string& id) {
    const StepState* dep = find(id);
    return dep->done && dep->status != TaskStatus::kSucceeded && !dep->step.optional;
  });
}

std::vector<std::size_t> Orchestration::take_ready() {
  std::vector<std::size_t> ready;
  // Steps are in topological order, so one pass resolves chains of failed dependencies.
  for (std::size_t i = 0; i < steps_.size(); ++i) {
    StepState& s = steps_[i];
    if (s.started || s.done) continue;
    if (required_dependency_failed(s)) {
      s.done = true;
      s.status = TaskStatus::kFailed;
      s.error = Error("dependency_failed", "a required step it comes after did not succeed");
      continue;
    }
    const bool deps_done =
        std::all_of(s.step.after.begin(), s.step.after.end(), [&](const std::string& id) { return find(id)->done; });
    if (!deps_done) continue;
    s.started = true;
    ready.push_back(i);
  }
  return ready;
}

json::Value Orchestration::step_input(std::size_t i) const {
  const StepState& s = steps_[i];
  std::vector<json::Value::Member> deps;
  for (const std::string& id : s.step.after) {
    const StepState* dep = find(id);
    deps.emplace_back(id, dep->output ? *dep->output : json::Value::null());
  }
  std::vector<json::Value::Member> members;
  for (const auto& member : s.step.input.members())
    if (member.first != "deps") members.push_back(member);
  members.emplace_back("deps", json::Value::object(std::move(deps)));
  return json::Value::object(std::move(members));
}

void Orchestration::finish_step(std::size_t i, TaskStatus status, std::optional<json::Value> output,
                                std::optional<Error> error, std::int64_t duration_ms) {
  StepState& s = steps_[i];
  s.done = true;
  s.status = status;
  s.output = std::move(output);
  s.error = std::move(error);
  s.duration_ms = duration_ms;
}

bool Orchestration::steps_done() const {
  return std::all_of(steps_.begin(), steps_.end(), [](const StepState& s) { return s.done; });
}

bool Orchestration::any_step_running() const {
  return std::any_of(steps_.begin(), steps_.end(), [](const StepState& s) { return s.started && !s.done; });
}

json::Value Orchestration::synthesize_input() const {
  std::vector<json::Value::Member> steps;
  for (const StepState& s : steps_) {
    std::vector<json::Value::Member> m{{"skill", json::Value::string(s.skill)},
                                       {"status", json::Value::string(std::string(task_status_name(s.status)))},
                                       {"optional", json::Value::boolean(s.step.optional)}};
    if (s.output) m.emplace_back("output", *s.output);
    if (s.error) m.emplace_back("error", error_value(*s.error));
    steps.emplace_back(s.step.id, json::Value::object(std::move(m)));
  }
  return json::Value::object({{"goal", json::Value::string(goal_)}, {"steps", json::Value::object(std::move(steps))}});
}

json::Value Orchestration::evaluate_input() const {
  std::vector<json::Value> steps;
  for (const StepState& s : steps_) {
    const AgentKind agent = *agent_for_skill(s.skill);
    std::vector<json::Value::Member> step{
        {"id", json::Value::string(s.step.id)},
        {"skill", json::Value::string(s.skill)},
        {"agent", json::Value::string(std::string(agent_name(agent)))},
        {"status", json::Value::string(std::string(task_status_name(s.status)))},
        {"optional", json::Value::boolean(s.step.optional)},
        {"duration_ms", json_int(s.duration_ms)},
        {"budget_ms", json_int(static_cast<std::int64_t>(latency_budget(agent).count()))}};
    // Reflection's safety score reads the Security agent's verdicts ("valid": false, ...).
    if (agent == AgentKind::kSecurity && s.output) step.emplace_back("output", *s.output);
    steps.push_back(json::Value::object(std::move(step)));
  }
  return json::Value::object({{"goal", json::Value::string(goal_)},
                              {"route", json::Value::string(route_)},
                              {"steps", json::Value::array(std::move(steps))}});
}

std::optional<Error> Orchestration::failure() const {
  for (const StepState& s : steps_) {
    if (s.step.optional || s.status == TaskStatus::kSucceeded) continue;
    const std::string why = s.error ? s.error->to_string() : std::string(task_status_name(s.status));
    return Error("step_failed", "step \"" + s.step.id + "\" (" + s.skill + "): " + why);
  }
  return std::nullopt;
}

}  // namespace bizra::ace::detail
