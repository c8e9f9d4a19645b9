// The durable Store: RocksDB with one column family per Column.
//
// Durability rests on RocksDB's write-ahead log, which we never disable: a WriteBatch spanning
// several column families is one WAL record, so it is atomic across columns without
// atomic_flush, and a synced write is on disk when write() returns. Recovery uses
// kPointInTimeRecovery: a torn record at the WAL tail (kill -9 mid-write) ends replay there,
// which loses only that unacknowledged write.
//
// Opening never repairs or rewrites: anything that is not exactly our schema is refused (see
// store.hpp), so an operator sees the problem instead of a node running on mangled data.

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "storage/store.hpp"

namespace bizra::storage {
namespace {

namespace fs = std::filesystem;

rocksdb::Slice to_slice(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

ByteSpan to_span(const rocksdb::Slice& slice) {
  return {reinterpret_cast<const std::uint8_t*>(slice.data()), slice.size()};
}

// RocksDB reports a held LOCK file as a plain IOError; its message is the only way to tell.
// Another process: "While lock file: <dir>/LOCK: Resource temporarily unavailable";
// this process: "lock hold by current process".
bool is_lock_error(const rocksdb::Status& status) {
  const std::string text = status.ToString();
  return text.find("While lock file") != std::string::npos ||
         text.find("lock hold by current process") != std::string::npos;
}

Error to_error(const rocksdb::Status& status, const std::string& context) {
  const std::string message = context + ": " + status.ToString();
  if (status.IsCorruption()) return Error("corrupt", message);
  if (is_lock_error(status)) return Error("locked", message);
  return Error("io_error", message);
}

// Opening an existing store (CURRENT present): a file it names that is missing means the store
// is damaged, not that the operator pointed us at the wrong place.
Error to_open_error(const rocksdb::Status& status, const std::string& context) {
  if (status.IsPathNotFound()) return Error("corrupt", context + ": " + status.ToString());
  return to_error(status, context);
}

std::size_t index_of(Column column) { return static_cast<std::size_t>(column); }

// Point-lookup heavy columns get a bloom filter (10 bits/key, ~1% false positives): most gets on
// them miss or hit exactly one key, and the filter saves a disk read per miss. The others are
// tiny (meta, consensus_safety) or read by scans (mempool, ace_tasks), where filters don't help.
bool wants_bloom_filter(Column column) {
  switch (column) {
    case Column::kMeta:
    case Column::kConsensusSafety:
    case Column::kMempool:
    case Column::kAceTasks:
      return false;
    default:
      return true;
  }
}

rocksdb::ColumnFamilyOptions column_options(Column column, const RocksOptions& options,
                                            const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  if (wants_bloom_filter(column)) table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf;
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.write_buffer_size = options.write_buffer_bytes;
  // Keeps level sizes proportional to the data actually stored: less space amplification.
  cf.level_compaction_dynamic_level_bytes = true;
  return cf;
}

rocksdb::DBOptions db_options() {
  rocksdb::DBOptions db;
  db.create_if_missing = false;  // creation is explicit (create_fresh), never a side effect
  db.create_missing_column_families = false;
  db.paranoid_checks = true;
  db.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  db.keep_log_file_num = 10;  // RocksDB's own info logs (LOG, LOG.old.*)
  return db;
}

Bytes encode_u32_be(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

Status fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error("io_error", "opening directory " + dir.string() + " to sync it");
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Error("io_error", "syncing directory " + dir.string());
  return ok_status();
}

// Exclusive lock on the store directory, held for the Store's lifetime. RocksDB takes its own
// LOCK only inside DB::Open; this one also covers our checks before that, notably discarding an
// interrupted initialization, which must never race with a second node starting on the same
// directory. flock on the directory itself creates no file in a directory we may refuse, and
// conflicts between two opens in one process as well as between processes.
class DirLock {
 public:
  static Result<DirLock> acquire(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return Error("io_error", "opening directory " + dir.string());
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const bool held = errno == EWOULDBLOCK;
      ::close(fd);
      if (!held) return Error("io_error", "locking directory " + dir.string());
      return Error("locked", "store " + dir.string() + " is in use by another process or open");
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

Result<std::optional<Bytes>> rocks_get(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                                       const rocksdb::Snapshot* snapshot, ByteSpan key) {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;
  rocksdb::PinnableSlice value;
  const rocksdb::Status status = db.Get(read, cf, to_slice(key), &value);
  if (status.IsNotFound()) return std::optional<Bytes>();
  if (!status.ok()) return to_error(status, "get");
  const ByteSpan bytes = to_span(value);
  return std::optional<Bytes>(Bytes(bytes.begin(), bytes.end()));
}

Status rocks_scan(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf,
                  const rocksdb::Snapshot* snapshot, ByteSpan begin, ByteSpan end,
                  const ScanVisitor& visit) {
  const rocksdb::Slice upper = to_slice(end);  // must outlive the iterator
  rocksdb::ReadOptions read;
  read.snapshot = snapshot;  // null: the iterator pins the current state itself
  if (!end.empty()) read.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(read, cf));
  for (it->Seek(to_slice(begin)); it->Valid(); it->Next()) {
    if (!visit(to_span(it->key()), to_span(it->value()))) break;
  }
  if (!it->status().ok()) return to_error(it->status(), "scan");
  return ok_status();
}

// Handles of the open database, owned together so that they are released in the right order.
struct OpenDb {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // [0] = "default", then kAllColumns order

  OpenDb() = default;
  OpenDb(OpenDb&&) = default;
  OpenDb& operator=(OpenDb&&) = delete;
  ~OpenDb() {
    if (db == nullptr) return;
    for (auto* handle : handles) db->DestroyColumnFamilyHandle(handle);
    db->Close();  // errors here cannot lose synced data; nothing useful to do with them
  }
  rocksdb::ColumnFamilyHandle* handle(Column column) const {
    return handles[index_of(column) + 1];
  }
};

// Opens an existing database with every column of our schema (the caller has checked that the
// database has exactly those); `create` also creates it, for create_fresh only.
Result<OpenDb> open_db(const fs::path& dir, const RocksOptions& options, bool create) {
  rocksdb::DBOptions db = db_options();
  db.create_if_missing = create;
  db.create_missing_column_families = create;
  const auto cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (const Column column : kAllColumns) {
    descriptors.emplace_back(std::string(column_name(column)),
                             column_options(column, options, cache));
  }
  OpenDb out;
  rocksdb::DB* raw = nullptr;
  const rocksdb::Status status = rocksdb::DB::Open(db, dir.string(), descriptors, &out.handles, &raw);
  if (!status.ok()) {
    const std::string context = "opening store " + dir.string();
    return create ? to_error(status, context) : to_open_error(status, context);
  }
  out.db.reset(raw);
  return out;
}

// Initialization is bracketed by this marker file: a crash before the schema record is written
// leaves it behind, and the next open discards the half-made store (which never held data)
// instead of refusing it for its missing schema record. The store is built in place rather than
// renamed into place because `dir` may be a mount point (a container volume).
constexpr const char* kInitMarker = "BIZRA_INITIALIZING";

Status write_synced_empty_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error("io_error", "creating " + path.string());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return Error("io_error", "syncing " + path.string());
  return fsync_directory(path.parent_path());
}

// Creates a new store in the empty directory `dir`.
Status create_fresh(const fs::path& dir, const RocksOptions& options) {
  BIZRA_TRY(write_synced_empty_file(dir / kInitMarker));
  {
    auto opened = open_db(dir, options, /*create=*/true);
    if (!opened.ok()) return opened.error();
    rocksdb::WriteOptions sync;
    sync.sync = true;
    const Bytes version = encode_u32_be(kSchemaVersion);
    const rocksdb::Status status =
        opened->db->Put(sync, opened->handle(Column::kMeta),
                        to_slice(as_bytes(kSchemaVersionKey)), to_slice(version));
    if (!status.ok()) return to_error(status, "writing schema version");
  }
  std::error_code ec;
  fs::remove(dir / kInitMarker, ec);
  if (ec) return Error("io_error", "removing " + (dir / kInitMarker).string() + ": " + ec.message());
  return fsync_directory(dir);
}

// Empties `dir` (keeping the directory itself) after an interrupted initialization.
Status discard_interrupted_init(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename() == kInitMarker) continue;  // last, so a crash here retries
    fs::remove_all(entry.path(), ec);
    if (ec) break;
  }
  if (!ec) fs::remove(dir / kInitMarker, ec);
  if (ec) return Error("io_error", "discarding interrupted initialization in " + dir.string() +
                                       ": " + ec.message());
  return fsync_directory(dir);
}

Status check_columns(const fs::path& dir) {
  std::vector<std::string> names;
  const rocksdb::Status status = rocksdb::DB::ListColumnFamilies(db_options(), dir.string(), &names);
  if (!status.ok()) return to_open_error(status, "reading store " + dir.string());
  std::set<std::string> expected = {rocksdb::kDefaultColumnFamilyName};
  for (const Column column : kAllColumns) expected.emplace(column_name(column));
  const std::set<std::string> found(names.begin(), names.end());
  for (const auto& name : found) {
    if (expected.count(name) == 0) {
      return Error("schema_mismatch", "store " + dir.string() + " has unknown column '" + name + "'");
    }
  }
  for (const auto& name : expected) {
    if (found.count(name) == 0) {
      return Error("schema_mismatch", "store " + dir.string() + " lacks column '" + name + "'");
    }
  }
  return ok_status();
}

Status check_schema_version(const OpenDb& opened, const fs::path& dir) {
  auto stored = rocks_get(*opened.db, opened.handle(Column::kMeta), nullptr,
                          as_bytes(kSchemaVersionKey));
  if (!stored.ok()) return stored.error();
  if (!stored->has_value()) {
    return Error("schema_mismatch", "store " + dir.string() + " has no schema version record");
  }
  const Bytes expected = encode_u32_be(kSchemaVersion);
  if (**stored != expected) {
    const Bytes& got = **stored;
    const std::string found = got.size() == 4
        ? std::to_string(std::uint32_t{got[0]} << 24 | std::uint32_t{got[1]} << 16 |
                         std::uint32_t{got[2]} << 8 | std::uint32_t{got[3]})
        : "malformed (" + std::to_string(got.size()) + " bytes)";
    return Error("schema_mismatch", "store " + dir.string() + " has schema version " + found +
                                        ", this node needs " + std::to_string(kSchemaVersion));
  }
  return ok_status();
}

class RocksSnapshot final : public ReadView {
 public:
  RocksSnapshot(const OpenDb& opened, const rocksdb::Snapshot* snapshot)
      : opened_(opened), snapshot_(snapshot) {}
  ~RocksSnapshot() override { opened_.db->ReleaseSnapshot(snapshot_); }
  RocksSnapshot(const RocksSnapshot&) = delete;
  RocksSnapshot& operator=(const RocksSnapshot&) = delete;

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override {
    return rocks_get(*opened_.db, opened_.handle(column), snapshot_, key);
  }
  Status scan(Column column, ByteSpan begin, ByteSpan end, const ScanVisitor& visit) const override {
    return rocks_scan(*opened_.db, opened_.handle(column), snapshot_, begin, end, visit);
  }

