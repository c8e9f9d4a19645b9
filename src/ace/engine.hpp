#pragma once
// The ACE engine (../shared/spec/ace.md): runs tasks through the six agents.
//
//   submit ──> per-level bounded priority queue ──> fixed worker pool ──> agent.run(skill)
//                (L1..L4, priority then FIFO)        (per-agent concurrency limits)
//
// - Deadlines: a task past its deadline is cancelled (SkillContext::cancelled) and finishes
//   timed_out, whatever its skill returns afterwards; a queued task past it never starts.
// - Retries: only errors with a retryable code (ace/agent.hpp), with exponential back-off, while
//   the deadline allows.
// - "meta.orchestrate": the Architect plans the goal ("architect.plan" -> plan JSON, see
//   ace/plan.hpp), the engine runs the plan's steps as child tasks (independent steps in
//   parallel, a failed step fails its dependents unless marked optional), then the Meta-Agent
//   synthesizes ("meta.synthesize") and Reflection scores the outcome ("reflection.evaluate").
// - Idempotency: a request whose idempotency_key was seen returns the first task's id.
// - Durability: every state change of a task is written to Column::kAceTasks before it is
//   reported, except the start of a re-runnable skill (Agent::rerunnable); on open(), tasks found
//   queued are queued again and tasks found running are failed with "interrupted" (their skill
//   may have had side effects; re-running is the client's call).
// - Receipts: every finished task gets a receipt signed with the node key (ace/receipt.hpp).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ace/agent.hpp"
#include "ace/receipt.hpp"
#include "ace/task.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"
#include "storage/store.hpp"

namespace bizra::ace {

struct EngineOptions {
  std::size_t workers = 4;                       // fixed pool
  std::size_t queue_capacity_per_level = 10'000;  // submit beyond it: "queue_full"
  std::size_t max_concurrency_per_agent = 4;     // running skills of one agent at once
  std::uint32_t max_attempts = 3;                // first try + retries of retryable errors
  std::chrono::milliseconds retry_backoff{50};   // doubles per retry
  std::size_t max_plan_steps = 64;
  std::size_t max_retained_tasks = 100'000;      // finished records kept in memory (all stay on disk)
  // Sign a receipt for every finished task (Ed25519, on the finisher thread, before the task is
  // reported finished). Off: tasks finish without a receipt (TaskView::receipt stays empty);
  // only for benchmarks and deployments that do not hand out receipts.
  bool sign_receipts = true;
  // How long stop() lets running skills finish on their own before cancelling them.
  std::chrono::milliseconds stop_grace{200};
};

// A snapshot of one task, as GET /ace/tasks/{id} reports it.
struct TaskView {
  std::string id;                  // 32 lowercase hex
  TaskRequest request;
  TaskStatus status = TaskStatus::kQueued;
  std::vector<std::string> agent_path;  // agents that ran for it, in order ("meta", "architect", ...)
  std::optional<json::Value> output;
  std::optional<Error> error;
  std::uint32_t attempts = 0;
  std::string parent_id;               // set on plan steps
  std::vector<std::string> child_ids;  // plan steps of an orchestrate task
  std::int64_t submitted_unix_ms = 0, started_unix_ms = 0, finished_unix_ms = 0;
  std::optional<Receipt> receipt;  // once finished
};
// {"id","type","skill","status","priority","requester","agent_path":[...],"output"|"error",
//  "attempts","parent_id","children":[...],"timings":{...},"receipt":{...}}
std::string task_json(const TaskView& task);

// What /ace/status reports and the metrics exporter reads.
struct AgentState {
  AgentKind kind;
  std::size_t running = 0;
  std::uint64_t succeeded = 0, failed = 0;  // finished tasks served by the agent (all non-success: failed)
};
struct EngineStatus {
  std::vector<AgentState> agents;               // in kAllAgents order
  std::size_t queue_depth[4] = {0, 0, 0, 0};   // L1..L4
  std::size_t running = 0;
  std::uint64_t submitted = 0, finished = 0, succeeded = 0;
};

// Emitted on every state change, after it is durable (but for a re-runnable start, see above);
// listeners run on engine threads and must not block (the WebSocket publisher and the metrics
// exporter are the listeners).
struct TaskEvent {
  enum class Kind { kQueued, kStarted, kFinished };
  Kind kind;
  const TaskView& task;
  AgentKind agent;                        // the agent serving task.request.skill
  std::chrono::microseconds duration{0};  // kFinished: submission to finish
};
using TaskListener = std::function<void(const TaskEvent&)>;

class Engine {
 public:
  // `store` and `routes` (may be null: the first candidate is taken) must outlive the engine.
  // Errors: "bad_config", storage errors while recovering task records.
  static Result<std::unique_ptr<Engine>> open(storage::Store& store, crypto::SecretKey node_key,
                                              std::vector<std::unique_ptr<Agent>> agents, RoutePolicy* routes,
                                              EngineOptions options = {});
  ~Engine();  // stop()s
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Call before start(): listeners are not synchronized with running workers.
  void add_listener(TaskListener listener);
  void start();
  // Stops taking tasks, cancels running ones (they finish "cancelled" with reason "shutdown"
  // only if they do not finish on their own within a short grace), joins the workers.
  void stop();

  // Queues a task; returns its id (the first task's id for a known idempotency key).
  // Errors: "unknown_skill", "bad_request", "queue_full", "stopped", storage errors.
  Result<std::string> submit(TaskRequest request);
  std::optional<TaskView> get(std::string_view id) const;
  // Waits until the task is finished or `timeout` passes (then returns its current state).
  std::optional<TaskView> wait(std::string_view id, std::chrono::milliseconds timeout) const;
  // Errors: "not_found", "already_finished".
  Status cancel(std::string_view id);

  EngineStatus status() const;
  const crypto::PublicKey& node_public_key() const;
  std::vector<std::string> skills() const;  // every skill of every agent, sorted

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bizra::ace
