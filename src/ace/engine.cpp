#include "ace/engine.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "ace/json_util.hpp"
#include "ace/plan.hpp"
#include "ace/task_codec.hpp"
#include "ace/task_queue.hpp"
#include "ace/task_state.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"

namespace bizra::ace {

using detail::CancelReason;
using detail::ChildRole;
using detail::Orchestration;
using detail::Phase;
using detail::SteadyTime;
using detail::Task;
using Clock = std::chrono::steady_clock;
using TaskPtr = std::shared_ptr<Task>;

namespace {

constexpr std::string_view kOrchestrate = "meta.orchestrate";
constexpr std::string_view kPlanSkill = "architect.plan";
constexpr std::string_view kSynthesizeSkill = "meta.synthesize";
constexpr std::string_view kEvaluateSkill = "reflection.evaluate";
constexpr std::size_t kMaxWorkers = 256;
constexpr std::size_t kMaxRequesterBytes = 256;
constexpr std::uint8_t kMaxPriority = 9;
constexpr std::size_t kTaskIdBytes = 16;

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::size_t agent_index(AgentKind kind) { return static_cast<std::size_t>(kind); }

// The error a cancelled task finishes with, and its status.
std::pair<TaskStatus, Error> cancellation(CancelReason reason, std::uint32_t deadline_ms) {
  switch (reason) {
    case CancelReason::kDeadline:
      return {TaskStatus::kTimedOut,
              Error("deadline_exceeded", "the task passed its deadline of " + std::to_string(deadline_ms) + " ms")};
    case CancelReason::kShutdown:
      return {TaskStatus::kCancelled, Error("shutdown", "the engine stopped before the task finished")};
    case CancelReason::kUser:
    case CancelReason::kNone:
      break;
  }
  return {TaskStatus::kCancelled, Error("cancelled", "cancelled on request")};
}

// An outcome on its way to the finisher thread.
struct Finish {
  TaskPtr task;
  TaskStatus status;
  std::optional<json::Value> output;
  std::string output_canonical;
  std::optional<Error> error;
  // Set by seal() on the thread that produced the outcome, so that workers sign in parallel.
  std::int64_t finished_unix_ms = 0;
  std::optional<Receipt> receipt = std::nullopt;
};

Finish cancelled_finish(TaskPtr task) {
  auto [status, error] = cancellation(task->cancel.load(), task->view.request.deadline_ms);
  return Finish{std::move(task), status, std::nullopt, {}, std::move(error)};
}

// A child task an orchestrate parent is about to start.
struct ChildSpec {
  ChildRole role;
  std::size_t step_index;
  std::string skill;
  json::Value input;
};

}  // namespace

struct Engine::Impl {
  Impl(storage::Store& s, crypto::SecretKey k, RoutePolicy* r, EngineOptions o)
      : store(s), key(std::move(k)), routes(r), options(o) {}

  storage::Store& store;
  crypto::SecretKey key;
  RoutePolicy* routes;
  EngineOptions options;
  std::vector<std::unique_ptr<Agent>> agents;
  std::array<Agent*, 6> agent_by_kind{};
  std::unordered_map<std::string, Agent*> skill_agent;  // immutable after open
  bool orchestrate_available = false;
  crypto::Blake3Key id_key{};
  std::vector<TaskListener> listeners;

  // The one lock domain; never held while a skill runs or the store is written.
  mutable std::mutex mu;
  std::condition_variable work_cv;              // a queued task may be runnable
  mutable std::condition_variable finished_cv;  // some task finished (wait(), stop())
  std::condition_variable timer_cv;             // an earlier deadline or retry time arrived
  std::unordered_map<std::string, TaskPtr> tasks;
  std::unordered_map<std::string, std::string> idempotency;  // idempotency_key() -> task id
  std::deque<TaskPtr> retained;                              // finished tasks in memory, oldest first
  detail::TaskQueue queue;
  std::array<std::size_t, 4> reserved{};  // submissions being written, counted against capacity
  std::multimap<SteadyTime, Task*> deadlines;
  std::multimap<SteadyTime, Task*> delayed;  // retries waiting for their back-off
  std::array<std::size_t, 6> agent_running{};
  std::array<std::uint64_t, 6> agent_succeeded{}, agent_failed{};
  std::size_t running_tasks = 0;
  std::uint64_t submitted = 0, finished = 0, succeeded = 0, next_seq = 0, next_id = 0, last_id_time = 0;
  bool started = false, stopping = false, timer_stop = false;

  // The finisher's inbox (its own small lock: workers hand over outcomes without contending on mu).
  std::mutex finish_mu;
  std::condition_variable finish_cv;
  std::vector<Finish> finish_inbox;
  bool finisher_stop = false;

  std::vector<std::jthread> workers;
  std::jthread timer, finisher;

  // --- setup -------------------------------------------------------------------------------
  Status add_agents(std::vector<std::unique_ptr<Agent>> list);
  Status recover();

  // --- submission --------------------------------------------------------------------------
  Result<std::string> validate(const TaskRequest& request) const;
  Result<std::string> submit(TaskRequest request);
  TaskPtr make_task_locked(TaskRequest request, std::string input_canonical, AgentKind agent);
  std::string next_task_id_locked();
  void enqueue_locked(const TaskPtr& task);
  void add_deadline_locked(Task* task);
  void set_status_locked(Task& task, TaskStatus status);

