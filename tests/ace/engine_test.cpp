#include "ace/engine.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "engine_test_support.hpp"

namespace bizra::ace {
namespace {

using namespace std::chrono_literals;
using testing::Gate;
using testing::ScriptedAgent;

constexpr auto kWait = 10s;

EngineOptions options_with(std::size_t workers, std::size_t concurrency = 4) {
  EngineOptions o;
  o.workers = workers;
  o.max_concurrency_per_agent = concurrency;
  return o;
}

class EngineTest : public ::testing::Test {
 protected:
  // Opens the engine over the memory store with `agents` plus the orchestration agents.
  void open(std::vector<std::unique_ptr<Agent>> agents, EngineOptions options = {}, bool with_orchestration = true,
            RoutePolicy* routes = nullptr) {
    if (with_orchestration)
      for (auto& a : testing::orchestration_agents()) agents.push_back(std::move(a));
    auto engine = Engine::open(*store_, testing::test_key(), std::move(agents), routes, options);
    ASSERT_TRUE(engine) << engine.error().to_string();
    engine_ = std::move(*engine);
  }

  std::string submit(std::string skill, json::Value input = json::Value::object({}), std::uint8_t priority = 5,
                     std::uint32_t deadline_ms = 30'000) {
    TaskRequest request;
    request.skill = std::move(skill);
    request.input = std::move(input);
    request.priority = priority;
    request.deadline_ms = deadline_ms;
    request.requester = "tester";
    auto id = engine_->submit(std::move(request));
    EXPECT_TRUE(id) << id.error().to_string();
    return id ? *id : std::string();
  }

  TaskView finished(const std::string& id) {
    auto view = engine_->wait(id, kWait);
    EXPECT_TRUE(view);
    EXPECT_TRUE(view && is_finished(view->status)) << "task did not finish in time";
    return view ? *view : TaskView{};
  }

  // Waits until `predicate` holds (bounded).
  template <typename Predicate>
  static bool eventually(Predicate predicate) {
    const auto until = std::chrono::steady_clock::now() + kWait;
    while (!predicate()) {
      if (std::chrono::steady_clock::now() > until) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  std::unique_ptr<storage::Store> store_ = storage::open_memory();
  std::unique_ptr<Engine> engine_;
};

std::unique_ptr<Agent> agent(AgentKind kind, std::vector<std::string> skills, testing::Handler handler) {
  return std::make_unique<ScriptedAgent>(kind, std::move(skills), std::move(handler));
}

testing::Handler succeed() {
  return [](std::string_view, const json::Value&, const SkillContext&) -> Result<json::Value> {
    return testing::ok_output();
  };
}

TEST_F(EngineTest, RunsATaskAndSignsAVerifiableReceipt) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(
      agent(AgentKind::kSecurity, {"security.check_policy"},
            [](std::string_view, const json::Value& input, const SkillContext& ctx) -> Result<json::Value> {
              return json::Value::object({{"echo", input}, {"task", json::Value::string(std::string(ctx.task_id()))}});
            }));
  open(std::move(agents));
  engine_->start();
  const std::string id = submit("security.check_policy", testing::parse(R"({"x":1})"));
  ASSERT_EQ(id.size(), 32u);
  const TaskView t = finished(id);
  EXPECT_EQ(t.status, TaskStatus::kSucceeded);
  EXPECT_EQ(t.attempts, 1u);
  EXPECT_EQ(t.agent_path, std::vector<std::string>{"security"});
  EXPECT_EQ(t.output->find("task")->as_string(), id);
  ASSERT_TRUE(t.receipt);
  EXPECT_TRUE(verify_receipt(*t.receipt, engine_->node_public_key()));
  EXPECT_EQ(verify_receipt(*t.receipt, testing::test_key(3).public_key()).error().code(), "wrong_key");
  auto parsed = parse_receipt(receipt_json(*t.receipt));
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(verify_receipt(*parsed, engine_->node_public_key()));
  EXPECT_LE(t.submitted_unix_ms, t.started_unix_ms);
  EXPECT_LE(t.started_unix_ms, t.finished_unix_ms);
  const std::string json = task_json(t);
  EXPECT_NE(json.find("\"status\":\"succeeded\""), std::string::npos);
  EXPECT_NE(json.find("\"receipt\":{"), std::string::npos);
  const EngineStatus s = engine_->status();
  EXPECT_EQ(s.finished, 1u);
  EXPECT_EQ(s.succeeded, 1u);
  EXPECT_EQ(s.agents.size(), 6u);
  EXPECT_EQ(s.agents[5].kind, AgentKind::kSecurity);
  EXPECT_EQ(s.agents[5].succeeded, 1u);
}

TEST_F(EngineTest, RefusesBadSubmissionsAndConfig) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall"}, succeed()));
  open(std::move(agents), {}, /*with_orchestration=*/false);
  TaskRequest r;
  r.skill = "memory.store";
  EXPECT_EQ(engine_->submit(r).error().code(), "unknown_skill");
  r.skill = "meta.orchestrate";
  r.input = testing::parse(R"({"goal":"x"})");
  EXPECT_EQ(engine_->submit(r).error().code(), "unknown_skill");
  r.skill = "memory.recall";
  r.priority = 10;
  EXPECT_EQ(engine_->submit(r).error().code(), "bad_request");
  r.priority = 1;
  r.deadline_ms = 0;
  EXPECT_EQ(engine_->submit(r).error().code(), "bad_request");
  r.deadline_ms = 100;
  r.input = json::Value::object({{"blob", json::Value::string(std::string(kMaxTaskInputBytes, 'x'))}});
  EXPECT_EQ(engine_->submit(r).error().code(), "bad_request");
  EXPECT_EQ(engine_->skills(), std::vector<std::string>{"memory.recall"});