 private:
  const OpenDb& opened_;
  const rocksdb::Snapshot* snapshot_;
};

class RocksStore final : public Store {
 public:
  RocksStore(DirLock lock, OpenDb opened) : lock_(std::move(lock)), opened_(std::move(opened)) {}

  Result<std::optional<Bytes>> get(Column column, ByteSpan key) const override {
    return rocks_get(*opened_.db, opened_.handle(column), nullptr, key);
  }

  Status scan(Column column, ByteSpan begin, ByteSpan end, const ScanVisitor& visit) const override {
    return rocks_scan(*opened_.db, opened_.handle(column), nullptr, begin, end, visit);
  }

  Status write(const WriteBatch& batch, Durability durability) override {
    rocksdb::WriteBatch rocks_batch;
    for (const auto& op : batch.ops()) {
      auto* cf = opened_.handle(op.column);
      const rocksdb::Status status = op.kind == WriteBatch::Op::Kind::kPut
          ? rocks_batch.Put(cf, to_slice(op.key), to_slice(op.value))
          : rocks_batch.Delete(cf, to_slice(op.key));
      if (!status.ok()) return to_error(status, "building write batch");
    }
    rocksdb::WriteOptions write;
    write.sync = durability == Durability::kSync;
    const rocksdb::Status status = opened_.db->Write(write, &rocks_batch);
    if (!status.ok()) return to_error(status, "write");
    return ok_status();
  }

