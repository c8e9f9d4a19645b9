// The Store contract, run against both implementations: whatever the consensus and state layers
// observe through the simulator's memory store must hold for RocksDB too, and vice versa.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "storage/store.hpp"
#include "temp_dir.hpp"

namespace bizra::storage {
namespace {

using testing::TempDir;
using Entries = std::vector<std::pair<Bytes, Bytes>>;

struct MemoryFactory {
  std::unique_ptr<Store> open() { return open_memory(); }
};

struct RocksFactory {
  TempDir dir;
  std::unique_ptr<Store> open() {
    auto store = open_rocksdb(dir / "db");
    EXPECT_TRUE(store.ok()) << store.error().to_string();
    return std::move(store).value();
  }
};

template <typename Factory>
class StoreContract : public ::testing::Test {
 protected:
  void SetUp() override { store_ = factory_.open(); }

  void put(Column column, std::string_view key, std::string_view value) {
    WriteBatch batch;
    batch.put(column, as_bytes(key), as_bytes(value));
    ASSERT_TRUE(store_->write(batch, Durability::kNoSync).ok());
  }

  static std::optional<std::string> read(const ReadView& view, Column column, ByteSpan key) {
    auto value = view.get(column, key);
    EXPECT_TRUE(value.ok());
    if (!value.ok() || !value->has_value()) return std::nullopt;
    return std::string(as_chars(**value));
  }
  std::optional<std::string> read(Column column, std::string_view key) const {
    return read(*store_, column, as_bytes(key));
  }

  static Entries scan(const ReadView& view, Column column, ByteSpan begin, ByteSpan end) {
    Entries out;
    const Status status = view.scan(column, begin, end, [&](ByteSpan key, ByteSpan value) {
      out.emplace_back(Bytes(key.begin(), key.end()), Bytes(value.begin(), value.end()));
      return true;
    });
    EXPECT_TRUE(status.ok());
    return out;
  }
  static std::vector<Bytes> keys_of(const Entries& entries) {
    std::vector<Bytes> keys;
    for (const auto& entry : entries) keys.push_back(entry.first);
    return keys;
  }

