#include "ace/reflection_agent.hpp"

#include <algorithm>
#include <cassert>

#include "ace/json_util.hpp"
#include "ace/skill_input.hpp"
#include "ace/task.hpp"

namespace bizra::ace {

namespace {

using detail::bad_input;

constexpr std::size_t kMaxGoalBytes = kMaxTaskInputBytes;  // a goal is part of a task input
constexpr std::size_t kMaxStepIdBytes = 64;
constexpr std::size_t kMaxSkillBytes = 128;
constexpr std::uint64_t kMaxDurationMs = 86'400'000;  // a day: far above any deadline
constexpr std::size_t kLessonGoalBytes = 200;
constexpr std::size_t kLessonListedSteps = 16;
// The candidate under which evaluate() records a whole route's outcome.
constexpr std::string_view kWholeRoute = "*";

struct StepRecord {
  std::string id, skill, status;
  bool optional = false;
  std::uint64_t duration_ms = 0, budget_ms = 0;
  bool negative_verdict = false;
};

bool is_step_status(std::string_view status) {
  for (TaskStatus s : {TaskStatus::kQueued, TaskStatus::kRunning, TaskStatus::kSucceeded, TaskStatus::kFailed,
                       TaskStatus::kTimedOut, TaskStatus::kCancelled})
    if (task_status_name(s) == status) return true;
  return status == "skipped";  // a dependent of a failed step, never run
}

bool is_security_skill(std::string_view skill) { return agent_for_skill(skill) == AgentKind::kSecurity; }

// A security verdict the step's output reports as negative ({"valid": false}, {"allowed": false}).
bool has_negative_verdict(const json::Value* output) {
  if (output == nullptr) return false;
  for (std::string_view field : {"valid", "allowed"}) {
    const json::Value* verdict = output->find(field);
    if (verdict != nullptr && verdict->is_bool() && !verdict->as_bool()) return true;
  }
  return false;
}

Result<StepRecord> read_step(const json::Value& step, const std::string& where) {
  if (!step.is_object()) return bad_input(where, "must be an object");
  StepRecord out;
  auto id = detail::read_string(step, "id", kMaxStepIdBytes, true);
  if (!id.ok()) return id.error().with_context(where);
  out.id = **id;
  auto skill = detail::read_string(step, "skill", kMaxSkillBytes, true);
  if (!skill.ok()) return skill.error().with_context(where);
  if (!detail::is_skill_name(**skill)) return bad_input(where + ".skill", "not a skill name");
  out.skill = **skill;
  auto agent = detail::read_string(step, "agent", kMaxSkillBytes, false);
  if (!agent.ok()) return agent.error().with_context(where);
  const std::optional<AgentKind> kind = *agent ? agent_from_name(**agent) : agent_for_skill(out.skill);
  if (!kind) return bad_input(where + ".agent", "unknown agent");
  auto status = detail::read_string(step, "status", 16, true);
  if (!status.ok()) return status.error().with_context(where);
  if (!is_step_status(**status)) return bad_input(where + ".status", "not a task status or \"skipped\"");
  out.status = **status;
  auto optional = detail::read_bool(step, "optional", false);
  if (!optional.ok()) return optional.error().with_context(where);
  out.optional = *optional;
  if (step.find("duration_ms") == nullptr) return bad_input(where + ".duration_ms", "missing");
  auto duration = detail::read_count(step, "duration_ms", kMaxDurationMs, 0);
  if (!duration.ok()) return duration.error().with_context(where);
  out.duration_ms = *duration;
  const auto default_budget = static_cast<std::uint64_t>(latency_budget(*kind).count());
  auto budget = detail::read_count(step, "budget_ms", kMaxDurationMs, default_budget);
  if (!budget.ok()) return budget.error().with_context(where);
  out.budget_ms = *budget;
  out.negative_verdict = is_security_skill(out.skill) && has_negative_verdict(step.find("output"));
  return out;
}

IhsanCounts count_steps(const std::vector<StepRecord>& steps) {
  IhsanCounts counts;
  for (const StepRecord& step : steps) {
    const bool succeeded = step.status == "succeeded";
    ++counts.steps;
    if (step.duration_ms <= step.budget_ms) ++counts.within_budget;
    if (!step.optional) {
      ++counts.required;
      if (succeeded) ++counts.required_succeeded;
    }
    if (is_security_skill(step.skill) && (!succeeded || step.negative_verdict)) counts.safe = false;
  }
  return counts;
}

std::string permille_text(std::uint32_t permille) { return detail::json_double(permille / 1000.0).number_text(); }

// Up to kLessonListedSteps items "a; b; c", then "and N more".
std::string listing(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < kLessonListedSteps; ++i) out += (i ? "; " : "") + items[i];
  if (items.size() > kLessonListedSteps) out += "; and " + std::to_string(items.size() - kLessonListedSteps) + " more";
  return out;
}

std::string lesson_text(std::string_view goal, std::string_view route, const IhsanScore& score,
                        const std::vector<StepRecord>& steps) {
  std::vector<std::string> failed, slow;
  for (const StepRecord& s : steps) {
    if (s.status != "succeeded")
      failed.push_back(s.id + " (" + s.skill + ", " + s.status + (s.optional ? ", optional" : "") + ")");
    else if (s.negative_verdict)
      failed.push_back(s.id + " (" + s.skill + ", negative verdict)");
    if (s.duration_ms > s.budget_ms)
      slow.push_back(s.id + " (" + s.skill + ", " + std::to_string(s.duration_ms) + " ms > " +
                     std::to_string(s.budget_ms) + " ms)");
  }
  std::string text = "Route " + std::string(route) + ": " + (score.pass ? "pass" : "fail") + " (ihsan " +
                     permille_text(score.ihsan_permille) + ": accuracy " + permille_text(score.accuracy_permille) +
                     ", safety " + permille_text(score.safety_permille) + ", efficiency " +
                     permille_text(score.efficiency_permille) + ") for goal \"" +
                     detail::utf8_prefix(goal, kLessonGoalBytes) + "\"; " + std::to_string(steps.size()) + " steps.";
  if (!failed.empty()) text += " Failed: " + listing(failed) + ".";
  if (!slow.empty()) text += " Slow: " + listing(slow) + ".";
  return text;
}

json::Value permille_json(std::uint32_t permille) { return detail::json_double(permille / 1000.0); }

}  // namespace

