#pragma once
// Plans: what the Architect turns a goal into and the engine runs as a DAG.
//
// JSON form (the output of "architect.plan"):
//   {"goal": "...",
//    "steps": [{"id": "verify", "skill": "security.verify_attestation", "input": {...},
//               "after": ["fetch"], "optional": false,
//               "alternatives": ["..."]}, ...]}
//   - id: [a-z0-9_]{1,32}, unique; after: ids of earlier-or-later steps this one needs (no cycles);
//   - input: an object; when the step runs, the engine adds "deps": {"<id>": <output>, ...} with
//     the outputs of its `after` steps (an optional step that failed appears as null);
//   - optional: a failure of this step does not fail its dependents or the plan;
//   - alternatives: other skills that can serve the step; the RoutePolicy picks one of
//     [skill, alternatives...] and learns from the outcome.
//   - "planner" ("llm" | "rules") and "fallback_reason" (strings, optional): the Architect's notes
//     on how it made the plan; informational.
// At most EngineOptions::max_plan_steps steps; "meta.orchestrate" may not appear in a plan.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "codec/json.hpp"

namespace bizra::ace {

// Bound on a plan's goal (and on the goal of a "meta.orchestrate" request, which becomes it).
inline constexpr std::size_t kMaxPlanGoalBytes = 4096;

struct PlanStep {
  std::string id;
  std::string skill;
  std::vector<std::string> alternatives;
  json::Value input = json::Value::object({});
  std::vector<std::string> after;
  bool optional = false;
};

struct Plan {
  std::string goal;
  std::vector<PlanStep> steps;  // in a topological order after parse_plan
};

// Validates shape, ids, references, acyclicity and the step bound; orders steps topologically
// (stable: ties keep document order). Errors: "bad_plan" (the message names the step and field).
Result<Plan> parse_plan(const json::Value& value, std::size_t max_steps);
json::Value plan_to_json(const Plan& plan);

}  // namespace bizra::ace