  Factory factory_;
  std::unique_ptr<Store> store_;
};

using Implementations = ::testing::Types<MemoryFactory, RocksFactory>;

class ImplementationNames {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemoryFactory> ? "Memory" : "RocksDB";
  }
};

TYPED_TEST_SUITE(StoreContract, Implementations, ImplementationNames);

TYPED_TEST(StoreContract, PutGetOverwriteErase) {
  EXPECT_EQ(this->read(Column::kState, "k"), std::nullopt);
  this->put(Column::kState, "k", "v1");
  EXPECT_EQ(this->read(Column::kState, "k"), "v1");
  this->put(Column::kState, "k", "v2");
  EXPECT_EQ(this->read(Column::kState, "k"), "v2");

  WriteBatch erase;
  erase.erase(Column::kState, as_bytes("k"));
  erase.erase(Column::kState, as_bytes("never-written"));  // erasing nothing is fine
  ASSERT_TRUE(this->store_->write(erase, Durability::kSync).ok());
  EXPECT_EQ(this->read(Column::kState, "k"), std::nullopt);
}

TYPED_TEST(StoreContract, ColumnsAreSeparateKeySpaces) {
  this->put(Column::kBlocks, "same", "block");
  this->put(Column::kTxIndex, "same", "tx");
  EXPECT_EQ(this->read(Column::kBlocks, "same"), "block");
  EXPECT_EQ(this->read(Column::kTxIndex, "same"), "tx");
  EXPECT_EQ(this->read(Column::kState, "same"), std::nullopt);
}

TYPED_TEST(StoreContract, EveryColumnIsUsable) {
  for (const Column column : kAllColumns) {
    this->put(column, "key", column_name(column));
  }
  for (const Column column : kAllColumns) {
    EXPECT_EQ(this->read(column, "key"), std::string(column_name(column)));
  }
}

TYPED_TEST(StoreContract, LaterOperationInBatchWins) {
  this->put(Column::kState, "erased-last", "old");
  WriteBatch batch;
  batch.put(Column::kState, as_bytes("erased-last"), as_bytes("new"));
  batch.erase(Column::kState, as_bytes("erased-last"));
  batch.erase(Column::kState, as_bytes("put-last"));
  batch.put(Column::kState, as_bytes("put-last"), as_bytes("x"));
  batch.put(Column::kState, as_bytes("twice"), as_bytes("1"));
  batch.put(Column::kState, as_bytes("twice"), as_bytes("2"));
  ASSERT_TRUE(this->store_->write(batch, Durability::kNoSync).ok());
  EXPECT_EQ(this->read(Column::kState, "erased-last"), std::nullopt);
  EXPECT_EQ(this->read(Column::kState, "put-last"), "x");
  EXPECT_EQ(this->read(Column::kState, "twice"), "2");
}

TYPED_TEST(StoreContract, EmptyKeyAndEmptyValueAreOrdinaryEntries) {
  this->put(Column::kState, "", "value-of-empty-key");
  this->put(Column::kState, "empty-value", "");
  EXPECT_EQ(this->read(Column::kState, ""), "value-of-empty-key");
  EXPECT_EQ(this->read(Column::kState, "empty-value"), "");  // present, not nullopt
  const auto all = this->scan(*this->store_, Column::kState, {}, {});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_TRUE(all[0].first.empty());
}

TYPED_TEST(StoreContract, LargeValueRoundTrips) {
  Bytes big(8u << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 31 + i / 7);
  WriteBatch batch;
  batch.put(Column::kKnowledge, as_bytes("big"), big);
  ASSERT_TRUE(this->store_->write(batch, Durability::kSync).ok());
  auto got = this->store_->get(Column::kKnowledge, as_bytes("big"));
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_TRUE(**got == big);
}

// Keys chosen so that signed-char or length-first ordering would give a different order.
TYPED_TEST(StoreContract, ScanIsBytewiseOrderedAndBounded) {
  const std::vector<Bytes> sorted = {{}, {0x00}, {0x00, 0x00}, {0x01}, {0x01, 0xff}, {0x02},
                                     {0x7f}, {0x80}, {0xff}, {0xff, 0x00}};
  WriteBatch batch;
  for (std::size_t i = sorted.size(); i-- > 0;) batch.put(Column::kState, sorted[i], sorted[i]);
  ASSERT_TRUE(this->store_->write(batch, Durability::kNoSync).ok());

  const ReadView& view = *this->store_;
  EXPECT_EQ(this->keys_of(this->scan(view, Column::kState, {}, {})), sorted);
  const Bytes from{0x01, 0xff}, to{0x80};
  EXPECT_EQ(this->keys_of(this->scan(view, Column::kState, from, to)),
            (std::vector<Bytes>{{0x01, 0xff}, {0x02}, {0x7f}}));
  EXPECT_EQ(this->keys_of(this->scan(view, Column::kState, to, {})),
            (std::vector<Bytes>{{0x80}, {0xff}, {0xff, 0x00}}));
  EXPECT_TRUE(this->scan(view, Column::kState, to, from).empty());  // end before begin
  EXPECT_TRUE(this->scan(view, Column::kState, to, to).empty());
  EXPECT_TRUE(this->scan(view, Column::kBlocks, {}, {}).empty());    // other column
}

TYPED_TEST(StoreContract, ScanStopsWhenVisitorSaysSo) {
  for (const char* key : {"a", "b", "c", "d"}) this->put(Column::kMempool, key, "");
  std::vector<std::string> seen;
  ASSERT_TRUE(this->store_
                  ->scan(Column::kMempool, {}, {},
                         [&](ByteSpan key, ByteSpan) {
                           seen.emplace_back(as_chars(key));
                           return seen.size() < 2;
                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TYPED_TEST(StoreContract, ScanPrefixSelectsOneKind) {
  const std::vector<Bytes> keys = {{0x01}, {0x01, 0x00}, {0x01, 0xff, 0xff}, {0x02, 0x00},
                                   {0xff, 0x01}, {0xff, 0xff}, {0x00, 0xff}};
  WriteBatch batch;
  for (const auto& key : keys) batch.put(Column::kState, key, {});
  ASSERT_TRUE(this->store_->write(batch, Durability::kNoSync).ok());
  std::vector<Bytes> seen;
  const auto collect = [&](ByteSpan key, ByteSpan) {
    seen.emplace_back(key.begin(), key.end());
    return true;
  };
  ASSERT_TRUE(this->store_->scan_prefix(Column::kState, Bytes{0x01}, collect).ok());
  EXPECT_EQ(seen, (std::vector<Bytes>{{0x01}, {0x01, 0x00}, {0x01, 0xff, 0xff}}));
  seen.clear();
  ASSERT_TRUE(this->store_->scan_prefix(Column::kState, Bytes{0xff}, collect).ok());
  EXPECT_EQ(seen, (std::vector<Bytes>{{0xff, 0x01}, {0xff, 0xff}}));
}

TYPED_TEST(StoreContract, SnapshotIgnoresLaterWrites) {
  this->put(Column::kState, "a", "1");
  this->put(Column::kState, "b", "1");
  const auto snapshot = this->store_->snapshot();

  WriteBatch later;
  later.put(Column::kState, as_bytes("a"), as_bytes("2"));
  later.erase(Column::kState, as_bytes("b"));
  later.put(Column::kState, as_bytes("c"), as_bytes("2"));
  ASSERT_TRUE(this->store_->write(later, Durability::kNoSync).ok());

  EXPECT_EQ(this->read(*snapshot, Column::kState, as_bytes("a")), "1");
  EXPECT_EQ(this->read(*snapshot, Column::kState, as_bytes("b")), "1");
  EXPECT_EQ(this->read(*snapshot, Column::kState, as_bytes("c")), std::nullopt);
  EXPECT_EQ(this->scan(*snapshot, Column::kState, {}, {}).size(), 2u);
  EXPECT_EQ(this->read(Column::kState, "a"), "2");
  EXPECT_EQ(this->read(Column::kState, "b"), std::nullopt);
  EXPECT_EQ(this->scan(*this->store_, Column::kState, {}, {}).size(), 2u);  // a, c
}

// A live scan is one point in time: its visitor may write, and does not see those writes.
TYPED_TEST(StoreContract, LiveScanDoesNotSeeWritesMadeDuringIt) {
  for (const char* key : {"a", "b", "c"}) this->put(Column::kAceTasks, key, "old");
  std::vector<std::string> seen;
  ASSERT_TRUE(this->store_
                  ->scan(Column::kAceTasks, {}, {},
                         [&](ByteSpan key, ByteSpan value) {
                           seen.push_back(std::string(as_chars(key)) + "=" +
                                          std::string(as_chars(value)));
                           WriteBatch batch;
                           batch.put(Column::kAceTasks, as_bytes("c"), as_bytes("new"));
                           batch.put(Column::kAceTasks, as_bytes("bb"), as_bytes("new"));
                           EXPECT_TRUE(this->store_->write(batch, Durability::kNoSync).ok());
                           return true;
                         })
                  .ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"a=old", "b=old", "c=old"}));
  EXPECT_EQ(this->read(Column::kAceTasks, "c"), "new");
}

// A reader never observes half a batch: every batch sets the same three keys (in two columns)
// to the same value, so any snapshot must see them equal.
TYPED_TEST(StoreContract, ConcurrentReadersSeeWholeBatches) {
  const auto write_round = [&](int round) {
    const std::string value = std::to_string(round);
    WriteBatch batch;
    batch.put(Column::kBlocks, as_bytes("x"), as_bytes(value));
    batch.put(Column::kState, as_bytes("y"), as_bytes(value));
    batch.put(Column::kState, as_bytes("z"), as_bytes(value));
    return this->store_->write(batch, Durability::kNoSync).ok();
  };
  ASSERT_TRUE(write_round(0));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int round = 1; round <= 2000; ++round) {
      if (!write_round(round)) {
        ADD_FAILURE() << "write failed in round " << round;
        break;
      }
    }
    done = true;
  });
  int checks = 0;
  bool consistent = true;
  while (consistent && (!done || checks == 0)) {
    const auto snapshot = this->store_->snapshot();
    const auto x = this->read(*snapshot, Column::kBlocks, as_bytes("x"));
    const auto yz = this->scan(*snapshot, Column::kState, {}, {});
    consistent = yz.size() == 2 && this->read(*snapshot, Column::kState, as_bytes("y")) == x &&
                 std::string(as_chars(yz[0].second)) == x &&
                 std::string(as_chars(yz[1].second)) == x;
    ++checks;
  }
  EXPECT_TRUE(consistent) << "a snapshot saw a partly applied batch after " << checks << " checks";
  writer.join();
  EXPECT_EQ(this->read(Column::kState, "z"), "2000");
}

