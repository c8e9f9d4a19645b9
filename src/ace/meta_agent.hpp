#pragma once
// The Meta-Agent (L4, ../shared/spec/ace.md). "meta.orchestrate" is run by the engine itself
// (ace/engine.hpp); the agent serves the synthesis at its end:
//
//   meta.synthesize {goal, steps: {"<step id>": {skill, status, optional?, output? | error?:
//                    {code, message}}}}
//                   -> {summary, results, conflicts:[{field, values:[{step, skill, value}],
//                       chosen, chosen_step, reason}], errors:[{step, skill, status, optional,
//                       code, message}]}
//
// results merges the top-level fields of the outputs of the succeeded steps (each output must be
// an object). Steps that report one field with different values conflict; the rule, in order:
//   "security_step": a security.* step reported the field: the security steps' value wins
//                    (among several security steps, their majority, then the earliest of them);
//   "majority":      the value most steps reported, when it is the only one with that count;
//   "earliest_step": otherwise the value of the earliest step (the order of `steps` as given)
//                    among those reporting a most-reported value.
// Values compare by their canonical JSON (RFC 8785), so 1 and 1.0 agree. The output is
// deterministic; serialize it with jcs::serialize (sorted keys). Conflicts are sorted by field.
// Errors: "unknown_skill", "bad_input" (the message names the field), "cancelled".

#include <string>
#include <string_view>
#include <vector>

#include "ace/agent.hpp"

namespace bizra::ace {

inline constexpr std::size_t kMaxSynthesizedSteps = 256;
inline constexpr std::size_t kMaxSynthesizedFields = 4096;  // output fields of all steps together

class MetaAgent final : public Agent {
 public:
  AgentKind kind() const override { return AgentKind::kMeta; }
  std::vector<std::string> skills() const override;
  Result<json::Value> run(std::string_view skill, const json::Value& input, const SkillContext& ctx) override;
  // Synthesis is a function of its input.
  bool rerunnable(std::string_view) const override { return true; }
};

// The synthesis itself (what "meta.synthesize" runs), for callers without an agent.
Result<json::Value> synthesize(const json::Value& input);

}  // namespace bizra::ace
