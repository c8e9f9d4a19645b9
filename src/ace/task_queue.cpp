#include "ace/task_queue.hpp"

namespace bizra::ace::detail {

namespace {

// Weighted round-robin cycle: L1 8 slots, L2 4, L3 2, L4 1, interleaved.
constexpr Level kCycle[] = {Level::kL1, Level::kL2, Level::kL1, Level::kL3, Level::kL1,
                            Level::kL2, Level::kL1, Level::kL4, Level::kL1, Level::kL2,
                            Level::kL1, Level::kL3, Level::kL1, Level::kL2, Level::kL1};
constexpr Level kStrictOrder[] = {Level::kL1, Level::kL2, Level::kL3, Level::kL4};

std::size_t index_of(AgentKind kind) { return static_cast<std::size_t>(kind); }
std::size_t index_of(Level level) { return static_cast<std::size_t>(level) - 1; }

}  // namespace

void TaskQueue::push(Task* task) {
  by_agent_[index_of(task->agent)].insert(task);
  ++depth_[index_of(agent_level(task->agent))];
}

void TaskQueue::erase(Task* task) {
  if (by_agent_[index_of(task->agent)].erase(task) != 0) --depth_[index_of(agent_level(task->agent))];
}

Task* TaskQueue::best_in_level(Level level, const std::array<std::size_t, 6>& running, std::size_t limit) const {
  Task* best = nullptr;
  for (AgentKind kind : kAllAgents) {
    if (agent_level(kind) != level || running[index_of(kind)] >= limit) continue;
    const auto& queue = by_agent_[index_of(kind)];
    if (queue.empty()) continue;
    Task* head = *queue.begin();
    if (best == nullptr || Order{}(head, best)) best = head;
  }
  return best;
}

Task* TaskQueue::pick(const std::array<std::size_t, 6>& running, std::size_t limit) {
  const Level slot = kCycle[cursor_];
  Task* task = depth(slot) != 0 ? best_in_level(slot, running, limit) : nullptr;
  for (std::size_t i = 0; task == nullptr && i < std::size(kStrictOrder); ++i)
    if (depth(kStrictOrder[i]) != 0) task = best_in_level(kStrictOrder[i], running, limit);
  if (task == nullptr) return nullptr;
  cursor_ = (cursor_ + 1) % std::size(kCycle);
  erase(task);
  return task;
}

}  // namespace bizra::ace::detail
