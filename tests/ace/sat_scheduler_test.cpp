// SAT tasks: the node's own periodic jobs are submitted once per period, as SAT tasks of the
// requester "node", and a restarted scheduler does not submit a period's job twice.
#include "service/sat_scheduler.hpp"

#include <gtest/gtest.h>

#include "engine_test_support.hpp"
#include "storage/store.hpp"

namespace bizra::ace {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedAgent;

std::unique_ptr<Engine> engine_over(storage::Store& store) {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(std::make_unique<ScriptedAgent>(
      AgentKind::kOperations, std::vector<std::string>{"operations.backup", "operations.health"},
      [](std::string_view, const json::Value&, const SkillContext&) { return Result<json::Value>(testing::ok_output()); }));
  auto engine = Engine::open(store, crypto::SecretKey::generate(), std::move(agents), nullptr).value();
  engine->start();
  return engine;
}

std::chrono::system_clock::time_point at(std::int64_t unix_s) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_s));
}

TEST(SatScheduler, SubmitsEachJobOncePerPeriodAsANodeTask) {
  auto store = storage::open_memory();
  auto engine = engine_over(*store);
  service::SatScheduler scheduler(*engine, {{"operations.health", 60s, 5'000}, {"operations.backup", 0s, 5'000}});
  scheduler.tick(at(6000));   // period 100 of health; backup is off (period 0)
  scheduler.tick(at(6059));   // same period
  EXPECT_EQ(engine->status().submitted, 1u);
  scheduler.tick(at(6060));   // period 101
  EXPECT_EQ(engine->status().submitted, 2u);

  // A scheduler started again within period 101 (a restarted node) finds the task it submitted.
  service::SatScheduler restarted(*engine, {{"operations.health", 60s, 5'000}});
  restarted.tick(at(6100));
  EXPECT_EQ(engine->status().submitted, 2u);
}

TEST(SatScheduler, TasksAreSatTasksOfTheNode) {
  auto store = storage::open_memory();
  std::vector<TaskView> seen;
  auto engine = engine_over(*store);
  service::SatScheduler scheduler(*engine, {{"operations.health", 3600s, 5'000}});
  scheduler.tick(at(7200));
  TaskRequest probe;
  probe.type = TaskType::kSat;
  probe.skill = "operations.health";
  probe.requester = "node";
  probe.idempotency_key = "sat:operations.health:2";  // 7200 / 3600
  const std::string id = engine->submit(std::move(probe)).value();  // the idempotency key finds it
  const auto task = engine->wait(id, 5s);
  ASSERT_TRUE(task.has_value());
  EXPECT_EQ(task->request.type, TaskType::kSat);
  EXPECT_EQ(task->request.requester, "node");
  EXPECT_EQ(task->request.deadline_ms, 5'000u);
  EXPECT_EQ(task->status, TaskStatus::kSucceeded);
  EXPECT_EQ(engine->status().submitted, 1u);
}

}  // namespace
}  // namespace bizra::ace
