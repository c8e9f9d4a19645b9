// Storage micro-benchmarks (RocksDB store in a fresh /tmp directory; the memory store as a
// baseline for point reads):
//   - point read of a present key, hot (data compacted to SST files and in the block cache);
//   - point write (one 32-byte key, 256-byte value): synced vs unsynced;
//   - a batch of 100 such writes, synced (one fsync for the whole batch).
// Synced figures measure the disk's fsync latency more than RocksDB; compare them only across
// runs on the same machine.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "storage/store.hpp"

namespace {

using bizra::Bytes;
using bizra::storage::Column;
using bizra::storage::Durability;
using bizra::storage::Store;
using bizra::storage::WriteBatch;

constexpr std::size_t kKeyCount = 100'000;

// A RocksDB store in a fresh directory, removed with it.
class ScratchStore {
 public:
  ScratchStore() {
    std::string pattern = "/tmp/bizra-storage-bench-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    dir_ = pattern;
    auto store = bizra::storage::open_rocksdb(dir_ / "db");
    if (!store.ok()) std::abort();
    store_ = std::move(store).value();
  }
  ~ScratchStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  ScratchStore(const ScratchStore&) = delete;
  ScratchStore& operator=(const ScratchStore&) = delete;
  Store& operator*() { return *store_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

// SplitMix64: spreads keys over the key space, as hashes are, and costs little inside the
// timed loops (unlike seeding a Mersenne Twister per key).
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

Bytes key_for(std::uint64_t i) {
  Bytes key(32);
  for (std::size_t k = 0; k < key.size(); k += 8) {
    const std::uint64_t word = mix(i * 4 + k / 8);
    for (std::size_t b = 0; b < 8; ++b) key[k + b] = static_cast<std::uint8_t>(word >> (8 * b));
  }
  return key;
}

const Bytes kValue(256, 0x5a);

void fill(Store& store) {
  WriteBatch batch;
  for (std::uint64_t i = 0; i < kKeyCount; ++i) {
    batch.put(Column::kState, key_for(i), kValue);
    if (batch.size() == 1000) {
      if (!store.write(batch, Durability::kNoSync).ok()) std::abort();
      batch.clear();
    }
  }
  if (!store.compact().ok()) std::abort();  // reads go through SST files and the block cache
}

void point_reads(benchmark::State& state, Store& store) {
  fill(store);
  std::mt19937_64 rng(1);
  std::vector<Bytes> keys;
  for (int i = 0; i < 4096; ++i) keys.push_back(key_for(rng() % kKeyCount));
  for (const auto& key : keys) benchmark::DoNotOptimize(store.get(Column::kState, key));  // warm
  std::size_t next = 0;
  for (auto _ : state) {
    auto value = store.get(Column::kState, keys[next++ % keys.size()]);
    if (!value.ok() || !value->has_value()) state.SkipWithError("key missing");
    benchmark::DoNotOptimize(value);
  }
}

void BM_PointReadHot_RocksDB(benchmark::State& state) {
  ScratchStore store;
  point_reads(state, *store);
}

void BM_PointReadHot_Memory(benchmark::State& state) {
  const auto store = bizra::storage::open_memory();
  point_reads(state, *store);
}

// Arg: 1 = synced, 0 = unsynced.
void BM_PointWrite(benchmark::State& state) {
  ScratchStore store;
  const Durability durability = state.range(0) == 1 ? Durability::kSync : Durability::kNoSync;
  std::uint64_t i = 0;
  for (auto _ : state) {
    WriteBatch batch;
    batch.put(Column::kState, key_for(i++), kValue);
    if (!(*store).write(batch, durability).ok()) state.SkipWithError("write failed");
  }
  state.SetLabel(state.range(0) == 1 ? "sync" : "nosync");
}

void BM_Batch100Synced(benchmark::State& state) {
  ScratchStore store;
  std::uint64_t i = 0;
  for (auto _ : state) {
    WriteBatch batch;
    for (int k = 0; k < 100; ++k) batch.put(Column::kState, key_for(i++), kValue);
    if (!(*store).write(batch, Durability::kSync).ok()) state.SkipWithError("write failed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 100);
}

}  // namespace

BENCHMARK(BM_PointReadHot_RocksDB);
BENCHMARK(BM_PointReadHot_Memory);
BENCHMARK(BM_PointWrite)->Arg(0)->Arg(1);
BENCHMARK(BM_Batch100Synced);

BENCHMARK_MAIN();
