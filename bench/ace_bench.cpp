// ACE engine overhead: what the engine itself costs per task, measured with a skill that does
// nothing ("security.noop" returns {}), so every microsecond is queueing, scheduling, durable
// records (one per state change), receipts and bookkeeping.
//   - BM_AceNoopThroughput/workers/rocksdb/receipts/rerunnable: submit a batch of 2000 tasks, wait
//     until all have finished; items_per_second is tasks/s, us_per_task its inverse (wall time),
//     cpu_us_per_task the CPU time of all threads per task (user + system).
//   - BM_AceNoopLatency/rocksdb/receipts: one task at a time, submit -> finished (wait()).
// rocksdb: 0 = memory store, 1 = RocksDB in a fresh /tmp directory (WAL, no fsync).
// receipts: 1 = EngineOptions::sign_receipts (Ed25519 per task, the default), 0 = off.
// rerunnable: 1 = the skill declares itself re-runnable (Agent::rerunnable: it only reads, as a
// no-op does, so its start is not written: two records per task), 0 = a skill with side effects
// (three records: queued, running, finished). Only the RocksDB rows measure both.

#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "ace/engine.hpp"

namespace {

using namespace bizra;
using namespace bizra::ace;

constexpr int kBatch = 2000;

// CPU time of the whole process (every engine thread), in microseconds: on a shared machine the
// wall time per task depends on the neighbours, the CPU time per task much less.
double process_cpu_us() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto us = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_usec); };
  return us(usage.ru_utime) + us(usage.ru_stime);
}

class NoopAgent final : public Agent {
 public:
  explicit NoopAgent(bool rerunnable) : rerunnable_(rerunnable) {}
  AgentKind kind() const override { return AgentKind::kSecurity; }
  std::vector<std::string> skills() const override { return {"security.noop"}; }
  Result<json::Value> run(std::string_view, const json::Value&, const SkillContext&) override {
    return json::Value::object({});
  }
  bool rerunnable(std::string_view) const override { return rerunnable_; }

 private:
  bool rerunnable_;
};

// An engine over a memory or RocksDB store (in a fresh directory, removed afterwards) that counts
// finished tasks.
class Fixture {
 public:
  Fixture(bool rocksdb, std::size_t workers, bool receipts, bool rerunnable = true) {
    if (rocksdb) {
      std::string pattern = "/tmp/bizra-ace-bench-XXXXXX";
      if (::mkdtemp(pattern.data()) == nullptr) std::abort();
      dir_ = pattern;
      auto store = storage::open_rocksdb(dir_ / "db");
      if (!store) std::abort();
      store_ = std::move(store).value();
    } else {
      store_ = storage::open_memory();
    }
    std::vector<std::unique_ptr<Agent>> agents;
    agents.push_back(std::make_unique<NoopAgent>(rerunnable));
    EngineOptions options;
    options.workers = workers;
    options.sign_receipts = receipts;
    options.max_concurrency_per_agent = workers;
    options.max_retained_tasks = 10'000;
    auto engine = Engine::open(*store_, crypto::SecretKey::generate(), std::move(agents), nullptr, options);
    if (!engine) std::abort();
    engine_ = std::move(engine).value();
    engine_->add_listener([this](const TaskEvent& e) {
      if (e.kind != TaskEvent::Kind::kFinished) return;
      std::lock_guard lock(mu_);
      ++finished_;
      cv_.notify_all();
    });
    engine_->start();
  }
  ~Fixture() {
    engine_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  Fixture(const Fixture&) = delete;
  Fixture& operator=(const Fixture&) = delete;

  std::string submit() {
    TaskRequest request;
    request.skill = "security.noop";
    request.requester = "bench";
    auto id = engine_->submit(std::move(request));
    if (!id) std::abort();
    return std::move(id).value();
  }
  void wait_finished(std::uint64_t total) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return finished_ >= total; });
  }
  Engine& engine() { return *engine_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<Engine> engine_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t finished_ = 0;
};

void BM_AceNoopThroughput(benchmark::State& state) {
  Fixture f(state.range(1) == 1, static_cast<std::size_t>(state.range(0)), state.range(2) == 1, state.range(3) == 1);
  std::uint64_t total = 0;
  const auto begin = std::chrono::steady_clock::now();
  const double cpu_begin = process_cpu_us();
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) f.submit();
    total += kBatch;
    f.wait_finished(total);
  }
  const std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - begin;
  state.SetItemsProcessed(static_cast<std::int64_t>(total));
  state.counters["us_per_task"] = elapsed.count() / static_cast<double>(total);
  state.counters["cpu_us_per_task"] = (process_cpu_us() - cpu_begin) / static_cast<double>(total);
}
// Every workers x store x receipts combination for the re-runnable no-op, and the RocksDB rows
// again for a skill whose start must be written.
void noop_throughput_args(benchmark::internal::Benchmark* b) {
  for (int workers : {1, 2})
    for (int rocksdb : {0, 1})
      for (int receipts : {0, 1})
        for (int rerunnable : {1, 0})
          if (rerunnable == 1 || rocksdb == 1) b->Args({workers, rocksdb, receipts, rerunnable});
}
BENCHMARK(BM_AceNoopThroughput)
    ->ArgNames({"workers", "rocksdb", "receipts", "rerunnable"})
    ->Apply(noop_throughput_args)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_AceNoopLatency(benchmark::State& state) {
  Fixture f(state.range(0) == 1, 1, state.range(1) == 1);
  for (auto _ : state) {
    const std::string id = f.submit();
    f.engine().wait(id, std::chrono::seconds(10));
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_AceNoopLatency)
    ->ArgNames({"rocksdb", "receipts"})
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