  std::vector<std::unique_ptr<Agent>> wrong;
  wrong.push_back(agent(AgentKind::kMemory, {"security.check_policy"}, succeed()));
  EXPECT_EQ(Engine::open(*store_, testing::test_key(), std::move(wrong), nullptr).error().code(), "bad_config");
  EXPECT_EQ(Engine::open(*store_, testing::test_key(), {}, nullptr, options_with(0)).error().code(), "bad_config");
}

TEST_F(EngineTest, HigherPriorityRunsFirstWithinALevel) {
  Gate gate;
  std::mutex mu;
  std::vector<std::string> order;
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(
      agent(AgentKind::kMemory, {"memory.block", "memory.note"},
            [&](std::string_view skill, const json::Value& input, const SkillContext&) -> Result<json::Value> {
              if (skill == "memory.block") gate.wait();
              std::lock_guard lock(mu);
              order.push_back(input.find("name") ? input.find("name")->as_string() : "block");
              return testing::ok_output();
            }));
  open(std::move(agents), options_with(1));
  engine_->start();
  const std::string blocker = submit("memory.block");
  ASSERT_TRUE(eventually([&] { return engine_->get(blocker)->status == TaskStatus::kRunning; }));
  const std::string low = submit("memory.note", testing::parse(R"({"name":"low"})"), 1);
  const std::string mid = submit("memory.note", testing::parse(R"({"name":"mid"})"), 5);
  const std::string high = submit("memory.note", testing::parse(R"({"name":"high"})"), 9);
  const std::string mid2 = submit("memory.note", testing::parse(R"({"name":"mid2"})"), 5);
  EXPECT_EQ(engine_->status().queue_depth[1], 4u);
  gate.open();
  for (const auto& id : {low, mid, high, mid2}) finished(id);
  EXPECT_EQ(order, (std::vector<std::string>{"block", "high", "mid", "mid2", "low"}));
}

TEST_F(EngineTest, AFloodOfL4TasksDoesNotStarveL1AndL4StillRuns) {
  Gate gate;
  std::mutex mu;
  std::vector<std::string> order;
  const auto record = [&](std::string_view skill, const json::Value&, const SkillContext&) -> Result<json::Value> {
    if (skill == "operations.block") gate.wait();
    std::lock_guard lock(mu);
    order.emplace_back(skill);
    return testing::ok_output();
  };
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kOperations, {"operations.block"}, record));
  agents.push_back(agent(AgentKind::kSecurity, {"security.check_policy"}, record));
  agents.push_back(agent(AgentKind::kMeta, {"meta.note"}, record));
  open(std::move(agents), options_with(1), /*with_orchestration=*/false);
  engine_->start();
  const std::string blocker = submit("operations.block");
  ASSERT_TRUE(eventually([&] { return engine_->get(blocker)->status == TaskStatus::kRunning; }));
  std::vector<std::string> ids;
  for (int i = 0; i < 30; ++i) ids.push_back(submit("meta.note", json::Value::object({}), 9));
  for (int i = 0; i < 30; ++i) ids.push_back(submit("security.check_policy", json::Value::object({}), 0));
  gate.open();
  for (const auto& id : ids) finished(id);
  ASSERT_EQ(order.size(), 61u);
  // In every window of 15 dispatches L1 gets at least its 8 slots, and L4 gets one.
  for (std::size_t start = 1; start + 15 <= 31; ++start) {
    int l1 = 0, l4 = 0;
    for (std::size_t i = start; i < start + 15; ++i) (order[i] == "security.check_policy" ? l1 : l4)++;
    EXPECT_GE(l1, 8) << "window at " << start;
    EXPECT_GE(l4, 1) << "window at " << start;
  }
}