IhsanScore score_ihsan(const IhsanCounts& counts) {
  assert(counts.required_succeeded <= counts.required && counts.within_budget <= counts.steps);
  // accuracy = s/r and efficiency = e/n; an empty denominator reads as a perfect score.
  const std::uint64_t r = counts.required == 0 ? 1 : counts.required;
  const std::uint64_t s = counts.required == 0 ? 1 : counts.required_succeeded;
  const std::uint64_t n = counts.steps == 0 ? 1 : counts.steps;
  const std::uint64_t e = counts.steps == 0 ? 1 : counts.within_budget;
  const std::uint64_t safe = counts.safe ? 1 : 0;
  // 10 · (0.4·s/r + 0.3·safe + 0.3·e/n) · r·n, exactly:
  const std::uint64_t weighted = 4 * s * n + 3 * safe * r * n + 3 * e * r;
  IhsanScore score;
  score.accuracy_permille = static_cast<std::uint32_t>(1000 * s / r);
  score.safety_permille = static_cast<std::uint32_t>(1000 * safe);
  score.efficiency_permille = static_cast<std::uint32_t>(1000 * e / n);
  score.ihsan_permille = static_cast<std::uint32_t>(100 * weighted / (r * n));
  // floor(1000·x) ≥ 850 ⇔ x ≥ 0.85 because 850 is whole: the gate and the report agree.
  score.pass = score.ihsan_permille >= kIhsanThresholdPermille;
  return score;
}

ReflectionAgent::ReflectionAgent(KnowledgeStore& knowledge, ReflectionOptions options,
                                 std::map<RouteKey, RouteCount> counts)
    : knowledge_(knowledge), options_(options), counts_(std::move(counts)), rng_(options.seed) {}

Result<std::unique_ptr<ReflectionAgent>> ReflectionAgent::open(KnowledgeStore& knowledge, ReflectionOptions options) {
  auto stored = knowledge.route_counts();
  if (!stored.ok()) return stored.error();
  std::map<RouteKey, RouteCount> counts;
  for (RouteCount& count : *stored) {
    if (counts.size() >= options.max_routes) break;
    RouteKey key{count.route, count.candidate};
    counts.emplace(std::move(key), std::move(count));
  }
  return std::unique_ptr<ReflectionAgent>(new ReflectionAgent(knowledge, options, std::move(counts)));
}

std::vector<std::string> ReflectionAgent::skills() const {
  return {"reflection.choose", "reflection.evaluate", "reflection.stats"};
}

Result<json::Value> ReflectionAgent::run(std::string_view skill, const json::Value& input, const SkillContext& ctx) {
  if (ctx.cancelled()) return Error("cancelled", "the task was cancelled");
  if (skill == "reflection.evaluate") return evaluate(input);
  if (skill == "reflection.stats") return stats_json(input);
  if (skill == "reflection.choose") return choose_json(input);
  return Error("unknown_skill", "the Reflection agent has no skill " + std::string(skill));
}

