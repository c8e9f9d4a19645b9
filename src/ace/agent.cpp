#include "ace/agent.hpp"

#include <algorithm>

namespace bizra::ace {

namespace {

struct AgentRow {
  AgentKind kind;
  std::string_view name;
  std::string_view display_name;
  Level level;
  std::chrono::milliseconds budget;
};

// The spec's table (ace.md), in kAllAgents order.
constexpr AgentRow kAgentTable[] = {
    {AgentKind::kMeta, "meta", "Meta-Agent", Level::kL4, std::chrono::milliseconds(2000)},
    {AgentKind::kArchitect, "architect", "Architect", Level::kL3, std::chrono::milliseconds(1000)},
    {AgentKind::kReflection, "reflection", "Reflection", Level::kL3, std::chrono::milliseconds(1000)},
    {AgentKind::kOperations, "operations", "Operations", Level::kL2, std::chrono::milliseconds(500)},
    {AgentKind::kMemory, "memory", "Memory", Level::kL2, std::chrono::milliseconds(500)},
    {AgentKind::kSecurity, "security", "Security", Level::kL1, std::chrono::milliseconds(100)},
};

const AgentRow& row(AgentKind kind) { return kAgentTable[static_cast<std::size_t>(kind)]; }

}  // namespace

std::string_view agent_name(AgentKind kind) { return row(kind).name; }
std::string_view agent_display_name(AgentKind kind) { return row(kind).display_name; }
Level agent_level(AgentKind kind) { return row(kind).level; }
std::chrono::milliseconds latency_budget(AgentKind kind) { return row(kind).budget; }

std::optional<AgentKind> agent_from_name(std::string_view name) {
  for (const AgentRow& r : kAgentTable)
    if (r.name == name) return r.kind;
  return std::nullopt;
}

std::optional<AgentKind> agent_for_skill(std::string_view skill) {
  const std::size_t dot = skill.find('.');
  if (dot == std::string_view::npos || dot + 1 == skill.size()) return std::nullopt;
  return agent_from_name(skill.substr(0, dot));
}

bool is_retryable(std::string_view code) {
  return std::find(std::begin(kRetryableCodes), std::end(kRetryableCodes), code) != std::end(kRetryableCodes);
}

}  // namespace bizra::ace