TEST_F(EngineTest, AnAgentAtItsLimitDoesNotBlockAWorker) {
  Gate gate;
  std::atomic<int> memory_running{0}, memory_peak{0};
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.block"},
                         [&](std::string_view, const json::Value&, const SkillContext&) -> Result<json::Value> {
                           const int now = ++memory_running;
                           memory_peak = std::max(memory_peak.load(), now);
                           gate.wait();
                           --memory_running;
                           return testing::ok_output();
                         }));
  agents.push_back(agent(AgentKind::kSecurity, {"security.check_policy"}, succeed()));
  open(std::move(agents), options_with(2, 1));
  engine_->start();
  const std::string first = submit("memory.block");
  const std::string second = submit("memory.block");
  ASSERT_TRUE(eventually([&] { return memory_running.load() == 1; }));
  // The second memory task waits for the limit, yet the other worker serves another agent.
  const std::string other = submit("security.check_policy");
  EXPECT_EQ(finished(other).status, TaskStatus::kSucceeded);
  EXPECT_EQ(engine_->get(second)->status, TaskStatus::kQueued);
  EXPECT_EQ(engine_->status().agents[static_cast<std::size_t>(AgentKind::kMemory)].running, 1u);
  gate.open();
  EXPECT_EQ(finished(first).status, TaskStatus::kSucceeded);
  EXPECT_EQ(finished(second).status, TaskStatus::kSucceeded);
  EXPECT_EQ(memory_peak.load(), 1);
}

TEST_F(EngineTest, QueuedTaskPastItsDeadlineTimesOutWithoutRunning) {
  Gate gate;
  std::atomic<int> ran{0};
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.block", "memory.note"},
                         [&](std::string_view skill, const json::Value&, const SkillContext&) -> Result<json::Value> {
                           if (skill == "memory.block")
                             gate.wait();
                           else
                             ++ran;
                           return testing::ok_output();
                         }));
  open(std::move(agents), options_with(1));
  engine_->start();
  const std::string blocker = submit("memory.block");
  ASSERT_TRUE(eventually([&] { return engine_->get(blocker)->status == TaskStatus::kRunning; }));
  const std::string late = submit("memory.note", json::Value::object({}), 5, 20);
  const TaskView t = finished(late);
  EXPECT_EQ(t.status, TaskStatus::kTimedOut);
  EXPECT_EQ(t.error->code(), "deadline_exceeded");
  EXPECT_EQ(t.attempts, 0u);
  EXPECT_TRUE(t.agent_path.empty());
  ASSERT_TRUE(t.receipt);
  EXPECT_TRUE(verify_receipt(*t.receipt, engine_->node_public_key()));
  gate.open();
  finished(blocker);
  EXPECT_EQ(ran.load(), 0);
}