Result<json::Value> ReflectionAgent::evaluate(const json::Value& input) {
  BIZRA_TRY(detail::expect_object(input, {"goal", "route", "steps"}));
  auto goal = detail::read_string(input, "goal", kMaxGoalBytes, true);
  if (!goal.ok()) return goal.error();
  auto route = detail::read_string(input, "route", kMaxRouteNameBytes, true);
  if (!route.ok()) return route.error();
  if ((*route)->empty()) return bad_input("route", "empty");
  const json::Value* steps_json = input.find("steps");
  if (steps_json == nullptr || !steps_json->is_array() || steps_json->items().empty() ||
      steps_json->items().size() > kMaxEvaluatedSteps)
    return bad_input("steps", "an array of 1.." + std::to_string(kMaxEvaluatedSteps) + " steps");
  std::vector<StepRecord> steps;
  for (std::size_t i = 0; i < steps_json->items().size(); ++i) {
    auto step = read_step(steps_json->items()[i], "steps[" + std::to_string(i) + "]");
    if (!step.ok()) return step.error();
    steps.push_back(std::move(*step));
  }

  const IhsanScore score = score_ihsan(count_steps(steps));
  NewKnowledge lesson;
  lesson.text = lesson_text(**goal, **route, score, steps);
  lesson.tags = {"lesson", **route, score.pass ? "pass" : "fail"};
  lesson.source = "reflection";
  auto lesson_id = knowledge_.put(lesson);
  if (!lesson_id.ok()) return lesson_id.error();
  record(**route, kWholeRoute, score.pass);

  return json::Value::object({{"ihsan", permille_json(score.ihsan_permille)},
                              {"accuracy", permille_json(score.accuracy_permille)},
                              {"safety", permille_json(score.safety_permille)},
                              {"efficiency", permille_json(score.efficiency_permille)},
                              {"pass", json::Value::boolean(score.pass)},
                              {"lesson_id", json::Value::string(*lesson_id)}});
}

Result<json::Value> ReflectionAgent::stats_json(const json::Value& input) const {
  BIZRA_TRY(detail::expect_object(input, {}));
  std::vector<json::Value> routes;
  for (const RouteCount& c : stats())
    routes.push_back(json::Value::object({{"route", json::Value::string(c.route)},
                                          {"candidate", json::Value::string(c.candidate)},
                                          {"successes", detail::json_uint(c.successes)},
                                          {"failures", detail::json_uint(c.failures)}}));
  return json::Value::object({{"routes", json::Value::array(std::move(routes))},
                              {"persist_errors", detail::json_uint(persist_errors())}});
}

Result<json::Value> ReflectionAgent::choose_json(const json::Value& input) {
  BIZRA_TRY(detail::expect_object(input, {"route", "candidates"}));
  auto route = detail::read_string(input, "route", kMaxRouteNameBytes, true);
  if (!route.ok()) return route.error();
  if ((*route)->empty()) return bad_input("route", "empty");
  auto candidates = detail::read_strings(input, "candidates", kMaxRouteCandidates, kMaxRouteNameBytes);
  if (!candidates.ok()) return candidates.error();
  if (candidates->empty()) return bad_input("candidates", "at least one candidate");
  const std::size_t index = choose(**route, *candidates);
  return json::Value::object({{"chosen", json::Value::string((*candidates)[index])}, {"index", detail::json_uint(index)}});
}

double ReflectionAgent::sample_beta(std::uint64_t successes, std::uint64_t failures) {
  // Beta(a, b) = X / (X + Y) with X ~ Gamma(a, 1), Y ~ Gamma(b, 1).
  std::gamma_distribution<double> x_dist(1.0 + static_cast<double>(successes), 1.0);
  std::gamma_distribution<double> y_dist(1.0 + static_cast<double>(failures), 1.0);
  const double x = x_dist(rng_);
  const double y = y_dist(rng_);
  return x + y > 0 ? x / (x + y) : 0.5;
}

std::size_t ReflectionAgent::choose(std::string_view route, const std::vector<std::string>& candidates) {
  if (candidates.size() < 2) return 0;
  std::lock_guard lock(mutex_);
  std::size_t best = 0;
  double best_sample = -1;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto it = counts_.find(RouteKey{std::string(route), candidates[i]});
    const double sample = it == counts_.end() ? sample_beta(0, 0) : sample_beta(it->second.successes, it->second.failures);
    if (sample > best_sample) {
      best = i;
      best_sample = sample;
    }
  }
  return best;
}

void ReflectionAgent::record(std::string_view route, std::string_view candidate, bool success) {
  std::lock_guard lock(mutex_);
  RouteKey key{std::string(route), std::string(candidate)};
  const auto it = counts_.find(key);
  if (it == counts_.end() && counts_.size() >= options_.max_routes) return;
  RouteCount updated = it == counts_.end() ? RouteCount{key.first, key.second, 0, 0} : it->second;
  ++(success ? updated.successes : updated.failures);
  if (Status s = knowledge_.put_route_count(updated); !s.ok()) {
    if (s.error().code() == "bad_input") return;  // a name the store refuses (empty, oversized) is not tracked
    ++persist_errors_;
  }
  counts_.insert_or_assign(std::move(key), std::move(updated));
}

std::vector<RouteCount> ReflectionAgent::stats() const {
  std::lock_guard lock(mutex_);
  std::vector<RouteCount> out;
  for (const auto& [key, count] : counts_) out.push_back(count);
  return out;
}

std::uint64_t ReflectionAgent::persist_errors() const {
  std::lock_guard lock(mutex_);
  return persist_errors_;
}

}  // namespace bizra::ace