  // --- running -----------------------------------------------------------------------------
  void worker_loop();
  void run_task(const TaskPtr& task);
  void start_orchestration(const TaskPtr& parent);
  bool schedule_retry(const TaskPtr& task, const Error& error);
  void hand_to_finisher(Finish finish);
  void hand_to_finisher_locked(std::vector<Finish>& finishes);
  void interrupt_locked(Task& task, CancelReason reason, std::vector<Finish>& out);
  void timer_loop();

  // --- finishing ---------------------------------------------------------------------------
  void finisher_loop();
  void finish_batch(std::vector<Finish>& batch);
  // The receipt of `base` finishing with `status` and `error` or the output `output_canonical`.
  Receipt make_receipt(const TaskView& base, std::string_view input_canonical, TaskStatus status,
                       const std::optional<Error>& error, std::string_view output_canonical,
                       std::int64_t finished_unix_ms) const;
  void seal(Finish& finish) const;
  void publish_locked(Task& task, TaskView view);
  void advance_parent(const TaskPtr& child);
  void create_children(const TaskPtr& parent, std::vector<ChildSpec> specs);
  void finish_parent(const TaskPtr& parent);

  Status write_record(const Task& task, std::string_view output_canonical = {});
  void emit(TaskEvent::Kind kind, const TaskView& view, AgentKind agent, std::chrono::microseconds duration = {});
};

// --- setup -------------------------------------------------------------------------------------

Status Engine::Impl::add_agents(std::vector<std::unique_ptr<Agent>> list) {
  for (auto& agent : list) {
    if (agent == nullptr) return Error("bad_config", "an agent is null");
    Agent*& slot = agent_by_kind[agent_index(agent->kind())];
    if (slot != nullptr) return Error("bad_config", "two agents of kind " + std::string(agent_name(agent->kind())));
    slot = agent.get();
    for (const std::string& skill : agent->skills()) {
      if (!detail::is_skill_name(skill) || agent_for_skill(skill) != agent->kind() || skill == kOrchestrate)
        return Error("bad_config", "agent " + std::string(agent_name(agent->kind())) + " serves skill \"" + skill +
                                       "\" outside its \"<agent>.<verb>\" names");
      if (!skill_agent.emplace(skill, agent.get()).second) return Error("bad_config", "skill \"" + skill + "\" twice");
    }
  }
  agents = std::move(list);
  orchestrate_available = skill_agent.contains(std::string(kPlanSkill)) &&
                          skill_agent.contains(std::string(kSynthesizeSkill)) &&
                          skill_agent.contains(std::string(kEvaluateSkill));
  return ok_status();
}

// Queued top-level tasks are queued again; everything else that was unfinished fails with
// "interrupted": a running skill may have had side effects (re-running is the client's call),
// and a plan's steps only make sense inside the orchestration that the restart ended.
Status Engine::Impl::recover() {
  std::vector<detail::DecodedTask> unfinished;
  std::optional<Error> decode_error;
  BIZRA_TRY(
      store.scan_prefix(storage::Column::kAceTasks, as_bytes(detail::kTaskKeyPrefix), [&](ByteSpan, ByteSpan value) {
        auto decoded = detail::decode_task_record(value);
        if (!decoded) {
          decode_error = decoded.error();
          return false;
        }
        if (!is_finished(decoded->view.status)) unfinished.push_back(std::move(*decoded));
        return true;
      }));
  if (decode_error) return *decode_error;
  std::sort(unfinished.begin(), unfinished.end(),
            [](const auto& a, const auto& b) { return a.view.submitted_unix_ms < b.view.submitted_unix_ms; });
  const std::int64_t now_ms = unix_ms_now();
  storage::WriteBatch batch;
  for (auto& [view, input_canonical] : unfinished) {
    const std::optional<AgentKind> agent =
        view.request.skill == kOrchestrate ? AgentKind::kMeta : agent_for_skill(view.request.skill);
    if (view.status == TaskStatus::kQueued && view.parent_id.empty() && agent) {
      const std::int64_t left_ms = view.submitted_unix_ms + view.request.deadline_ms - now_ms;
      std::lock_guard lock(mu);
      TaskPtr task = make_task_locked(view.request, std::move(input_canonical), *agent);
      task->view = std::move(view);
      task->deadline_at = Clock::now() + std::chrono::milliseconds(std::max<std::int64_t>(left_ms, 0));
      tasks[task->view.id] = task;
      if (!task->view.request.idempotency_key.empty())
        idempotency[detail::idempotency_key(task->view.request.requester, task->view.request.idempotency_key)] =
            task->view.id;
      enqueue_locked(task);
      continue;
    }
    const bool was_running = view.status == TaskStatus::kRunning;
    view.status = TaskStatus::kFailed;
    view.error = Error("interrupted", was_running ? "the node stopped while the task ran; its skill may have had "
                                                    "side effects, so it is not run again"
                                                  : "the node stopped while the plan this step belongs to ran");
    view.finished_unix_ms = now_ms;
    Task scratch;
    scratch.input_canonical = std::move(input_canonical);
    const std::string no_output;
    if (options.sign_receipts)
      view.receipt = make_receipt(view, scratch.input_canonical, view.status, view.error, no_output, now_ms);
    batch.put(storage::Column::kAceTasks, as_bytes(detail::task_key(view.id)),
              detail::encode_task_record(view, scratch.input_canonical, no_output));
  }
  if (batch.empty()) return ok_status();
  return store.write(batch, storage::Durability::kNoSync);
}

// --- submission --------------------------------------------------------------------------------

Result<std::string> Engine::Impl::validate(const TaskRequest& r) const {
  if (r.priority > kMaxPriority) return Error("bad_request", "priority: expected 0..9");
  if (r.deadline_ms == 0 || r.deadline_ms > kMaxDeadlineMs)
    return Error("bad_request", "deadline_ms: expected 1.." + std::to_string(kMaxDeadlineMs));
  if (r.idempotency_key.size() > kMaxIdempotencyKeyBytes)
    return Error("bad_request", "idempotency_key: longer than " + std::to_string(kMaxIdempotencyKeyBytes) + " bytes");
  if (r.requester.size() > kMaxRequesterBytes) return Error("bad_request", "requester: too long");
  if (!r.input.is_object()) return Error("bad_request", "input: expected an object");
  if (r.skill == kOrchestrate) {
    if (!orchestrate_available)
      return Error("unknown_skill", "meta.orchestrate needs architect.plan, meta.synthesize and reflection.evaluate");
    const json::Value* goal = r.input.find("goal");
    if (goal == nullptr || !goal->is_string() || goal->as_string().empty() ||
        goal->as_string().size() > kMaxPlanGoalBytes)
      return Error("bad_request", "input.goal: expected a non-empty string of at most 4096 bytes");
  } else if (!skill_agent.contains(r.skill)) {
    return Error("unknown_skill", "no agent serves \"" + r.skill + "\"");
  }
  std::string canonical = jcs::serialize(r.input);
  if (canonical.size() > kMaxTaskInputBytes)
    return Error("bad_request", "input: larger than " + std::to_string(kMaxTaskInputBytes) + " bytes");
  return canonical;
}

TaskPtr Engine::Impl::make_task_locked(TaskRequest request, std::string input_canonical, AgentKind agent) {
  auto task = std::make_shared<Task>();
  task->view.id = next_task_id_locked();
  task->view.request = std::move(request);
  task->view.submitted_unix_ms = unix_ms_now();
  task->input_canonical = std::move(input_canonical);
  task->agent = agent;
  task->submitted_at = Clock::now();
  task->deadline_at = task->submitted_at + std::chrono::milliseconds(task->view.request.deadline_ms);
  task->seq = next_seq++;
  ++submitted;
  return task;
}

// 16 bytes, hex: 8 of a strictly increasing microsecond clock (big-endian), then 8 of BLAKE3 keyed
// by a per-engine secret over a counter. The first half keeps ids (and so the records' keys) in
// submission order — RocksDB inserts ascending keys into its memtable far cheaper than random ones,
// and recovery reads them in order; the second half makes an id impossible to guess from another.
std::string Engine::Impl::next_task_id_locked() {
  const auto now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  last_id_time = std::max(static_cast<std::uint64_t>(now_us), last_id_time + 1);
  std::uint8_t counter[8];
  for (std::size_t i = 0; i < 8; ++i) counter[i] = static_cast<std::uint8_t>(next_id >> (8 * i));
  ++next_id;
  const Hash32 secret_part = crypto::blake3_keyed(id_key, ByteSpan(counter, sizeof counter));
  std::array<std::uint8_t, kTaskIdBytes> id{};
  for (std::size_t i = 0; i < 8; ++i) id[i] = static_cast<std::uint8_t>(last_id_time >> (8 * (7 - i)));
  std::copy_n(secret_part.bytes.begin(), kTaskIdBytes - 8, id.begin() + 8);
  return hex::encode(ByteSpan(id.data(), id.size()));
}

void Engine::Impl::add_deadline_locked(Task* task) {
  if (task->has_deadline_entry) return;
  const bool earliest = deadlines.empty() || task->deadline_at < deadlines.begin()->first;
  task->deadline_entry = deadlines.emplace(task->deadline_at, task);
  task->has_deadline_entry = true;
  if (earliest) timer_cv.notify_one();
}

void Engine::Impl::enqueue_locked(const TaskPtr& task) {
  task->phase = Phase::kQueued;
  queue.push(task.get());
  add_deadline_locked(task.get());
  work_cv.notify_one();
}

void Engine::Impl::set_status_locked(Task& task, TaskStatus status) {
  if (task.view.status == TaskStatus::kRunning) --running_tasks;
  if (status == TaskStatus::kRunning) ++running_tasks;
  task.view.status = status;
}

Result<std::string> Engine::Impl::submit(TaskRequest request) {
  auto canonical = validate(request);
  if (!canonical) return canonical.error();
  std::string scoped_key;
  if (!request.idempotency_key.empty()) {
    scoped_key = detail::idempotency_key(request.requester, request.idempotency_key);
    // Keys outlive the in-memory window (and restarts): the store has the rest.
    auto known = store.get(storage::Column::kAceTasks, as_bytes(scoped_key));
    if (!known) return known.error();
    if (*known) return std::string(as_chars(**known));
  }
  const AgentKind agent = request.skill == kOrchestrate ? AgentKind::kMeta : *agent_for_skill(request.skill);
  const std::size_t level = static_cast<std::size_t>(agent_level(agent)) - 1;
  TaskPtr task;
  {
    std::lock_guard lock(mu);
    if (stopping) return Error("stopped", "the engine is stopping");
    if (!scoped_key.empty())
      if (auto it = idempotency.find(scoped_key); it != idempotency.end()) return it->second;
    if (queue.depth(agent_level(agent)) + reserved[level] >= options.queue_capacity_per_level)
      return Error("queue_full", "the L" + std::to_string(level + 1) + " queue holds " +
                                     std::to_string(options.queue_capacity_per_level) + " tasks");
    ++reserved[level];
    task = make_task_locked(std::move(request), std::move(*canonical), agent);
    tasks.emplace(task->view.id, task);
    if (!scoped_key.empty()) idempotency.emplace(scoped_key, task->view.id);
  }
  storage::WriteBatch batch;
  batch.put(storage::Column::kAceTasks, as_bytes(detail::task_key(task->view.id)),
            detail::encode_task_record(task->view, task->input_canonical, {}));
  if (!scoped_key.empty()) batch.put(storage::Column::kAceTasks, as_bytes(scoped_key), as_bytes(task->view.id));
  const Status written = store.write(batch, storage::Durability::kNoSync);
  std::vector<Finish> cancelled;
  {
    std::lock_guard lock(mu);
    --reserved[level];
    if (!written) {
      tasks.erase(task->view.id);
      if (!scoped_key.empty()) idempotency.erase(scoped_key);
      --submitted;
      return written.error();
    }
  }
  emit(TaskEvent::Kind::kQueued, task->view, agent);
  std::string id = task->view.id;  // once queued, the task belongs to the workers
  {
    std::lock_guard lock(mu);
    if (task->cancelled()) {
      task->phase = Phase::kFinishing;
      cancelled.push_back(cancelled_finish(task));
      hand_to_finisher_locked(cancelled);
    } else {
      enqueue_locked(task);
    }
  }
  return id;
}

// --- running -----------------------------------------------------------------------------------

void Engine::Impl::worker_loop() {
  std::unique_lock lock(mu);
  for (;;) {
    Task* picked = nullptr;
    work_cv.wait(lock,
                 [&] { return stopping || (picked = queue.pick(agent_running, options.max_concurrency_per_agent)); });
    if (picked == nullptr) return;
    TaskPtr task = picked->shared_from_this();
    const bool orchestrate = task->view.request.skill == kOrchestrate;
    task->phase = orchestrate ? Phase::kOrchestrating : Phase::kRunning;
    set_status_locked(*task, TaskStatus::kRunning);
    ++task->view.attempts;
    if (task->view.started_unix_ms == 0) task->view.started_unix_ms = unix_ms_now();
    if (task->view.agent_path.empty()) task->view.agent_path.emplace_back(agent_name(task->agent));
    if (!orchestrate) ++agent_running[agent_index(task->agent)];
    lock.unlock();
    if (orchestrate)
      start_orchestration(task);
    else
      run_task(task);
    lock.lock();
  }
}

void Engine::Impl::run_task(const TaskPtr& task) {
  const auto release_agent = [&] {
    std::lock_guard lock(mu);
    --agent_running[agent_index(task->agent)];
    work_cv.notify_one();  // a task of this agent that waited for the limit may run now
  };
  Agent* agent = agent_by_kind[agent_index(task->agent)];
  // The start of a re-runnable skill stays unwritten: its record still says queued, and queuing it
  // again is what recovery should do whether or not it had started.
  if (!agent->rerunnable(task->view.request.skill)) {
    if (auto written = write_record(*task); !written) {
      release_agent();
      return hand_to_finisher(Finish{task, TaskStatus::kFailed, std::nullopt, {}, written.error()});
    }
  }
  emit(TaskEvent::Kind::kStarted, task->view, task->agent);
  Result<json::Value> result = task->cancelled()
                                   ? Result<json::Value>(Error("cancelled", "cancelled before it started"))
                                   : agent->run(task->view.request.skill, task->view.request.input, *task);
  release_agent();
  if (task->cancelled()) return hand_to_finisher(cancelled_finish(task));
  if (result) {
    std::string canonical = jcs::serialize(*result);
    return hand_to_finisher(Finish{task, TaskStatus::kSucceeded, std::move(*result), std::move(canonical), {}});
  }
  if (schedule_retry(task, result.error())) return;
  hand_to_finisher(Finish{task, TaskStatus::kFailed, std::nullopt, {}, result.error()});
}

// Retryable errors are tried again after options.retry_backoff · 2^(attempt-1), while attempts
// remain and the retry would start before the deadline.
bool Engine::Impl::schedule_retry(const TaskPtr& task, const Error& error) {
  if (!is_retryable(error.code()) || task->view.attempts >= options.max_attempts) return false;
  const auto backoff =
      options.retry_backoff * (std::int64_t{1} << std::min<std::uint32_t>(task->view.attempts - 1, 20));
  const SteadyTime when = Clock::now() + backoff;
  if (when >= task->deadline_at) return false;
  {
    std::lock_guard lock(mu);
    task->phase = Phase::kDelayed;
    task->not_before = when;
    task->view.error = error;  // the last failure, visible while it waits
    set_status_locked(*task, TaskStatus::kQueued);
  }
  (void)write_record(*task);  // best effort: a lost "queued" only makes recovery say interrupted
  emit(TaskEvent::Kind::kQueued, task->view, task->agent);
  std::lock_guard lock(mu);
  if (task->cancelled()) {
    std::vector<Finish> out{cancelled_finish(task)};
    task->phase = Phase::kFinishing;
    hand_to_finisher_locked(out);
    return true;
  }
  const bool earliest = delayed.empty() || when < delayed.begin()->first;
  delayed.emplace(when, task.get());
  if (earliest) timer_cv.notify_one();
  return true;
}

void Engine::Impl::start_orchestration(const TaskPtr& parent) {
  {
    std::lock_guard lock(mu);
    parent->orchestration = std::make_unique<Orchestration>(parent->view.request.input.find("goal")->as_string());
  }
  if (auto written = write_record(*parent); !written)
    return hand_to_finisher(Finish{parent, TaskStatus::kFailed, std::nullopt, {}, written.error()});
  emit(TaskEvent::Kind::kStarted, parent->view, parent->agent);
  create_children(parent, {ChildSpec{ChildRole::kPlanner, 0, std::string(kPlanSkill), parent->view.request.input}});
}

// Outcomes handed over outside the lock (by a worker, or for a plan by the finisher) are sealed
// — timed and signed — right there; the others are sealed by the finisher. (Finishing on the
// worker instead measured slower with receipts: the finisher writes the outcomes that arrive
// while it writes as one batch.)
void Engine::Impl::hand_to_finisher(Finish finish) {
  seal(finish);
  bool was_empty = false;
  {
    std::lock_guard lock(finish_mu);
    was_empty = finish_inbox.empty();
    finish_inbox.push_back(std::move(finish));
  }
  // A non-empty inbox was signalled when it became non-empty and the finisher has not taken it
  // yet: it takes this outcome with the others, without another wake-up.
  if (was_empty) finish_cv.notify_one();
}

void Engine::Impl::hand_to_finisher_locked(std::vector<Finish>& finishes) {
  if (finishes.empty()) return;
  bool was_empty = false;
  {
    std::lock_guard lock(finish_mu);
    was_empty = finish_inbox.empty();
    for (Finish& f : finishes) finish_inbox.push_back(std::move(f));
  }
  finishes.clear();
  if (was_empty) finish_cv.notify_one();
}

// Cancels a task for `reason`: one that waits finishes at once; a running skill sees
// cancelled() and finishes when it returns; an orchestration passes it on to its children.
void Engine::Impl::interrupt_locked(Task& task, CancelReason reason, std::vector<Finish>& out) {
  CancelReason none = CancelReason::kNone;
  task.cancel.compare_exchange_strong(none, reason);
  switch (task.phase) {
    case Phase::kQueued:
      queue.erase(&task);
      break;
    case Phase::kDelayed: {
      auto [first, last] = delayed.equal_range(task.not_before);
      for (auto it = first; it != last; ++it)
        if (it->second == &task) {
          delayed.erase(it);
          break;
        }
      break;
    }
    case Phase::kOrchestrating:
      for (const std::string& id : task.view.child_ids)
        if (auto it = tasks.find(id); it != tasks.end()) interrupt_locked(*it->second, reason, out);
      return;
    default:
      return;  // being written (submit checks the flag), running, or already finishing
  }
  set_status_locked(task, TaskStatus::kQueued);
  task.phase = Phase::kFinishing;
  out.push_back(cancelled_finish(task.shared_from_this()));
}

void Engine::Impl::timer_loop() {
  std::unique_lock lock(mu);
  while (!timer_stop) {
    const SteadyTime now = Clock::now();
    std::vector<Finish> expired;
    while (!deadlines.empty() && deadlines.begin()->first <= now) {
      Task* task = deadlines.begin()->second;
      deadlines.erase(deadlines.begin());
      task->has_deadline_entry = false;
      interrupt_locked(*task, CancelReason::kDeadline, expired);
    }
    while (!delayed.empty() && delayed.begin()->first <= now) {
      Task* task = delayed.begin()->second;
      delayed.erase(delayed.begin());
      enqueue_locked(task->shared_from_this());
    }
    hand_to_finisher_locked(expired);
    SteadyTime next = SteadyTime::max();
    if (!deadlines.empty()) next = deadlines.begin()->first;
    if (!delayed.empty()) next = std::min(next, delayed.begin()->first);
    if (next == SteadyTime::max())
      timer_cv.wait(lock);
    else
      timer_cv.wait_until(lock, next);
  }
}

// --- finishing ---------------------------------------------------------------------------------

void Engine::Impl::finisher_loop() {
  std::vector<Finish> batch;
  for (;;) {
    {
      std::unique_lock lock(finish_mu);
      finish_cv.wait(lock, [&] { return finisher_stop || !finish_inbox.empty(); });
      if (finish_inbox.empty()) return;
      batch.swap(finish_inbox);
    }
    finish_batch(batch);
    batch.clear();
  }
}

Receipt Engine::Impl::make_receipt(const TaskView& base, std::string_view input_canonical, TaskStatus status,
                                   const std::optional<Error>& error, std::string_view output_canonical,
                                   std::int64_t finished_unix_ms) const {
  Receipt r;
  r.task_id = base.id;
  // Canonical {"input":...,"skill":...} written directly: the keys are in RFC 8785 order and a
  // skill name ([a-z0-9_.]) needs no escaping.
  std::string inputs;
  inputs.reserve(input_canonical.size() + base.request.skill.size() + 24);
  inputs.append("{\"input\":").append(input_canonical).append(",\"skill\":\"").append(base.request.skill).append("\"}");
  r.inputs_digest = crypto::blake3(inputs);
  r.outputs_digest =
      error ? crypto::blake3(jcs::serialize(detail::error_json(*error))) : crypto::blake3(output_canonical);
  r.agent_path = base.agent_path;
  r.status = std::string(task_status_name(status));
  r.submitted_unix_ms = base.submitted_unix_ms;
  r.started_unix_ms = base.started_unix_ms;
  r.finished_unix_ms = finished_unix_ms;
  return sign_receipt(std::move(r), key);
}

void Engine::Impl::seal(Finish& f) const {
  if (f.finished_unix_ms != 0) return;
  f.finished_unix_ms = unix_ms_now();
  if (options.sign_receipts)
    f.receipt =
        make_receipt(f.task->view, f.task->input_canonical, f.status, f.error, f.output_canonical, f.finished_unix_ms);
}

// Signs and writes a batch of finished tasks (one WriteBatch), then reports them: waiters,
// listeners, and the orchestrations they belong to.
void Engine::Impl::finish_batch(std::vector<Finish>& batch) {
  std::vector<TaskView> views;
  views.reserve(batch.size());
  storage::WriteBatch write;
  for (Finish& f : batch) {
    seal(f);
    TaskView view = f.task->view;
    view.status = f.status;
    view.output = std::move(f.output);
    view.error = std::move(f.error);
    view.finished_unix_ms = f.finished_unix_ms;
    view.receipt = std::move(f.receipt);
    write.put(storage::Column::kAceTasks, as_bytes(detail::task_key(view.id)),
              detail::encode_task_record(view, f.task->input_canonical, f.output_canonical));
    views.push_back(std::move(view));
  }
  // A failed write cannot be reported to anyone waiting; the records stay as they were on disk
  // (queued or running), which recovery turns into re-queued or interrupted: nothing vanishes.
  (void)store.write(write, storage::Durability::kNoSync);
  const SteadyTime now = Clock::now();
  {
    std::lock_guard lock(mu);
    for (std::size_t i = 0; i < batch.size(); ++i) publish_locked(*batch[i].task, std::move(views[i]));
  }
  finished_cv.notify_all();
  for (const Finish& f : batch) {
    emit(TaskEvent::Kind::kFinished, f.task->view, f.task->agent,
         std::chrono::duration_cast<std::chrono::microseconds>(now - f.task->submitted_at));
    if (f.task->parent) advance_parent(f.task);
  }
}

void Engine::Impl::publish_locked(Task& task, TaskView view) {
  set_status_locked(task, TaskStatus::kQueued);  // leaves the running count if it was there
  task.view = std::move(view);
  task.phase = Phase::kFinished;
  if (task.has_deadline_entry) {
    deadlines.erase(task.deadline_entry);
    task.has_deadline_entry = false;
  }
  ++finished;
  const bool success = task.view.status == TaskStatus::kSucceeded;
  if (success) ++succeeded;
  ++(success ? agent_succeeded : agent_failed)[agent_index(task.agent)];
  retained.push_back(task.shared_from_this());
  while (retained.size() > options.max_retained_tasks) {
    const TaskView& old = retained.front()->view;
    if (!old.request.idempotency_key.empty())
      idempotency.erase(detail::idempotency_key(old.request.requester, old.request.idempotency_key));
    tasks.erase(old.id);
    retained.pop_front();
  }
}

// Runs on the finisher thread, which alone drives orchestrations once they have started.
void Engine::Impl::advance_parent(const TaskPtr& child) {
  const TaskPtr& parent = child->parent;
  Orchestration& o = *parent->orchestration;
  const TaskView& done = child->view;
  const bool ok = done.status == TaskStatus::kSucceeded;
  {
    std::lock_guard lock(mu);
    --parent->children_running;
  }
  switch (child->role) {
    case ChildRole::kPlanner:
      if (!ok) {
        parent->plan_error = done.error->with_context("planning");
      } else if (auto plan = parse_plan(*done.output, options.max_plan_steps); !plan) {
        parent->plan_error = plan.error();
      } else {
        o.set_plan(std::move(*plan));
      }
      break;
    case ChildRole::kStep: {
      const auto duration = done.started_unix_ms == 0 ? 0 : done.finished_unix_ms - done.started_unix_ms;
      o.finish_step(child->step_index, done.status, done.output, done.error, duration);
      if (routes != nullptr && !o.step(child->step_index).step.alternatives.empty())
        routes->record(o.step_route(child->step_index), done.request.skill, ok);
      break;
    }
    case ChildRole::kSynthesizer:
      if (ok)
        parent->synthesis = done.output;
      else
        parent->plan_error = done.error->with_context("synthesis");
      break;
    case ChildRole::kEvaluator:
      if (ok) parent->evaluation = done.output;  // a failed evaluation does not fail the plan
      o.set_phase(Orchestration::Phase::kDone);
      break;
    case ChildRole::kNone:
      break;
  }
  if (parent->cancelled() || parent->plan_error) {
    if (parent->children_running == 0) finish_parent(parent);
    return;
  }
  std::vector<ChildSpec> next;
  if (o.phase() == Orchestration::Phase::kSteps) {
    for (std::size_t i : o.take_ready()) {
      const PlanStep& step = o.step(i).step;
      std::string skill = step.skill;
      if (routes != nullptr && !step.alternatives.empty()) {
        std::vector<std::string> candidates{step.skill};
        candidates.insert(candidates.end(), step.alternatives.begin(), step.alternatives.end());
        const std::size_t chosen = routes->choose(o.step_route(i), candidates);
        skill = candidates[std::min(chosen, candidates.size() - 1)];
      }
      o.set_skill(i, skill);
      next.push_back(ChildSpec{ChildRole::kStep, i, std::move(skill), o.step_input(i)});
    }
    if (next.empty() && o.steps_done()) {
      o.set_phase(Orchestration::Phase::kSynthesizing);
      next.push_back(ChildSpec{ChildRole::kSynthesizer, 0, std::string(kSynthesizeSkill), o.synthesize_input()});
    }
  } else if (o.phase() == Orchestration::Phase::kSynthesizing && child->role == ChildRole::kSynthesizer) {
    o.set_phase(Orchestration::Phase::kEvaluating);
    next.push_back(ChildSpec{ChildRole::kEvaluator, 0, std::string(kEvaluateSkill), o.evaluate_input()});
  } else if (o.phase() == Orchestration::Phase::kDone) {
    finish_parent(parent);
    return;
  }
  if (!next.empty()) create_children(parent, std::move(next));
}

void Engine::Impl::create_children(const TaskPtr& parent, std::vector<ChildSpec> specs) {
  std::vector<TaskPtr> children;
  std::vector<Finish> refused;
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(parent->deadline_at - Clock::now());
  {
    std::lock_guard lock(mu);
    for (ChildSpec& spec : specs) {
      const std::optional<AgentKind> agent = agent_for_skill(spec.skill);
      TaskRequest request{
          .type = parent->view.request.type,
          .skill = std::move(spec.skill),
          .input = std::move(spec.input),
          .priority = parent->view.request.priority,
          .deadline_ms = static_cast<std::uint32_t>(std::clamp<std::int64_t>(left.count(), 1, kMaxDeadlineMs)),
          .idempotency_key = {},
          .requester = parent->view.request.requester};
      std::string canonical = jcs::serialize(request.input);
      TaskPtr child = make_task_locked(std::move(request), std::move(canonical), agent.value_or(AgentKind::kMeta));
      child->deadline_at = parent->deadline_at;
      child->parent = parent;
      child->role = spec.role;
      child->step_index = spec.step_index;
      child->view.parent_id = parent->view.id;
      child->cancel.store(parent->cancel.load());  // a plan cancelled meanwhile starts nothing more
      tasks.emplace(child->view.id, child);
      parent->view.child_ids.push_back(child->view.id);
      parent->view.agent_path.emplace_back(agent_name(child->agent));
      ++parent->children_running;
      children.push_back(std::move(child));
    }
  }
  storage::WriteBatch batch;
  batch.put(storage::Column::kAceTasks, as_bytes(detail::task_key(parent->view.id)),
            detail::encode_task_record(parent->view, parent->input_canonical, {}));
  for (const TaskPtr& child : children)
    batch.put(storage::Column::kAceTasks, as_bytes(detail::task_key(child->view.id)),
              detail::encode_task_record(child->view, child->input_canonical, {}));
  const Status written = store.write(batch, storage::Durability::kNoSync);
  for (const TaskPtr& child : children) emit(TaskEvent::Kind::kQueued, child->view, child->agent);
  std::lock_guard lock(mu);
  for (const TaskPtr& child : children) {
    if (!written) {
      child->phase = Phase::kFinishing;
      refused.push_back(Finish{child, TaskStatus::kFailed, std::nullopt, {}, written.error()});
    } else if (!skill_agent.contains(child->view.request.skill)) {
      child->phase = Phase::kFinishing;
      refused.push_back(Finish{child,
                               TaskStatus::kFailed,
                               std::nullopt,
                               {},
                               Error("unknown_skill", "no agent serves \"" + child->view.request.skill + "\"")});
    } else if (child->cancelled()) {
      child->phase = Phase::kFinishing;
      refused.push_back(cancelled_finish(child));
    } else {
      enqueue_locked(child);
    }
  }
  hand_to_finisher_locked(refused);
}

void Engine::Impl::finish_parent(const TaskPtr& parent) {
  const Orchestration& o = *parent->orchestration;
  Finish finish{parent, TaskStatus::kSucceeded, std::nullopt, {}, std::nullopt};
  if (parent->cancelled()) {
    finish = cancelled_finish(parent);
  } else if (parent->plan_error) {
    finish.status = TaskStatus::kFailed;
    finish.error = parent->plan_error;
  } else if (auto failure = o.failure()) {
    finish.status = TaskStatus::kFailed;
    finish.error = std::move(failure);
  } else {
    finish.output = json::Value::object({{"plan", plan_to_json(o.plan())},
                                         {"synthesis", parent->synthesis.value_or(json::Value::null())},
                                         {"evaluation", parent->evaluation.value_or(json::Value::null())}});
    finish.output_canonical = jcs::serialize(*finish.output);
  }
  {
    std::lock_guard lock(mu);
    parent->phase = Phase::kFinishing;
  }
  hand_to_finisher(std::move(finish));
}

Status Engine::Impl::write_record(const Task& task, std::string_view output_canonical) {
  storage::WriteBatch batch;
  batch.put(storage::Column::kAceTasks, as_bytes(detail::task_key(task.view.id)),
            detail::encode_task_record(task.view, task.input_canonical, output_canonical));
  return store.write(batch, storage::Durability::kNoSync);
}

void Engine::Impl::emit(TaskEvent::Kind kind, const TaskView& view, AgentKind agent,
                        std::chrono::microseconds duration) {
  if (listeners.empty()) return;
  const TaskEvent event{kind, view, agent, duration};
  for (const TaskListener& listener : listeners) listener(event);
}

// --- Engine ------------------------------------------------------------------------------------

std::string task_json(const TaskView& task) { return jcs::serialize(detail::task_value(task)); }

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { stop(); }

Result<std::unique_ptr<Engine>> Engine::open(storage::Store& store, crypto::SecretKey node_key,
                                             std::vector<std::unique_ptr<Agent>> agents, RoutePolicy* routes,
                                             EngineOptions options) {
  if (options.workers == 0 || options.workers > kMaxWorkers) return Error("bad_config", "workers: expected 1..256");
  if (options.queue_capacity_per_level == 0 || options.max_concurrency_per_agent == 0 || options.max_attempts == 0 ||
      options.max_plan_steps == 0 || options.max_retained_tasks == 0)
    return Error("bad_config", "queue capacity, concurrency, attempts, plan steps and retained tasks must be positive");
  auto impl = std::make_unique<Impl>(store, std::move(node_key), routes, options);
  crypto::random_bytes({impl->id_key.data(), impl->id_key.size()});
  BIZRA_TRY(impl->add_agents(std::move(agents)));
  BIZRA_TRY(impl->recover());
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

void Engine::add_listener(TaskListener listener) { impl_->listeners.push_back(std::move(listener)); }

void Engine::start() {
  Impl& e = *impl_;
  {
    std::lock_guard lock(e.mu);
    if (e.started || e.stopping) return;
    e.started = true;
  }
  e.finisher = std::jthread([&e] { e.finisher_loop(); });
  e.timer = std::jthread([&e] { e.timer_loop(); });
  for (std::size_t i = 0; i < e.options.workers; ++i) e.workers.emplace_back([&e] { e.worker_loop(); });
}

void Engine::stop() {
  Impl& e = *impl_;
  {
    std::unique_lock lock(e.mu);
    if (e.stopping) return;
    e.stopping = true;
    e.work_cv.notify_all();
    const auto idle = [&] {
      return std::all_of(e.agent_running.begin(), e.agent_running.end(), [](std::size_t n) { return n == 0; });
    };
    if (!e.finished_cv.wait_for(lock, e.options.stop_grace, idle)) {
      std::vector<Finish> unused;  // running skills finish through their workers
      for (auto& [id, task] : e.tasks)
        if (task->phase == Phase::kRunning) e.interrupt_locked(*task, CancelReason::kShutdown, unused);
    }
  }
  e.workers.clear();  // joins
  {
    std::lock_guard lock(e.mu);
    e.timer_stop = true;
    e.timer_cv.notify_all();
  }
  if (e.timer.joinable()) e.timer.join();
  {
    std::lock_guard lock(e.finish_mu);
    e.finisher_stop = true;
  }
  e.finish_cv.notify_all();
  if (e.finisher.joinable()) e.finisher.join();
}

Result<std::string> Engine::submit(TaskRequest request) { return impl_->submit(std::move(request)); }

std::optional<TaskView> Engine::get(std::string_view id) const {
  {
    std::lock_guard lock(impl_->mu);
    if (auto it = impl_->tasks.find(std::string(id)); it != impl_->tasks.end()) return it->second->view;
  }
  if (id.size() != 2 * kTaskIdBytes || !hex::is_lower_hex(id)) return std::nullopt;
  auto stored = impl_->store.get(storage::Column::kAceTasks, as_bytes(detail::task_key(id)));
  if (!stored || !*stored) return std::nullopt;
  auto decoded = detail::decode_task_record(**stored);
  if (!decoded) return std::nullopt;
  return std::move(decoded->view);
}

std::optional<TaskView> Engine::wait(std::string_view id, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  auto it = impl_->tasks.find(std::string(id));
  if (it == impl_->tasks.end()) {
    lock.unlock();
    return get(id);
  }
  const TaskPtr task = it->second;
  impl_->finished_cv.wait_for(lock, timeout, [&] { return task->phase == Phase::kFinished; });
  return task->view;
}

Status Engine::cancel(std::string_view id) {
  Impl& e = *impl_;
  std::vector<Finish> out;
  {
    std::lock_guard lock(e.mu);
    auto it = e.tasks.find(std::string(id));
    if (it != e.tasks.end()) {
      Task& task = *it->second;
      if (task.phase == Phase::kFinishing || task.phase == Phase::kFinished)
        return Error("already_finished", "task " + std::string(id) + " has finished");
      e.interrupt_locked(task, CancelReason::kUser, out);
      e.hand_to_finisher_locked(out);
      return ok_status();
    }
  }
  if (get(id)) return Error("already_finished", "task " + std::string(id) + " has finished");
  return Error("not_found", "no task " + std::string(id));
}

EngineStatus Engine::status() const {
  const Impl& e = *impl_;
  EngineStatus s;
  std::lock_guard lock(e.mu);
  for (AgentKind kind : kAllAgents) {
    const std::size_t i = agent_index(kind);
    s.agents.push_back(AgentState{kind, e.agent_running[i], e.agent_succeeded[i], e.agent_failed[i]});
  }
  for (std::size_t level = 0; level < 4; ++level) s.queue_depth[level] = e.queue.depth(static_cast<Level>(level + 1));
  s.running = e.running_tasks;
  s.submitted = e.submitted;
  s.finished = e.finished;
  s.succeeded = e.succeeded;
  return s;
}

const crypto::PublicKey& Engine::node_public_key() const { return impl_->key.public_key(); }

std::vector<std::string> Engine::skills() const {
  std::vector<std::string> out;
  out.reserve(impl_->skill_agent.size() + 1);
  for (const auto& [skill, agent] : impl_->skill_agent) out.push_back(skill);
  if (impl_->orchestrate_available) out.emplace_back(kOrchestrate);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace bizra::ace
