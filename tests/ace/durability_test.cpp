// Task records survive restarts and crashes: close+reopen, crafted records of a crash, and a real
// SIGKILL of a child process in the middle of a plan.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "ace/engine.hpp"
#include "ace/task_codec.hpp"
#include "engine_test_support.hpp"

namespace bizra::ace {
namespace {

using namespace std::chrono_literals;
using testing::Gate;
using testing::ScriptedAgent;

constexpr std::string_view kCrashDirEnv = "BIZRA_ACE_CRASH_DIR";

std::vector<std::unique_ptr<Agent>> memory_agents(std::function<void()> on_block = {}) {
  auto agents = testing::orchestration_agents();
  agents.push_back(std::make_unique<ScriptedAgent>(
      AgentKind::kMemory, std::vector<std::string>{"memory.block", "memory.recall"},
      [on_block](std::string_view skill, const json::Value&, const SkillContext& ctx) -> Result<json::Value> {
        if (skill == "memory.block") {
          if (on_block) on_block();
          const auto until = std::chrono::steady_clock::now() + 60s;
          while (!ctx.cancelled() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(1ms);
          return Error("cancelled", "stopped blocking");
        }
        return testing::ok_output();
      }));
  return agents;
}

// Every task record in the store, by id.
std::map<std::string, TaskView> stored_tasks(const storage::Store& store) {
  std::map<std::string, TaskView> out;
  const Status scanned =
      store.scan_prefix(storage::Column::kAceTasks, as_bytes(detail::kTaskKeyPrefix), [&](ByteSpan, ByteSpan value) {
        auto decoded = detail::decode_task_record(value);
        EXPECT_TRUE(decoded) << decoded.error().to_string();
        if (decoded) out.emplace(decoded->view.id, decoded->view);
        return true;
      });
  EXPECT_TRUE(scanned);
  return out;
}

TEST(AceDurability, CloseAndReopenRunsTasksThatWereQueued) {
  const auto dir = testing::temp_dir("reopen");
  std::vector<std::string> ids;
  {
    auto store = storage::open_rocksdb(dir);
    ASSERT_TRUE(store);
    auto engine = Engine::open(**store, testing::test_key(), memory_agents(), nullptr);
    ASSERT_TRUE(engine);
    TaskRequest r;
    r.skill = "memory.recall";
    r.idempotency_key = "first";
    r.requester = "alice";
    ids.push_back(*(*engine)->submit(r));
    r.idempotency_key.clear();
    ids.push_back(*(*engine)->submit(r));
    // never started: both stay queued, on disk
  }
  auto store = storage::open_rocksdb(dir);
  ASSERT_TRUE(store);
  for (const auto& [id, view] : stored_tasks(**store)) EXPECT_EQ(view.status, TaskStatus::kQueued);
  auto engine = Engine::open(**store, testing::test_key(), memory_agents(), nullptr);
  ASSERT_TRUE(engine);
  (*engine)->start();
  for (const std::string& id : ids) {
    const auto t = (*engine)->wait(id, 10s);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->status, TaskStatus::kSucceeded);
  }
  TaskRequest again;
  again.skill = "memory.recall";
  again.idempotency_key = "first";
  again.requester = "alice";
  EXPECT_EQ(*(*engine)->submit(again), ids[0]);  // the key survived the restart
  engine->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}

// What a crash in the middle of a plan leaves: a running parent, a running step, a queued step.
TEST(AceDurability, RecoveryFailsRunningTasksAndOrphanedStepsAsInterrupted) {
  auto store = storage::open_memory();
  const auto record = [&](std::string id, std::string skill, TaskStatus status, std::string parent) {
    TaskView v;
    v.id = std::move(id);
    v.request.skill = std::move(skill);
    v.request.requester = "alice";
    v.status = status;
    v.parent_id = std::move(parent);
    v.submitted_unix_ms = 1000;
    storage::WriteBatch batch;
    batch.put(storage::Column::kAceTasks, as_bytes(detail::task_key(v.id)), detail::encode_task_record(v, "{}", ""));
    ASSERT_TRUE(store->write(batch, storage::Durability::kNoSync));
  };
  const std::string parent(32, '1'), running_step(32, '2'), queued_step(32, '3'), plain(32, '4');
  record(parent, "meta.orchestrate", TaskStatus::kRunning, "");
  record(running_step, "memory.block", TaskStatus::kRunning, parent);
  record(queued_step, "memory.recall", TaskStatus::kQueued, parent);
  record(plain, "memory.recall", TaskStatus::kRunning, "");
  auto engine = Engine::open(*store, testing::test_key(), memory_agents(), nullptr);
  ASSERT_TRUE(engine) << engine.error().to_string();
  for (const std::string& id : {parent, running_step, queued_step, plain}) {
    const auto t = (*engine)->get(id);
    ASSERT_TRUE(t) << id;
    EXPECT_EQ(t->status, TaskStatus::kFailed) << id;
    EXPECT_EQ(t->error->code(), "interrupted") << id;
    EXPECT_FALSE(t->error->message().empty());
    ASSERT_TRUE(t->receipt) << id;
    EXPECT_TRUE(verify_receipt(*t->receipt, (*engine)->node_public_key())) << id;
  }
}

// A memory agent with a read-only (re-runnable) skill and one with side effects; with gates, both
// skills wait until the test has seen them start and releases them.
std::vector<std::unique_ptr<Agent>> read_write_agents(Gate* started, Gate* release) {
  auto agents = testing::orchestration_agents();
  agents.push_back(std::make_unique<ScriptedAgent>(
      AgentKind::kMemory, std::vector<std::string>{"memory.read", "memory.write"},
      [started, release](std::string_view, const json::Value&, const SkillContext&) -> Result<json::Value> {
        if (started != nullptr && !(started->arrive_and_wait(3) && release->wait()))
          return Error("test_timeout", "the test never released the skill");
        return testing::ok_output();
      },
      std::vector<std::string>{"memory.read"}));
  return agents;
}

// The start of a re-runnable skill is not written, so a crash while it runs leaves its record
// queued and the restart runs it again; a skill with side effects finishes "interrupted".
TEST(AceDurability, CrashWhileRunningRerunsOnlyRerunnableSkills) {
  auto store = storage::open_memory();
  Gate started, release;
  EngineOptions options;
  options.workers = 2;
  options.max_concurrency_per_agent = 2;
  auto engine = Engine::open(*store, testing::test_key(), read_write_agents(&started, &release), nullptr, options);
  ASSERT_TRUE(engine);
  (*engine)->start();
  TaskRequest read, write;
  read.skill = "memory.read";
  write.skill = "memory.write";
  const std::string read_id = *(*engine)->submit(read), write_id = *(*engine)->submit(write);
  ASSERT_TRUE(started.arrive_and_wait(3));  // both skills are running
  // What a crash now would leave on disk.
  storage::WriteBatch image;
  ASSERT_TRUE(store->scan_prefix(storage::Column::kAceTasks, as_bytes(detail::kTaskKeyPrefix),
                                 [&](ByteSpan key, ByteSpan value) {
                                   image.put(storage::Column::kAceTasks, key, value);
                                   return true;
                                 }));
  release.open();
  EXPECT_EQ((*engine)->wait(read_id, 10s)->status, TaskStatus::kSucceeded);
  EXPECT_EQ((*engine)->wait(write_id, 10s)->status, TaskStatus::kSucceeded);
  engine->reset();

  auto crashed = storage::open_memory();
  ASSERT_TRUE(crashed->write(image, storage::Durability::kNoSync));
  const auto on_disk = stored_tasks(*crashed);
  EXPECT_EQ(on_disk.at(read_id).status, TaskStatus::kQueued);
  EXPECT_EQ(on_disk.at(write_id).status, TaskStatus::kRunning);
  auto restarted = Engine::open(*crashed, testing::test_key(), read_write_agents(nullptr, nullptr), nullptr);
  ASSERT_TRUE(restarted) << restarted.error().to_string();
  (*restarted)->start();
  const auto rerun = (*restarted)->wait(read_id, 10s);
  EXPECT_EQ(rerun->status, TaskStatus::kSucceeded);
  EXPECT_EQ(rerun->attempts, 1u);
  const auto interrupted = (*restarted)->wait(write_id, 10s);
  EXPECT_EQ(interrupted->status, TaskStatus::kFailed);
  EXPECT_EQ(interrupted->error->code(), "interrupted");
}

TEST(AceDurability, CorruptRecordRefusesToOpen) {
  auto store = storage::open_memory();
  storage::WriteBatch batch;
  batch.put(storage::Column::kAceTasks, as_bytes(detail::task_key(std::string(32, 'a'))), as_bytes("garbage"));
  ASSERT_TRUE(store->write(batch, storage::Durability::kNoSync));
  auto engine = Engine::open(*store, testing::test_key(), memory_agents(), nullptr);
  ASSERT_FALSE(engine);
  EXPECT_EQ(engine.error().code(), "corrupt");
}

// Runs only in the child process that AceDurability.SigkillMidPlan starts: a plan whose step
// "a" blocks, plain tasks queued behind it; it writes <dir>/marker once "a" runs and waits to die.
TEST(AceCrashChild, RunsUntilKilled) {
  const char* dir_env = std::getenv(std::string(kCrashDirEnv).c_str());
  if (dir_env == nullptr) GTEST_SKIP() << "helper of AceDurability.SigkillMidPlan";
  const std::filesystem::path dir(dir_env);
  auto store = storage::open_rocksdb(dir / "db");
  if (!store) std::_Exit(3);
  EngineOptions options;
  options.workers = 2;
  options.max_concurrency_per_agent = 1;  // memory tasks queue behind the blocked step
  std::atomic<Engine*> running_engine{nullptr};
  const auto on_block = [&running_engine, dir] {
    // Plain tasks submitted now wait behind the blocked step: queued at the kill.
    TaskRequest plain;
    plain.skill = "memory.recall";
    for (int i = 0; i < 3; ++i)
      if (!running_engine.load()->submit(plain)) std::_Exit(6);
    std::ofstream(dir / "marker") << "running\n";
  };
  auto engine = Engine::open(**store, testing::test_key(), memory_agents(on_block), nullptr, options);
  if (!engine) std::_Exit(4);
  running_engine = engine->get();
  (*engine)->start();
  TaskRequest plan;
  plan.skill = "meta.orchestrate";
  plan.input = testing::parse(R"({"goal":"crash test","plan":{"goal":"g","steps":[
      {"id":"a","skill":"memory.block"},{"id":"b","skill":"memory.recall"},
      {"id":"c","skill":"memory.recall","after":["a","b"]}]}})");
  if (!(*engine)->submit(plan)) std::_Exit(5);
  std::this_thread::sleep_for(60s);  // the parent kills us long before
  std::_Exit(7);
}