TEST_F(EngineTest, RunningTaskPastItsDeadlineIsCancelledAndTimesOut) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kSecurity, {"security.spin"},
                         [](std::string_view, const json::Value&, const SkillContext& ctx) -> Result<json::Value> {
                           const auto until = std::chrono::steady_clock::now() + kWait;
                           while (!ctx.cancelled() && std::chrono::steady_clock::now() < until)
                             std::this_thread::sleep_for(1ms);
                           return testing::ok_output();  // too late: the engine reports timed_out anyway
                         }));
  open(std::move(agents));
  engine_->start();
  const TaskView t = finished(submit("security.spin", json::Value::object({}), 5, 30));
  EXPECT_EQ(t.status, TaskStatus::kTimedOut);
  EXPECT_FALSE(t.output);
}

TEST_F(EngineTest, RetriesOnlyRetryableErrorsWithBackoff) {
  std::mutex mu;
  std::vector<std::chrono::steady_clock::time_point> tries;
  std::atomic<int> flaky_calls{0};
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kOperations, {"operations.bad", "operations.busy", "operations.flaky"},
                         [&](std::string_view skill, const json::Value&, const SkillContext&) -> Result<json::Value> {
                           if (skill == "operations.bad") return Error("bad_input", "never retried");
                           if (skill == "operations.busy") return Error("busy", "always busy");
                           {
                             std::lock_guard lock(mu);
                             tries.push_back(std::chrono::steady_clock::now());
                           }
                           if (++flaky_calls < 3) return Error("backend_unavailable", "down");
                           return testing::ok_output();
                         }));
  EngineOptions options;
  options.max_attempts = 3;
  options.retry_backoff = 5ms;
  open(std::move(agents), options);
  engine_->start();
  const TaskView bad = finished(submit("operations.bad"));
  EXPECT_EQ(bad.status, TaskStatus::kFailed);
  EXPECT_EQ(bad.attempts, 1u);
  EXPECT_EQ(bad.error->code(), "bad_input");
  const TaskView busy = finished(submit("operations.busy"));
  EXPECT_EQ(busy.status, TaskStatus::kFailed);
  EXPECT_EQ(busy.attempts, 3u);
  EXPECT_EQ(busy.error->code(), "busy");
  const TaskView flaky = finished(submit("operations.flaky"));
  EXPECT_EQ(flaky.status, TaskStatus::kSucceeded);
  EXPECT_EQ(flaky.attempts, 3u);
  ASSERT_EQ(tries.size(), 3u);
  EXPECT_GE(tries[1] - tries[0], 5ms);   // back-off 5 ms, then
  EXPECT_GE(tries[2] - tries[1], 10ms);  // doubled
}

TEST_F(EngineTest, NoRetryWhenTheBackoffWouldPassTheDeadline) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kOperations, {"operations.busy"},
                         [](std::string_view, const json::Value&, const SkillContext&) -> Result<json::Value> {
                           return Error("busy", "always busy");
                         }));
  EngineOptions options;
  options.retry_backoff = 60s;
  open(std::move(agents), options);
  engine_->start();
  const TaskView t = finished(submit("operations.busy"));
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.attempts, 1u);
}

TEST_F(EngineTest, IdempotencyKeyReturnsTheFirstTaskPerRequester) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall"}, succeed()));
  open(std::move(agents));
  engine_->start();
  TaskRequest r;
  r.skill = "memory.recall";
  r.idempotency_key = "once";
  r.requester = "alice";
  const std::string first = *engine_->submit(r);
  EXPECT_EQ(*engine_->submit(r), first);
  r.requester = "bob";
  EXPECT_NE(*engine_->submit(r), first);
  finished(first);
  r.requester = "alice";
  EXPECT_EQ(*engine_->submit(r), first);  // also after it finished
}

