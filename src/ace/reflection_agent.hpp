#pragma once
// The Reflection agent (L3, ../shared/spec/ace.md): scores outcomes with the Ihsan gate, writes
// lessons to Memory, keeps per-route success statistics and chooses routes by Thompson sampling.
//
//   reflection.evaluate {goal, route, steps:[{id, skill, agent?, status, optional?, duration_ms,
//                        budget_ms?, output?}]}
//                       -> {ihsan, accuracy, safety, efficiency, pass, lesson_id}
//   reflection.stats    {} -> {routes:[{route, candidate, successes, failures}], persist_errors}
//   reflection.choose   {route, candidates:[...]} -> {chosen, index}
// Errors: "unknown_skill", "bad_input" (the message names the field), "cancelled", storage
// errors (writing the lesson).
//
// The gate, 0.4·accuracy + 0.3·safety + 0.3·efficiency ≥ 0.85, where
//   accuracy   = succeeded required (non-optional) steps / required steps (1 when none),
//   safety     = 0 when any "security.*" step did not succeed (failed, timed out, cancelled,
//                skipped: an unchecked step is not a safe one) or reported a negative verdict
//                (its output has "valid" or "allowed" = false); else 1,
//   efficiency = steps with duration_ms ≤ budget (budget_ms, default the agent's p95 budget)
//                / all steps,
// is decided in exact integer arithmetic on the step counts, never in floating point, so 0.85
// passes and anything below fails however the fractions round. Reported values are per-mille,
// rounded down (ihsan is rounded down from the exact sum, not summed from rounded parts), so
// pass == (ihsan ≥ 0.85) holds for the reported numbers too.
//
// evaluate records its outcome as (route, "*") in the route statistics (success = pass); the
// engine records per-candidate outcomes through RoutePolicy::record.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ace/agent.hpp"
#include "ace/knowledge.hpp"

namespace bizra::ace {

inline constexpr std::uint32_t kIhsanThresholdPermille = 850;
inline constexpr std::size_t kMaxEvaluatedSteps = 256;
inline constexpr std::size_t kMaxRouteCandidates = 64;

// Step counts the gate is computed from. Precondition: every count ≤ kMaxEvaluatedSteps · 2^16
// (the exact arithmetic stays far inside 64 bits).
struct IhsanCounts {
  std::uint64_t required = 0, required_succeeded = 0;
  std::uint64_t steps = 0, within_budget = 0;
  bool safe = true;
};

struct IhsanScore {
  std::uint32_t accuracy_permille = 0, safety_permille = 0, efficiency_permille = 0;
  std::uint32_t ihsan_permille = 0;  // floor(1000 · exact weighted sum)
  bool pass = false;                 // exact weighted sum ≥ 0.85
};

IhsanScore score_ihsan(const IhsanCounts& counts);

struct ReflectionOptions {
  std::uint64_t seed = 0x1f2e3d4c5b6a7988ULL;  // Thompson sampling's generator (tests fix it)
  std::size_t max_routes = 4096;              // (route, candidate) pairs tracked; more are not
};

class ReflectionAgent final : public Agent, public RoutePolicy {
 public:
  // Loads the route statistics; `knowledge` must outlive the agent. Errors: storage errors.
  static Result<std::unique_ptr<ReflectionAgent>> open(KnowledgeStore& knowledge, ReflectionOptions options = {});

  AgentKind kind() const override { return AgentKind::kReflection; }
  std::vector<std::string> skills() const override;
  Result<json::Value> run(std::string_view skill, const json::Value& input, const SkillContext& ctx) override;
  // stats and choose only read the route statistics; evaluate records lessons.
  bool rerunnable(std::string_view skill) const override { return skill != "reflection.evaluate"; }

  // Thompson sampling: one Beta(1 + successes, 1 + failures) draw per candidate, the largest
  // wins (the first on a tie). 0 for fewer than two candidates.
  std::size_t choose(std::string_view route, const std::vector<std::string>& candidates) override;
  // Counts the outcome and persists it. A storage failure is counted in persist_errors (record
  // cannot report it); the in-memory statistics stay right for this process. Names the store
  // refuses (empty, over kMaxRouteNameBytes, holding NUL) are not tracked.
  void record(std::string_view route, std::string_view candidate, bool success) override;

  std::vector<RouteCount> stats() const;  // sorted by (route, candidate)
  std::uint64_t persist_errors() const;

 private:
  using RouteKey = std::pair<std::string, std::string>;
  ReflectionAgent(KnowledgeStore& knowledge, ReflectionOptions options, std::map<RouteKey, RouteCount> counts);

  Result<json::Value> evaluate(const json::Value& input);
  Result<json::Value> stats_json(const json::Value& input) const;
  Result<json::Value> choose_json(const json::Value& input);
  double sample_beta(std::uint64_t successes, std::uint64_t failures);  // caller holds mutex_

  KnowledgeStore& knowledge_;
  ReflectionOptions options_;
  mutable std::mutex mutex_;
  std::map<RouteKey, RouteCount> counts_;  // guarded by mutex_
  std::mt19937_64 rng_;                    // guarded by mutex_
  std::uint64_t persist_errors_ = 0;       // guarded by mutex_
};

}  // namespace bizra::ace