TYPED_TEST(StoreContract, StatsCountKeysPerColumn) {
  WriteBatch batch;
  for (int i = 0; i < 50; ++i) batch.put(Column::kTxIndex, as_bytes(std::to_string(i)), as_bytes("v"));
  ASSERT_TRUE(this->store_->write(batch, Durability::kNoSync).ok());
  const StoreStats stats = this->store_->stats();
  // RocksDB's count is an estimate; it is exact while everything is in one memtable.
  EXPECT_EQ(stats.estimated_keys[static_cast<std::size_t>(Column::kTxIndex)], 50u);
  EXPECT_EQ(stats.estimated_keys[static_cast<std::size_t>(Column::kBlocks)], 0u);
}

TYPED_TEST(StoreContract, CompactKeepsData) {
  this->put(Column::kState, "kept", "v");
  this->put(Column::kState, "gone", "v");
  WriteBatch erase;
  erase.erase(Column::kState, as_bytes("gone"));
  ASSERT_TRUE(this->store_->write(erase, Durability::kSync).ok());
  ASSERT_TRUE(this->store_->compact().ok());
  EXPECT_EQ(this->read(Column::kState, "kept"), "v");
  EXPECT_EQ(this->read(Column::kState, "gone"), std::nullopt);
}

TEST(MemoryStore, CheckpointIsUnsupported) {
  TempDir dir;
  const Status status = open_memory()->checkpoint(dir / "cp");
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), "unsupported");
}