TEST_F(EngineTest, CancelQueuedAndFinishedTasks) {
  Gate gate;
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.block", "memory.note"},
                         [&](std::string_view skill, const json::Value&, const SkillContext&) -> Result<json::Value> {
                           if (skill == "memory.block") gate.wait();
                           return testing::ok_output();
                         }));
  open(std::move(agents), options_with(1));
  engine_->start();
  const std::string blocker = submit("memory.block");
  ASSERT_TRUE(eventually([&] { return engine_->get(blocker)->status == TaskStatus::kRunning; }));
  const std::string queued = submit("memory.note");
  ASSERT_TRUE(engine_->cancel(queued));
  const TaskView t = finished(queued);
  EXPECT_EQ(t.status, TaskStatus::kCancelled);
  EXPECT_EQ(t.error->code(), "cancelled");
  EXPECT_EQ(engine_->cancel(queued).error().code(), "already_finished");
  EXPECT_EQ(engine_->cancel(std::string(32, '0')).error().code(), "not_found");
  gate.open();
  finished(blocker);
}

TEST_F(EngineTest, ListenersSeeEveryStateAfterItIsDurable) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall"}, succeed()));
  open(std::move(agents));
  std::mutex mu;
  std::vector<std::string> events;
  engine_->add_listener([&](const TaskEvent& e) {
    const auto stored = store_->get(storage::Column::kAceTasks, as_bytes("t/" + e.task.id));
    std::lock_guard lock(mu);
    events.push_back(std::string(task_status_name(e.task.status)) + (stored && *stored ? "" : " not stored"));
  });
  engine_->start();
  finished(submit("memory.recall"));
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mu);
    return events.size() == 3;
  }));
  EXPECT_EQ(events, (std::vector<std::string>{"queued", "running", "succeeded"}));
}

TEST_F(EngineTest, FinishedTasksBeyondTheRetainedWindowAreReadFromTheStore) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall"}, succeed()));
  EngineOptions options;
  options.max_retained_tasks = 1;
  open(std::move(agents), options);
  engine_->start();
  const std::string first = submit("memory.recall");
  finished(first);
  finished(submit("memory.recall"));
  finished(submit("memory.recall"));
  const auto t = engine_->get(first);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->status, TaskStatus::kSucceeded);
  ASSERT_TRUE(t->receipt);
  EXPECT_TRUE(verify_receipt(*t->receipt, engine_->node_public_key()));
  EXPECT_FALSE(engine_->get(std::string(32, 'f')));
}

// --- plans ---------------------------------------------------------------------------------

json::Value orchestrate_input(std::string_view plan) {
  return json::Value::object({{"goal", json::Value::string("Verify things")}, {"plan", testing::parse(plan)}});
}

TEST_F(EngineTest, OrchestrateRunsIndependentStepsInParallelAndInjectsDeps) {
  Gate both;
  json::Value seen_by_c = json::Value::null();
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(
      agent(AgentKind::kMemory, {"memory.recall", "memory.store"},
            [&](std::string_view skill, const json::Value& input, const SkillContext&) -> Result<json::Value> {
              if (skill == "memory.store") {
                seen_by_c = input;
                return testing::ok_output();
              }
              // a and b each wait for the other: only running at once gets both through.
              if (!both.arrive_and_wait(2)) return Error("bad_input", "steps did not overlap");
              return json::Value::object({{"from", *input.find("name")}});
            }));
  open(std::move(agents), options_with(2));
  engine_->start();
  const std::string id = submit("meta.orchestrate", orchestrate_input(R"({"goal":"g","steps":[
      {"id":"a","skill":"memory.recall","input":{"name":"a"}},
      {"id":"b","skill":"memory.recall","input":{"name":"b"}},
      {"id":"c","skill":"memory.store","after":["a","b"]}]})"));
  const TaskView t = finished(id);
  ASSERT_EQ(t.status, TaskStatus::kSucceeded) << t.error->to_string();
  EXPECT_EQ(seen_by_c.find("deps")->find("a")->find("from")->as_string(), "a");
  EXPECT_EQ(seen_by_c.find("deps")->find("b")->find("from")->as_string(), "b");
  EXPECT_EQ(t.child_ids.size(), 6u);  // planner, 3 steps, synthesizer, evaluator
  EXPECT_EQ(t.agent_path.front(), "meta");
  EXPECT_EQ(t.agent_path[1], "architect");
  EXPECT_EQ(t.agent_path.back(), "reflection");
  EXPECT_EQ(t.output->find("evaluation")->find("route")->as_string(), "plan:verify");
  EXPECT_EQ(t.output->find("synthesis")->find("summary")->as_string(), "synthesized");
  for (const std::string& child : t.child_ids) {
    const auto c = engine_->get(child);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->parent_id, id);
    EXPECT_EQ(c->status, TaskStatus::kSucceeded);
    EXPECT_TRUE(verify_receipt(*c->receipt, engine_->node_public_key()));
  }
  EXPECT_TRUE(verify_receipt(*t.receipt, engine_->node_public_key()));
}

