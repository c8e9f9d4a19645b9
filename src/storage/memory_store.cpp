// In-memory Store: one std::map per column.
//
// Snapshots are copy-on-write at column granularity: a snapshot shares the current column maps
// (O(number of columns)); a write that finds a column shared with a snapshot or a running scan
// copies that column first. Without outstanding snapshots writes are plain map updates.

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>
#include <shared_mutex>

#include "storage/store.hpp"

namespace bizra::storage {
namespace {

// Bytewise order, as RocksDB's default comparator. Transparent so ByteSpan keys need no copy.
struct BytesLess {
  using is_transparent = void;
  bool operator()(ByteSpan a, ByteSpan b) const {
    const std::size_t common = std::min(a.size(), b.size());
    const int c = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
    return c != 0 ? c < 0 : a.size() < b.size();
  }
};

using ColumnMap = std::map<Bytes, Bytes, BytesLess>;
using ColumnPtr = std::shared_ptr<ColumnMap>;
using Columns = std::array<ColumnPtr, kColumnCount>;

std::size_t index_of(Column column) { return static_cast<std::size_t>(column); }

std::optional<Bytes> find_in(const ColumnMap& map, ByteSpan key) {
  const auto it = map.find(key);
  if (it == map.end()) return std::nullopt;
  return it->second;
}

void scan_map(const ColumnMap& map, ByteSpan begin, ByteSpan end, const ScanVisitor& visit) {
  if (!end.empty() && !BytesLess{}(begin, end)) return;  // empty range
  const auto last = end.empty() ? map.end() : map.lower_bound(end);
  for (auto it = map.lower_bound(begin); it != last; ++it) {
    if (!visit(it->first, it->second)) break;
  }
}

// A frozen set of columns (a snapshot). Nobody mutates maps it shares: writers copy first.
class MemoryView final : public ReadView {
 public:
  explicit MemoryView(Columns columns) : columns_(std::move(columns)) {}

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override {
    return find_in(*columns_[index_of(column)], key);
  }
  Status scan(Column column, ByteSpan begin, ByteSpan end, const ScanVisitor& visit) const override {
    scan_map(*columns_[index_of(column)], begin, end, visit);
    return ok_status();
  }

 private:
  Columns columns_;
};

class MemoryStore final : public Store {
 public:
  MemoryStore() {
    for (auto& column : columns_) column = std::make_shared<ColumnMap>();
  }

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override {
    std::shared_lock lock(mutex_);
    return find_in(*columns_[index_of(column)], key);
  }

  // Pins the column so the visitor runs unlocked (it may read or even write the store) and
  // sees one point in time, like a RocksDB iterator.
  Status scan(Column column, ByteSpan begin, ByteSpan end, const ScanVisitor& visit) const override {
    ColumnPtr pinned;
    {
      std::shared_lock lock(mutex_);
      pinned = columns_[index_of(column)];
    }
    scan_map(*pinned, begin, end, visit);
    return ok_status();
  }

  Status write(const WriteBatch& batch, Durability /*durability*/) override {
    std::unique_lock lock(mutex_);
    for (const auto& op : batch.ops()) {
      ColumnMap& map = writable(op.column);
      if (op.kind == WriteBatch::Op::Kind::kPut) {
        map.insert_or_assign(op.key, op.value);
      } else if (const auto it = map.find(op.key); it != map.end()) {
        map.erase(it);
      }
    }
    return ok_status();
  }

  std::unique_ptr<ReadView> snapshot() const override {
    std::shared_lock lock(mutex_);
    return std::make_unique<MemoryView>(columns_);
  }

  Status checkpoint(const std::filesystem::path& /*dir*/) const override {
    return Error("unsupported", "the in-memory store cannot write a checkpoint");
  }

  Status compact() override { return ok_status(); }

  StoreStats stats() const override {
    std::shared_lock lock(mutex_);
    StoreStats stats;
    for (const Column column : kAllColumns) {
      const ColumnMap& map = *columns_[index_of(column)];
      stats.estimated_keys[index_of(column)] = map.size();
      for (const auto& [key, value] : map) stats.memory_bytes += key.size() + value.size();
    }
    return stats;
  }

 private:
  // Called with the exclusive lock held. use_count() > 1 means a snapshot or scan shares the
  // map; a stale count can only be too high (copies are made under the lock), which merely
  // costs an unneeded copy.
  ColumnMap& writable(Column column) {
    ColumnPtr& map = columns_[index_of(column)];
    if (map.use_count() > 1) map = std::make_shared<ColumnMap>(*map);
    return *map;
  }

  mutable std::shared_mutex mutex_;
  Columns columns_;
};

}  // namespace

std::unique_ptr<Store> open_memory() { return std::make_unique<MemoryStore>(); }

}  // namespace bizra::storage