TEST(AceDurability, SigkillMidPlanLosesNoTask) {
  const auto dir = testing::temp_dir("sigkill");
  std::filesystem::create_directories(dir);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A fresh process image (no threads inherited from earlier tests): this binary, running only
    // the child half above.
    ::setenv(std::string(kCrashDirEnv).c_str(), dir.c_str(), 1);
    const std::string self = std::filesystem::read_symlink("/proc/self/exe");
    ::execl(self.c_str(), self.c_str(), "--gtest_filter=AceCrashChild.RunsUntilKilled", static_cast<char*>(nullptr));
    std::_Exit(2);
  }
  bool running = false;
  int status = 0;
  for (int i = 0; i < 2000 && !running; ++i) {
    running = std::filesystem::exists(dir / "marker");
    if (!running && ::waitpid(pid, &status, WNOHANG) == pid) break;  // died early: fail below
    if (!running) std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(running) << "the child never ran the blocking step";

  auto store = storage::open_rocksdb(dir / "db");
  ASSERT_TRUE(store) << store.error().to_string();
  const auto before = stored_tasks(**store);
  // The plan, its planner, steps a and b (a ran, b waited), and three plain tasks.
  ASSERT_GE(before.size(), 7u);
  std::size_t running_before = 0;
  for (const auto& [id, view] : before) running_before += view.status == TaskStatus::kRunning;
  EXPECT_GE(running_before, 2u);  // the plan and step a

  auto engine = Engine::open(**store, testing::test_key(), memory_agents(), nullptr);
  ASSERT_TRUE(engine) << engine.error().to_string();
  const auto after = stored_tasks(**store);
  EXPECT_EQ(after.size(), before.size());  // nothing vanished
  std::size_t requeued = 0;
  for (const auto& [id, view] : after) {
    if (view.status == TaskStatus::kQueued) {
      EXPECT_TRUE(view.parent_id.empty()) << "a step of a dead plan was queued again";
      ++requeued;
      continue;
    }
    ASSERT_TRUE(is_finished(view.status)) << id;
    if (view.status != TaskStatus::kSucceeded) {
      EXPECT_EQ(view.error->code(), "interrupted") << id;
      EXPECT_FALSE(view.error->message().empty());
    }
    ASSERT_TRUE(view.receipt) << id;
    EXPECT_TRUE(verify_receipt(*view.receipt, testing::test_key().public_key())) << id;
  }
  EXPECT_EQ(requeued, 3u);  // the plain tasks
  (*engine)->start();
  for (const auto& [id, view] : after)
    if (view.status == TaskStatus::kQueued) {
      EXPECT_EQ((*engine)->wait(id, 10s)->status, TaskStatus::kSucceeded);
    }
  engine->reset();
  store->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace bizra::ace