TEST_F(EngineTest, FailedRequiredStepFailsDependentsAndThePlan) {
  std::atomic<int> dependent_ran{0};
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall", "memory.store"},
                         [&](std::string_view skill, const json::Value&, const SkillContext&) -> Result<json::Value> {
                           if (skill == "memory.recall") return Error("bad_input", "no such thing");
                           ++dependent_ran;
                           return testing::ok_output();
                         }));
  open(std::move(agents));
  engine_->start();
  const TaskView t = finished(submit("meta.orchestrate", orchestrate_input(R"({"goal":"g","steps":[
      {"id":"a","skill":"memory.recall"},{"id":"b","skill":"memory.store","after":["a"]}]})")));
  EXPECT_EQ(t.status, TaskStatus::kFailed);
  EXPECT_EQ(t.error->code(), "step_failed");
  EXPECT_NE(t.error->message().find("\"a\""), std::string::npos);
  EXPECT_EQ(dependent_ran.load(), 0);
}

TEST_F(EngineTest, OptionalStepFailureIsTolerated) {
  json::Value seen = json::Value::null();
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(
      agent(AgentKind::kMemory, {"memory.recall", "memory.store"},
            [&](std::string_view skill, const json::Value& input, const SkillContext&) -> Result<json::Value> {
              if (skill == "memory.recall") return Error("bad_input", "no such thing");
              seen = input;
              return testing::ok_output();
            }));
  open(std::move(agents));
  engine_->start();
  const TaskView t = finished(submit("meta.orchestrate", orchestrate_input(R"({"goal":"g","steps":[
      {"id":"a","skill":"memory.recall","optional":true},{"id":"b","skill":"memory.store","after":["a"]}]})")));
  EXPECT_EQ(t.status, TaskStatus::kSucceeded);
  EXPECT_TRUE(seen.find("deps")->find("a")->is_null());
}

TEST_F(EngineTest, BadPlanAndUnservedStepSkillFailThePlan) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall"}, succeed()));
  open(std::move(agents));
  engine_->start();
  const TaskView cyclic = finished(submit("meta.orchestrate", orchestrate_input(R"({"goal":"g","steps":[
      {"id":"a","skill":"memory.recall","after":["a"]}]})")));
  EXPECT_EQ(cyclic.status, TaskStatus::kFailed);
  EXPECT_EQ(cyclic.error->code(), "bad_plan");
  const TaskView unserved = finished(submit("meta.orchestrate", orchestrate_input(R"({"goal":"g","steps":[
      {"id":"a","skill":"security.verify_signature"}]})")));
  EXPECT_EQ(unserved.status, TaskStatus::kFailed);
  EXPECT_NE(unserved.error->message().find("unknown_skill"), std::string::npos);
}

class FixedPolicy final : public RoutePolicy {
 public:
  std::size_t choose(std::string_view route, const std::vector<std::string>& candidates) override {
    std::lock_guard lock(mu);
    routes.emplace_back(route);
    offered = candidates;
    return 1;
  }
  void record(std::string_view route, std::string_view candidate, bool success) override {
    std::lock_guard lock(mu);
    recorded.push_back(std::string(route) + " " + std::string(candidate) + (success ? " ok" : " failed"));
  }
  std::mutex mu;
  std::vector<std::string> routes, offered, recorded;
};

