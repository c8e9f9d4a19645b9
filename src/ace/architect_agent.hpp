#pragma once
// The Architect agent (L3, 1000 ms budget; ../shared/spec/ace.md): turns a goal into a plan, a
// DAG of skill calls (ace/plan.hpp) that the engine runs.
//
//   architect.plan {"goal": "<text>", ...params}
//     -> {"goal", "steps": [...], "planner": "llm" | "rules", "fallback_reason"?}
//
// "goal" and "steps" form the plan; "planner" says who made it and "fallback_reason" why the
// LLM's plan was not used: notes for people and for Reflection that parse_plan accepts and
// ignores, so the whole output is a plan.
//
// With a TextGenerator the Architect asks it first (the prompt lists the allowed skills, the plan
// schema, the goal and the params), takes the first '{' .. last '}' of the answer as JSON, and
// accepts the plan only if parse_plan does and every skill (and alternative) is allowed. Any
// failure (backend error, no time left before the deadline, no JSON, invalid plan, a skill not
// allowed) falls back to the built-in rule-based planner, which always yields a plan: its intent
// table is in docs/ace-agents.md and in architect_agent.cpp.
//
// Errors: "unknown_skill", "bad_input" (goal missing, not a string, empty or over 4096 bytes).

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ace/agent.hpp"
#include "codec/json.hpp"

namespace bizra::ace {

// What a plan may name by default: every agent skill but the engine's own orchestration steps
// (meta.*, architect.plan, reflection.evaluate/choose).
inline constexpr std::string_view kPlannableSkills[] = {
    "memory.consolidate",  "memory.link",          "memory.neighbourhood",       "memory.recall",
    "memory.store",        "operations.backup",    "operations.checkpoint",      "operations.compact",
    "operations.health",   "operations.metrics_snapshot", "operations.peers",    "reflection.stats",
    "security.check_policy", "security.hash_evidence", "security.verify_attestation",
    "security.verify_signature"};

struct ArchitectOptions {
  // Optional LLM planner; null: rules only. Shared because the node may hand the same backend
  // to other agents. Must be thread-safe (every TextGenerator of ace/llm.hpp is).
  std::shared_ptr<TextGenerator> generator;
  // Upper bound of one LLM call; the call also ends before the task's deadline, keeping
  // `fallback_reserve` for the rule-based plan.
  std::chrono::milliseconds llm_timeout{20'000};
  std::chrono::milliseconds fallback_reserve{50};
  std::size_t max_plan_steps = 64;  // as EngineOptions::max_plan_steps
  // Skills an LLM plan may name; empty: kPlannableSkills.
  std::vector<std::string> allowed_skills;
  std::size_t max_answer_bytes = 64 * 1024;  // longer LLM answers are refused
};

std::unique_ptr<Agent> make_architect_agent(ArchitectOptions options = {});

// The rule-based planner alone: {"goal", "steps"} for `goal` and `params` (a JSON object).
// Deterministic; never empty (an unrecognised goal becomes a memory.recall of its text).
json::Value rule_based_plan(std::string_view goal, const json::Value& params);

}  // namespace bizra::ace
