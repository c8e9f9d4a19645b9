#pragma once
// The engine's in-memory state of one task (internal to bizra_ace_core).
//
// Ownership rule that keeps one lock domain: every field below is changed only while the
// engine's mutex is held, and only by the thread that owns the task's current phase (the
// submitter while it is being written, a worker while it runs, the finisher while it finishes).
// That owner may read the fields without the lock (to encode a record, to run the skill); other
// threads read them only under the lock. `cancel` is the one field written from anywhere.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "ace/agent.hpp"
#include "ace/engine.hpp"
#include "ace/orchestration.hpp"

namespace bizra::ace::detail {

enum class CancelReason : std::uint8_t { kNone, kDeadline, kUser, kShutdown };

// Where the task is in the engine's machinery (TaskView::status is what clients see).
enum class Phase : std::uint8_t { kWriting, kQueued, kDelayed, kRunning, kOrchestrating, kFinishing, kFinished };

// What a child task is to its orchestrate parent.
enum class ChildRole : std::uint8_t { kNone, kPlanner, kStep, kSynthesizer, kEvaluator };

using SteadyTime = std::chrono::steady_clock::time_point;

struct Task final : SkillContext, std::enable_shared_from_this<Task> {
  TaskView view;
  std::string input_canonical;  // RFC 8785 form of view.request.input
  AgentKind agent = AgentKind::kMeta;
  Phase phase = Phase::kWriting;
  SteadyTime submitted_at{};
  SteadyTime deadline_at{};
  SteadyTime not_before{};  // retry back-off
  std::uint64_t seq = 0;    // FIFO order among equal priorities
  std::atomic<CancelReason> cancel{CancelReason::kNone};

  std::multimap<SteadyTime, Task*>::iterator deadline_entry;
  bool has_deadline_entry = false;

  // Orchestration links.
  std::shared_ptr<Task> parent;
  ChildRole role = ChildRole::kNone;
  std::size_t step_index = 0;
  std::unique_ptr<Orchestration> orchestration;  // on "meta.orchestrate" tasks once started
  std::size_t children_running = 0;              // children not finished yet
  std::optional<Error> plan_error;               // the planner failed or its plan was refused
  std::optional<json::Value> synthesis, evaluation;

  bool cancelled() const override { return cancel.load(std::memory_order_relaxed) != CancelReason::kNone; }
  std::chrono::steady_clock::time_point deadline() const override { return deadline_at; }
  std::string_view task_id() const override { return view.id; }
  std::string_view requester() const override { return view.request.requester; }
};

}  // namespace bizra::ace::detail