TEST_F(EngineTest, RoutePolicyChoosesAmongAlternativesAndLearnsTheOutcome) {
  FixedPolicy policy;
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall"}, succeed()));
  agents.push_back(agent(AgentKind::kSecurity, {"security.check_policy"}, succeed()));
  open(std::move(agents), {}, true, &policy);
  engine_->start();
  const TaskView t = finished(submit("meta.orchestrate", orchestrate_input(R"({"goal":"g","steps":[
      {"id":"pick","skill":"memory.recall","alternatives":["security.check_policy"]}]})")));
  ASSERT_EQ(t.status, TaskStatus::kSucceeded);
  EXPECT_EQ(policy.routes, std::vector<std::string>{"plan:verify/pick"});
  EXPECT_EQ(policy.offered, (std::vector<std::string>{"memory.recall", "security.check_policy"}));
  EXPECT_EQ(policy.recorded, std::vector<std::string>{"plan:verify/pick security.check_policy ok"});
  EXPECT_NE(std::find(t.agent_path.begin(), t.agent_path.end(), "security"), t.agent_path.end());
}

TEST_F(EngineTest, OrchestrationPastItsDeadlineTimesOutWithItsSteps) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall"},
                         [](std::string_view, const json::Value&, const SkillContext& ctx) -> Result<json::Value> {
                           const auto until = std::chrono::steady_clock::now() + kWait;
                           while (!ctx.cancelled() && std::chrono::steady_clock::now() < until)
                             std::this_thread::sleep_for(1ms);
                           return Error("cancelled", "gave up");
                         }));
  open(std::move(agents));
  engine_->start();
  const TaskView t = finished(submit("meta.orchestrate", orchestrate_input(R"({"goal":"g","steps":[
      {"id":"a","skill":"memory.recall"}]})"),
                                     5, 100));
  EXPECT_EQ(t.status, TaskStatus::kTimedOut);
  for (const std::string& child : t.child_ids) EXPECT_TRUE(is_finished(engine_->get(child)->status));
}

TEST_F(EngineTest, StopCancelsSkillsThatOutliveTheGraceAndKeepsQueuedTasks) {
  Gate started;
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(
      agent(AgentKind::kMemory, {"memory.spin", "memory.note"},
            [&](std::string_view skill, const json::Value&, const SkillContext& ctx) -> Result<json::Value> {
              if (skill == "memory.note") return testing::ok_output();
              started.open();
              const auto until = std::chrono::steady_clock::now() + kWait;
              while (!ctx.cancelled() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
              return Error("cancelled", "saw the shutdown");
            }));
  EngineOptions options = options_with(1);
  options.stop_grace = 10ms;
  open(std::move(agents), options);
  engine_->start();
  const std::string spinning = submit("memory.spin");
  ASSERT_TRUE(started.wait());
  const std::string waiting = submit("memory.note");
  engine_->stop();
  const auto spun = engine_->get(spinning);
  EXPECT_EQ(spun->status, TaskStatus::kCancelled);
  EXPECT_EQ(spun->error->code(), "shutdown");
  EXPECT_EQ(engine_->get(waiting)->status, TaskStatus::kQueued);  // left for the next open
}

TEST_F(EngineTest, QueueCapacityIsBoundedPerLevel) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(agent(AgentKind::kMemory, {"memory.recall"}, succeed()));
  agents.push_back(agent(AgentKind::kSecurity, {"security.check_policy"}, succeed()));
  EngineOptions options;
  options.queue_capacity_per_level = 2;
  open(std::move(agents), options);
  submit("memory.recall");
  submit("memory.recall");
  TaskRequest r;
  r.skill = "memory.recall";
  EXPECT_EQ(engine_->submit(r).error().code(), "queue_full");
  r.skill = "security.check_policy";
  EXPECT_TRUE(engine_->submit(r));  // another level has room
  engine_->stop();
  EXPECT_EQ(engine_->submit(r).error().code(), "stopped");
}

}  // namespace
}  // namespace bizra::ace