  std::unique_ptr<ReadView> snapshot() const override {
    return std::make_unique<RocksSnapshot>(opened_, opened_.db->GetSnapshot());
  }

  Status checkpoint(const fs::path& dir) const override {
    std::error_code ec;
    if (fs::exists(dir, ec)) return Error("exists", "checkpoint target " + dir.string() + " exists");
    if (ec) return Error("io_error", "checking " + dir.string() + ": " + ec.message());
    rocksdb::Checkpoint* raw = nullptr;
    rocksdb::Status status = rocksdb::Checkpoint::Create(opened_.db.get(), &raw);
    if (!status.ok()) return to_error(status, "checkpoint");
    const std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
    status = checkpoint->CreateCheckpoint(dir.string());
    if (!status.ok()) return to_error(status, "checkpoint to " + dir.string());
    return ok_status();
  }

  Status compact() override {
    for (const Column column : kAllColumns) {
      const rocksdb::Status status = opened_.db->CompactRange(
          rocksdb::CompactRangeOptions(), opened_.handle(column), nullptr, nullptr);
      if (!status.ok()) return to_error(status, "compacting " + std::string(column_name(column)));
    }
    return ok_status();
  }

  StoreStats stats() const override {
    StoreStats stats;
    for (const Column column : kAllColumns) {
      opened_.db->GetIntProperty(opened_.handle(column), rocksdb::DB::Properties::kEstimateNumKeys,
                                 &stats.estimated_keys[index_of(column)]);
    }
    opened_.db->GetAggregatedIntProperty(rocksdb::DB::Properties::kTotalSstFilesSize,
                                         &stats.disk_bytes);
    opened_.db->GetAggregatedIntProperty(rocksdb::DB::Properties::kCurSizeAllMemTables,
                                         &stats.memory_bytes);
    return stats;
  }

