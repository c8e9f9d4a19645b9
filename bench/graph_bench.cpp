// BlockGraph::is_finalized against the original implementation's design (a std::shared_mutex
// around a std::unordered_map), in the same run, at 10, 1 000 and 1 000 000 blocks:
//   - Read/threads:1 and Read/threads:2   readers only;
//   - ReadWhileWriting/N/P/threads:2      two readers while a background writer inserts, flat out
//                                         (P = 0) or paced at P inserts per second.
// Lookups are of known ids in a pre-generated random order (each id once per pass when the graph
// is large), so the loops measure lookups, not a random number generator. With threads:2,
// Google Benchmark divides wall time by the lookups of both threads: Time is the aggregate
// ns per lookup (a thread's own latency is twice that) and items_per_second the aggregate rate.
//
// The writer repeats a cycle that keeps the readers' blocks in place: extend the chain by one
// block, grow a 255-block fork beside it, commit the new block, drop the fork. So each cycle
// inserts 256 blocks and removes 255. Each ReadWhileWriting run starts from a fresh graph;
// blocks_at_end shows how much it grew during the run (the readers query only the N blocks).
// A flat-out writer takes a core of its own: on a machine with fewer than three free cores the
// readers then lose CPU time to it, the more so the less the writer is blocked (BlockGraph's
// writer never is; the baseline's waits for its lock). The paced writer (64 000 inserts/s, far
// above what consensus produces) isolates the cost of concurrent writes from that effect.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "graph/block_graph.hpp"
#include "support/synthetic_ids.hpp"

namespace {

using bizra::Hash32;
using bizra::graph::BlockGraph;

Hash32 make_id(std::uint64_t n) { return bizra::testing::synthetic_id(n); }

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "graph_bench: %s failed\n", what);
  std::abort();
}

// The baseline: every call takes the lock, shared for reads, exclusive for writes.
class LockedGraph {
 public:
  explicit LockedGraph(const Hash32& root) { blocks_.emplace(root, Entry{Hash32{}, 0, true}); }

  void insert(const Hash32& id, const Hash32& parent, std::uint64_t /*round*/) {
    std::unique_lock lock(mutex_);
    const auto it = blocks_.find(parent);
    check(it != blocks_.end(), "baseline insert");
    blocks_.emplace(id, Entry{parent, it->second.height + 1, false});
  }
  void commit(const Hash32& id) {
    std::unique_lock lock(mutex_);
    for (auto it = blocks_.find(id); !it->second.committed; it = blocks_.find(it->second.parent))
      it->second.committed = true;
  }
  void drop(const std::vector<Hash32>& forks) {
    std::unique_lock lock(mutex_);
    for (const Hash32& id : forks) blocks_.erase(id);
  }
  bool is_finalized(const Hash32& id) const {
    std::shared_lock lock(mutex_);
    const auto it = blocks_.find(id);
    return it != blocks_.end() && it->second.committed;
  }
  std::size_t size() const {
    std::shared_lock lock(mutex_);
    return blocks_.size();
  }

 private:
  // Ids are BLAKE3 outputs: their first 8 bytes are a proper hash already.
  struct IdHash {
    std::size_t operator()(const Hash32& id) const {
      std::size_t h = 0;
      std::memcpy(&h, id.data(), sizeof h);
      return h;
    }
  };
  struct Entry {
    Hash32 parent;
    std::uint64_t height;
    bool committed;
  };
  mutable std::shared_mutex mutex_;
  std::unordered_map<Hash32, Entry, IdHash> blocks_;
};

// BlockGraph behind the same four calls.
class Ours {
 public:
  explicit Ours(const Hash32& root) : graph_(bizra::graph::RootBlock{root, 0, 0}, {4, 4}) {}
  void insert(const Hash32& id, const Hash32& parent, std::uint64_t round) {
    check(graph_.insert({id, parent, round}).ok(), "insert");
  }
  void commit(const Hash32& id) { check(graph_.mark_committed(id).ok(), "commit"); }
  void drop(const std::vector<Hash32>& /*forks*/) { graph_.prune(); }
  bool is_finalized(const Hash32& id) const { return graph_.is_finalized(id); }
  std::size_t size() const { return graph_.size(); }

 private:
  BlockGraph graph_;
};

// A chain of `blocks` blocks committed up to two below its tip (as a 2-chain rule leaves it),
// the lookups to run on it, and where the writer goes on from.
template <typename Graph>
struct Fixture {
  explicit Fixture(std::size_t blocks) : graph(make_id(0)) {
    std::vector<Hash32> ids{make_id(0)};
    for (std::uint64_t i = 1; i < blocks; ++i) {
      ids.push_back(make_id(i));
      graph.insert(ids[i], ids[i - 1], i);
      if (i > 2) graph.commit(ids[i - 2]);
    }
    graph.drop({});  // settles the committed heights
    tip = ids.back();
    round = blocks;
    next_id = std::uint64_t{1} << 40;
    std::mt19937_64 rng(blocks);
    while (queries.size() < std::max<std::size_t>(blocks, 1 << 16)) {
      std::shuffle(ids.begin(), ids.end(), rng);
      queries.insert(queries.end(), ids.begin(), ids.end());
    }
  }

