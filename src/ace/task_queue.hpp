#pragma once
// The engine's run queues (internal to bizra_ace_core): one ordered set per agent (priority
// high to low, then submission order), grouped by the agent's level.
//
// Scheduling rule (pick): levels are served by weighted round-robin, L1:L2:L3:L4 = 8:4:2:1 over a
// fixed cycle of 15 slots. The slot's level is tried first, then L1..L4 in order, so no worker
// idles while anything is runnable, a flood of L4 plans gets at most 1/15 of the dispatches that
// others want (it cannot starve L1 security checks), and L4 still gets its 1/15 under an L1 flood.
// Within a level, the best head among its agents that are below their concurrency limit wins; a
// task of an agent at its limit stays queued and the worker takes something else.
// Not thread-safe: the engine's mutex guards it.

#include <array>
#include <cstddef>
#include <set>

#include "ace/agent.hpp"
#include "ace/task_state.hpp"

namespace bizra::ace::detail {

class TaskQueue {
 public:
  void push(Task* task);
  // Removes a queued task (cancelled or past its deadline before it started).
  void erase(Task* task);
  // The next task to run, given the running count of each agent and the limit; nullptr if none.
  Task* pick(const std::array<std::size_t, 6>& running, std::size_t limit);
  std::size_t depth(Level level) const { return depth_[static_cast<std::size_t>(level) - 1]; }

 private:
  struct Order {
    bool operator()(const Task* a, const Task* b) const {
      if (a->view.request.priority != b->view.request.priority)
        return a->view.request.priority > b->view.request.priority;
      return a->seq < b->seq;
    }
  };
  Task* best_in_level(Level level, const std::array<std::size_t, 6>& running, std::size_t limit) const;

  std::array<std::set<Task*, Order>, 6> by_agent_;  // indexed by AgentKind
  std::array<std::size_t, 4> depth_{};              // L1..L4
  std::size_t cursor_ = 0;
};

}  // namespace bizra::ace::detail
