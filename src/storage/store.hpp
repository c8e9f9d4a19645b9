#pragma once
// The node's embedded key-value store: a small interface with two implementations.
//
//  - open_rocksdb(): the durable store (RocksDB, one column family per Column).
//  - open_memory():  std::map per column with the same semantics (atomic batches, ordered scans,
//                    snapshots); used by unit tests and the deterministic simulator.
//
// Keys and values are arbitrary bytes (empty allowed). Keys are ordered bytewise (unsigned
// memcmp, shorter prefix first) in both implementations, so scans are deterministic and may feed
// state hashes. All state changes go through a WriteBatch, which is applied atomically: after a
// crash either every operation of a batch is visible or none is. A batch written with
// Durability::kSync survives kill -9 and power loss once write() has returned.
//
// Thread safety: a Store may be used from several threads at once (reads, writes, snapshots).
// A ReadView returned by snapshot() must not outlive its Store.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace bizra::storage {

// The column families of the node schema. Each column is an independent ordered key space.
// The on-disk identity of a column is its name (column_name), not its numeric value.
enum class Column : std::uint8_t {
  kMeta,             // node metadata, e.g. committed height; kSchemaVersionKey is the store's
  kBlocks,           // block id (32 bytes) -> encoded block
  kBlockByHeight,    // height (u64 big-endian) -> block id
  kQuorumCerts,      // block id -> encoded QC certifying it
  kConsensusSafety,  // consensus safety record (last voted round, preferred round, high QC)
  kState,            // kind byte + key -> record (accounts, validators, nonces, evidence, ...)
  kStateDigests,     // height (u64 big-endian) -> state digest after that height
  kTxIndex,          // tx id -> (height, index, outcome)
  kMempool,          // mempool spill: tx id -> encoded tx
  kAceTasks,         // ACE task records
  kKnowledge,        // Memory agent knowledge store
};

inline constexpr std::size_t kColumnCount = 11;

inline constexpr std::array<Column, kColumnCount> kAllColumns = {
    Column::kMeta,        Column::kBlocks,          Column::kBlockByHeight,
    Column::kQuorumCerts, Column::kConsensusSafety, Column::kState,
    Column::kStateDigests, Column::kTxIndex,        Column::kMempool,
    Column::kAceTasks,    Column::kKnowledge,
};

// Stable snake_case name ("block_by_height"); the RocksDB column family name.
std::string_view column_name(Column column);

// Version of the on-disk layout (columns and key/value encodings). Stored in Column::kMeta under
// kSchemaVersionKey as a u32 big-endian. Bump it whenever the layout changes incompatibly.
inline constexpr std::uint32_t kSchemaVersion = 1;
inline constexpr std::string_view kSchemaVersionKey = "schema_version";

// An ordered list of puts and erases, applied atomically by Store::write. Later operations on
// the same key win over earlier ones.
class WriteBatch {
 public:
  struct Op {
    enum class Kind : std::uint8_t { kPut, kErase };
    Kind kind;
    Column column;
    Bytes key;
    Bytes value;  // empty for kErase
  };

  void put(Column column, ByteSpan key, ByteSpan value);
  void erase(Column column, ByteSpan key);
  void clear();

  const std::vector<Op>& ops() const { return ops_; }
  std::size_t size() const { return ops_.size(); }
  bool empty() const { return ops_.empty(); }
  // Sum of key and value sizes: what the batch adds to the write-ahead log, roughly.
  std::size_t byte_size() const { return byte_size_; }

 private:
  std::vector<Op> ops_;
  std::size_t byte_size_ = 0;
};

enum class Durability : std::uint8_t {
  kSync,    // fsync the write-ahead log before write() returns: survives power loss
  kNoSync,  // survives a process crash, may be lost on power loss or kernel panic
};

// Called for each entry in key order; return false to stop the scan early. The spans are valid
// only during the call.
using ScanVisitor = std::function<bool(ByteSpan key, ByteSpan value)>;

// Read access to a consistent set of data (a live store or a snapshot).
class ReadView {
 public:
  virtual ~ReadView() = default;

  // nullopt when the key is absent. Errors: "io_error", "corrupt".
  virtual Result<std::optional<Bytes>> get(Column column, ByteSpan key) const = 0;

  // Visits the entries with begin <= key < end in ascending key order; an empty `end` means
  // "to the end of the column". A scan sees one consistent point in time even on a live store.
  // Errors: "io_error", "corrupt".
  virtual Status scan(Column column, ByteSpan begin, ByteSpan end, const ScanVisitor& visit) const = 0;

  // Visits every entry whose key starts with `prefix`, in key order.
  Status scan_prefix(Column column, ByteSpan prefix, const ScanVisitor& visit) const;
};

// The smallest key greater than every key that starts with `prefix`; empty when there is none
// (prefix empty or all 0xff), which as a scan `end` means "unbounded".
Bytes prefix_successor(ByteSpan prefix);

struct StoreStats {
  std::array<std::uint64_t, kColumnCount> estimated_keys{};  // indexed by Column's value
  std::uint64_t disk_bytes = 0;    // SST files (0 for the memory store)
  std::uint64_t memory_bytes = 0;  // memtables, or all data for the memory store
};

class Store : public ReadView {
 public:
  // Applies the whole batch atomically. Errors: "io_error", "corrupt".
  virtual Status write(const WriteBatch& batch, Durability durability) = 0;

  // A consistent point-in-time view, unaffected by later writes.
  virtual std::unique_ptr<ReadView> snapshot() const = 0;

  // Online backup: writes a consistent copy to `dir` (which must not exist) that opens with
  // open_rocksdb like any store. Errors: "exists", "io_error", "unsupported" (memory store).
  virtual Status checkpoint(const std::filesystem::path& dir) const = 0;

  // Compacts all columns (reclaims space of erased/overwritten entries). Errors: "io_error".
  virtual Status compact() = 0;

  virtual StoreStats stats() const = 0;
};

struct RocksOptions {
  // A missing or empty directory becomes a fresh store; when false it is "not_found".
  bool create_if_missing = true;
  std::size_t block_cache_bytes = std::size_t{64} << 20;  // shared by all columns
  std::size_t write_buffer_bytes = std::size_t{16} << 20;  // memtable size per column
};

// Opens (or creates) the store in `dir`. An existing store is never rewritten or repaired: it is
// refused unless it is exactly our schema. (A store whose creation a crash interrupted, marked
// by the BIZRA_INITIALIZING file, never held data and is created anew.) Errors:
//   "not_found"        no store there and !create_if_missing
//   "schema_mismatch"  other schema version, no version record, missing or unknown columns
//   "corrupt"          RocksDB reports corruption (message included), or a non-empty directory
//                      that holds no database
//   "locked"           another process (or another open Store in this one) holds the directory
//   "io_error"         any other failure
Result<std::unique_ptr<Store>> open_rocksdb(const std::filesystem::path& dir,
                                            const RocksOptions& options = {});

std::unique_ptr<Store> open_memory();

}  // namespace bizra::storage
