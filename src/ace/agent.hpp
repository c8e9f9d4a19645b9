#pragma once
// The contract between the ACE engine (ace/engine.hpp) and the six agents (../shared/spec/ace.md).
//
// An agent is a named set of skills. A skill is a function from a JSON input to a JSON output
// (or an Error); skills are named "<agent>.<verb>" ("memory.recall", "security.hash_evidence"),
// and the prefix names the agent that serves it, which is how the engine routes a step, applies
// the agent's concurrency limit and charges its latency budget.
//
// Skills run on the engine's worker threads, several at once (up to the agent's concurrency
// limit), so an Agent must be thread-safe. A skill that may run long polls ctx.cancelled() and
// returns Error("cancelled", ...) when it is set: the engine enforces deadlines by cancelling,
// never by killing a thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "codec/json.hpp"

namespace bizra::ace {

enum class Level : std::uint8_t { kL1 = 1, kL2 = 2, kL3 = 3, kL4 = 4 };

enum class AgentKind : std::uint8_t { kMeta, kArchitect, kReflection, kOperations, kMemory, kSecurity };

inline constexpr AgentKind kAllAgents[] = {AgentKind::kMeta,       AgentKind::kArchitect, AgentKind::kReflection,
                                           AgentKind::kOperations, AgentKind::kMemory,    AgentKind::kSecurity};

// The spec's table: "meta" L4 2000 ms, "architect" L3 1000 ms, "reflection" L3 1000 ms,
// "operations" L2 500 ms, "memory" L2 500 ms, "security" L1 100 ms.
std::string_view agent_name(AgentKind kind);         // the skill prefix: "meta", "architect", ...
std::string_view agent_display_name(AgentKind kind);  // "Meta-Agent", "Architect", ...
Level agent_level(AgentKind kind);
std::chrono::milliseconds latency_budget(AgentKind kind);  // p95 budget of the spec
std::optional<AgentKind> agent_from_name(std::string_view name);
// The agent serving `skill` ("memory.recall" -> kMemory); nullopt for a malformed or unknown prefix.
std::optional<AgentKind> agent_for_skill(std::string_view skill);

// Error codes a skill returns for failures worth retrying (a backend that was down or slow, a
// resource briefly busy). Every other code is final: retrying a bad input only fails again.
inline constexpr std::string_view kRetryableCodes[] = {"backend_unavailable", "backend_timeout", "circuit_open",
                                                       "busy"};
bool is_retryable(std::string_view code);

// What a running skill may know about its task and must respect.
class SkillContext {
 public:
  virtual ~SkillContext() = default;
  // True once the task's deadline has passed or it was cancelled; the engine reports it
  // timed_out / cancelled whatever the skill returns afterwards.
  virtual bool cancelled() const = 0;
  virtual std::chrono::steady_clock::time_point deadline() const = 0;
  virtual std::string_view task_id() const = 0;
  virtual std::string_view requester() const = 0;
};

class Agent {
 public:
  virtual ~Agent() = default;
  virtual AgentKind kind() const = 0;
  // The full names of the skills this agent serves ("memory.store", ...), sorted.
  virtual std::vector<std::string> skills() const = 0;
  // Runs one skill. Errors: "unknown_skill", "bad_input" (the message names the field), and the
  // skill's own codes (documented beside it).
  virtual Result<json::Value> run(std::string_view skill, const json::Value& input, const SkillContext& ctx) = 0;
  // True when `skill` may run again after a crash cut it short: it only reads, or running it
  // twice has the effect of running it once. The engine then does not record the task's start
  // (one store write less per task) and a restart queues such a task again, where a skill that is
  // not re-runnable finishes "interrupted" (it may have had side effects). Default: not re-runnable.
  virtual bool rerunnable(std::string_view skill) const {
    (void)skill;
    return false;
  }
};

// Chooses among alternative skills for one plan step and learns from outcomes (the Reflection
// agent implements it with Thompson sampling over per-route success statistics). `route` names
// the decision ("plan:<goal kind>"), `candidates` the skills that could serve it.
class RoutePolicy {
 public:
  virtual ~RoutePolicy() = default;
  virtual std::size_t choose(std::string_view route, const std::vector<std::string>& candidates) = 0;
  virtual void record(std::string_view route, std::string_view candidate, bool success) = 0;
};

// A text-generation backend (an LLM behind an HTTP API; ace/llm.hpp). Errors:
// "backend_unavailable" (connection refused/reset, 5xx), "backend_timeout", "circuit_open",
// "backend_bad_answer" (an answer that does not follow the protocol).
class TextGenerator {
 public:
  virtual ~TextGenerator() = default;
  virtual Result<std::string> generate(std::string_view prompt, std::chrono::milliseconds timeout) = 0;
  virtual std::string_view name() const = 0;  // "openai:<model>" / "ollama:<model>"
};

}  // namespace bizra::ace
