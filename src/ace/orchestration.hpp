#pragma once
// The state of one "meta.orchestrate" task (internal to the engine; I/O free, so that the DAG
// rules are testable without threads): which plan steps are ready, what each step is given and
// how the plan ends.
//
// Rules: a step is ready when every step it comes after is done. A required step that did not
// succeed makes each dependent fail with "dependency_failed" without running (and so on down the
// DAG); an optional one that failed is passed on as null and its dependents run. The plan fails
// when any required step did not succeed.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ace/plan.hpp"
#include "ace/task.hpp"
#include "base/error.hpp"
#include "codec/json.hpp"

namespace bizra::ace::detail {

// "plan:<first word of the goal>", the word lower-cased and cut to 32 bytes.
std::string plan_route(std::string_view goal);

class Orchestration {
 public:
  enum class Phase : std::uint8_t { kPlanning, kSteps, kSynthesizing, kEvaluating, kDone };

  struct StepState {
    PlanStep step;
    std::string skill;  // the skill chosen among step.skill and step.alternatives
    bool started = false, done = false;
    TaskStatus status = TaskStatus::kQueued;
    std::optional<json::Value> output;
    std::optional<Error> error;
    std::int64_t duration_ms = 0;
  };

  explicit Orchestration(std::string goal);

  const std::string& goal() const { return goal_; }
  const std::string& route() const { return route_; }
  Phase phase() const { return phase_; }
  void set_phase(Phase phase) { phase_ = phase; }

  void set_plan(Plan plan);
  const Plan& plan() const { return plan_; }
  std::size_t step_count() const { return steps_.size(); }
  const StepState& step(std::size_t i) const { return steps_[i]; }
  // The route of the choice among a step's skills: "<plan route>/<step id>".
  std::string step_route(std::size_t i) const;

  // Resolves the steps that can no longer run (a required dependency failed) and returns the
  // indexes of those that can run now, marking them started. `choose` picks the skill of each.
  std::vector<std::size_t> take_ready();
  void set_skill(std::size_t i, std::string skill) { steps_[i].skill = std::move(skill); }
  // The step's input with "deps": {"<id>": output or null} added.
  json::Value step_input(std::size_t i) const;
  void finish_step(std::size_t i, TaskStatus status, std::optional<json::Value> output, std::optional<Error> error,
                   std::int64_t duration_ms);
  bool steps_done() const;
  bool any_step_running() const;

  json::Value synthesize_input() const;
  json::Value evaluate_input() const;
  // The first required step that did not succeed, as the plan's error; nullopt when all did.
  std::optional<Error> failure() const;

 private:
  bool required_dependency_failed(const StepState& s) const;
  const StepState* find(std::string_view id) const;

  std::string goal_;
  std::string route_;
  Phase phase_ = Phase::kPlanning;
  Plan plan_;
  std::vector<StepState> steps_;  // plan order (topological)
};

}  // namespace bizra::ace::detail