TEST(PrefixSuccessor, IsTheFirstKeyAfterThePrefixRange) {
  EXPECT_EQ(prefix_successor(Bytes{0x01}), (Bytes{0x02}));
  EXPECT_EQ(prefix_successor(Bytes{0x01, 0xff}), (Bytes{0x02}));
  EXPECT_EQ(prefix_successor(Bytes{0x01, 0xfe}), (Bytes{0x01, 0xff}));
  EXPECT_EQ(prefix_successor(Bytes{0xff, 0xff}), Bytes{});  // unbounded
  EXPECT_EQ(prefix_successor(Bytes{}), Bytes{});
}

TEST(WriteBatch, CountsOperationsAndBytes) {
  WriteBatch batch;
  EXPECT_TRUE(batch.empty());
  batch.put(Column::kState, as_bytes("key"), as_bytes("value"));
  batch.erase(Column::kState, as_bytes("gone"));
  EXPECT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch.byte_size(), 3u + 5u + 4u);
  batch.clear();
  EXPECT_EQ(batch.size(), 0u);
  EXPECT_EQ(batch.byte_size(), 0u);
}

TEST(ColumnName, IsStableAndUnique) {
  EXPECT_EQ(column_name(Column::kBlockByHeight), "block_by_height");
  std::set<std::string_view> names;
  for (const Column column : kAllColumns) names.insert(column_name(column));
  EXPECT_EQ(names.size(), kColumnCount);
  EXPECT_EQ(names.count("unknown"), 0u);
}

}  // namespace
}  // namespace bizra::storage
