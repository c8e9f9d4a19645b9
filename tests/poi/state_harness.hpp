#pragma once
// Shared by the PoI state tests: deterministic keys, and one harness per State implementation
// (MemoryState; StoreState on the in-memory store; StoreState on RocksDB in a temp directory)
// with the same commit()/dump() surface, so tests can be typed over all three.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <unistd.h>

#include "crypto/ed25519.hpp"
#include "poi/state.hpp"
#include "poi/store_state.hpp"
#include "storage/store.hpp"

namespace bizra::poi::testing {

inline constexpr std::string_view kChain = "bizra-test";

// The key whose RFC 8032 seed is 32 bytes of `n` (n >= 1 keeps it apart from all-zero seeds).
inline crypto::SecretKey test_key(std::uint8_t n) {
  Bytes seed(crypto::SecretKey::kSeedSize, n);
  auto key = crypto::SecretKey::from_seed(seed);
  EXPECT_TRUE(key.ok());
  return std::move(key).value();
}

class MemoryHarness {
 public:
  static constexpr const char* kName = "memory";
  State& state() { return state_; }
  KvState& kv() { return state_; }
  Result<ChangeSet> commit() { return state_.commit(); }

 private:
  MemoryState state_;
};

// StoreState over a Store; commit() writes the block's batch like the executor does.
class StoreHarnessBase {
 public:
  State& state() { return *state_; }
  KvState& kv() { return *state_; }
  storage::Store& store() { return *store_; }
  Result<ChangeSet> commit() {
    storage::WriteBatch batch;
    auto changes = state_->commit_to(batch);
    if (!changes) return changes;
    BIZRA_TRY(store_->write(batch, storage::Durability::kNoSync));
    return changes;
  }

 protected:
  // Replaces the store (nullptr: none); the state never outlives the store it reads.
  void attach(std::unique_ptr<storage::Store> store) {
    state_.reset();
    store_ = std::move(store);
    if (store_) state_ = std::make_unique<StoreState>(*store_);
  }

 private:
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<StoreState> state_;
};

class StoreMemoryHarness : public StoreHarnessBase {
 public:
  static constexpr const char* kName = "store_memory";
  StoreMemoryHarness() { attach(storage::open_memory()); }
};

class RocksHarness : public StoreHarnessBase {
 public:
  static constexpr const char* kName = "store_rocksdb";
  RocksHarness() : dir_(fresh_dir()) { reopen(); }
  ~RocksHarness() {
    attach(nullptr);
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RocksHarness(const RocksHarness&) = delete;
  RocksHarness& operator=(const RocksHarness&) = delete;

  // Closes and reopens the database (a restart); uncommitted changes are lost.
  void reopen() {
    attach(nullptr);
    auto store = storage::open_rocksdb(dir_);
    EXPECT_TRUE(store.ok()) << store.error().to_string();
    attach(std::move(store).value());
  }

 private:
  static std::filesystem::path fresh_dir() {
    static std::atomic<int> counter{0};
    return std::filesystem::temp_directory_path() /
           ("bizra-poi-state-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  }

  std::filesystem::path dir_;
};

}  // namespace bizra::poi::testing