  // One writer cycle; returns the blocks inserted.
  std::uint64_t write_cycle() {
    const Hash32 next = make_id(next_id++);
    graph.insert(next, tip, ++round);
    Hash32 parent = tip;
    for (int k = 0; k < 255; ++k) {
      forks.push_back(make_id(next_id++));
      graph.insert(forks.back(), parent, ++round);
      parent = forks.back();
    }
    graph.commit(next);  // the fork's root is now at the committed height: all of it can go
    graph.drop(forks);
    forks.clear();
    tip = next;
    return 256;
  }

  Graph graph;
  std::vector<Hash32> queries;
  Hash32 tip;
  std::uint64_t round = 0;
  std::uint64_t next_id = 0;
  std::vector<Hash32> forks;
};

// Read-only fixtures are built once per (graph type, size) and shared by the threads of a
// benchmark and its repetitions: a million-block graph takes a while to build.
template <typename Graph>
const Fixture<Graph>& shared_fixture(std::size_t blocks) {
  static std::mutex mutex;
  static std::map<std::size_t, std::unique_ptr<Fixture<Graph>>> fixtures;
  std::lock_guard lock(mutex);
  auto& slot = fixtures[blocks];
  if (!slot) slot = std::make_unique<Fixture<Graph>>(blocks);
  return *slot;
}

template <typename Graph>
void lookups(benchmark::State& state, const Fixture<Graph>& f) {
  const auto& queries = f.queries;
  std::size_t next = (queries.size() / 2) * static_cast<std::size_t>(state.thread_index());
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.graph.is_finalized(queries[next]));
    if (++next == queries.size()) next = 0;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

template <typename Graph>
void BM_Read(benchmark::State& state) {
  lookups(state, shared_fixture<Graph>(static_cast<std::size_t>(state.range(0))));
}

template <typename Graph>
void BM_ReadWhileWriting(benchmark::State& state) {
  // A fresh graph per run (thread 0 builds it while thread 1 waits), so that what the writer
  // adds does not pile up over the runs.
  static std::barrier built(2);
  static std::unique_ptr<Fixture<Graph>> fresh;
  if (state.thread_index() == 0)
    fresh = std::make_unique<Fixture<Graph>>(static_cast<std::size_t>(state.range(0)));
  built.arrive_and_wait();
  Fixture<Graph>& f = *fresh;
  const auto inserts_per_second = static_cast<std::uint64_t>(state.range(1));
  std::atomic<bool> stop{false};
  std::uint64_t inserted = 0;
  std::thread writer;
  const auto start = std::chrono::steady_clock::now();
  if (state.thread_index() == 0) {
    writer = std::thread([&] {
      auto next_cycle = start;
      while (!stop.load(std::memory_order_relaxed)) {
        const std::uint64_t blocks = f.write_cycle();
        inserted += blocks;
        if (inserts_per_second == 0) continue;
        const std::uint64_t nanoseconds = 1'000'000'000 * blocks / inserts_per_second;
        next_cycle += std::chrono::nanoseconds(static_cast<std::int64_t>(nanoseconds));
        std::this_thread::sleep_until(next_cycle);
      }
    });
  }
  lookups(state, f);
  if (state.thread_index() == 0) {
    stop.store(true);
    writer.join();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    state.counters["writer_inserts_per_s"] = static_cast<double>(inserted) / elapsed.count();
    state.counters["blocks_at_end"] = static_cast<double>(f.graph.size());
    fresh.reset();  // thread 1 has left its loop: the loop's end is a barrier
  }
}

void sizes(benchmark::internal::Benchmark* b) {
  b->Arg(10)->Arg(1'000)->Arg(1'000'000)->UseRealTime();
}

// Sizes, and the writer's pace in inserts per second (0: flat out).
void sizes_and_paces(benchmark::internal::Benchmark* b) {
  b->ArgsProduct({{10, 1'000, 1'000'000}, {0, 64'000}})->UseRealTime();
}

}  // namespace

BENCHMARK_TEMPLATE(BM_Read, Ours)->Apply(sizes)->Threads(1)->Threads(2);
BENCHMARK_TEMPLATE(BM_Read, LockedGraph)->Apply(sizes)->Threads(1)->Threads(2);
BENCHMARK_TEMPLATE(BM_ReadWhileWriting, Ours)->Apply(sizes_and_paces)->Threads(2);
BENCHMARK_TEMPLATE(BM_ReadWhileWriting, LockedGraph)->Apply(sizes_and_paces)->Threads(2);

BENCHMARK_MAIN();