 private:
  DirLock lock_;   // declared first: released after the database is closed
  OpenDb opened_;
};

// `dir` without a trailing separator, so that it has a file name and a parent.
fs::path normalized(const fs::path& dir) {
  fs::path path = fs::absolute(dir).lexically_normal();
  if (!path.has_filename()) path = path.parent_path();
  return path;
}

// Makes sure `dir` is a directory, creating it (and its parents) if allowed.
Status ensure_directory(const fs::path& dir, bool create) {
  std::error_code ec;
  const auto status = fs::status(dir, ec);
  if (fs::is_directory(status)) return ok_status();
  if (fs::exists(status)) return Error("io_error", dir.string() + " is not a directory");
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Error("io_error", "checking " + dir.string() + ": " + ec.message());
  }
  if (!create) return Error("not_found", "no store at " + dir.string());
  fs::create_directories(dir, ec);
  if (ec) return Error("io_error", "creating " + dir.string() + ": " + ec.message());
  return ok_status();
}

enum class Found { kNothing, kDatabase };

// What the locked directory `dir` holds: nothing (empty, or an interrupted initialization,
// which is discarded) or a database. Anything else is refused here, before RocksDB could create
// files in it.
Result<Found> inspect(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir / kInitMarker, ec)) {
    BIZRA_TRY(discard_interrupted_init(dir));
    return Found::kNothing;
  }
  const bool empty = fs::is_empty(dir, ec);
  if (ec) return Error("io_error", "listing " + dir.string() + ": " + ec.message());
  if (empty) return Found::kNothing;
  if (!fs::exists(dir / "CURRENT", ec)) {
    if (ec) return Error("io_error", "checking " + dir.string() + ": " + ec.message());
    return Error("corrupt", dir.string() + " is not empty but holds no database (no CURRENT file)");
  }
  return Found::kDatabase;
}

}  // namespace

Result<std::unique_ptr<Store>> open_rocksdb(const fs::path& requested, const RocksOptions& options) {
  const fs::path dir = normalized(requested);
  BIZRA_TRY(ensure_directory(dir, options.create_if_missing));
  auto lock = DirLock::acquire(dir);
  if (!lock.ok()) return lock.error();
  const auto found = inspect(dir);
  if (!found.ok()) return found.error();
  if (*found == Found::kNothing) {
    if (!options.create_if_missing) return Error("not_found", "no store in " + dir.string());
    BIZRA_TRY(create_fresh(dir, options));
  }
  BIZRA_TRY(check_columns(dir));
  auto opened = open_db(dir, options, /*create=*/false);
  if (!opened.ok()) return opened.error();
  BIZRA_TRY(check_schema_version(*opened, dir));
  return std::unique_ptr<Store>(
      std::make_unique<RocksStore>(std::move(lock.value()), std::move(opened.value())));
}

}  // namespace bizra::storage
