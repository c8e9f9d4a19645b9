#pragma once
// The Operations agent (L2, 500 ms budget; ../shared/spec/ace.md): node operations as skills.
//
//   operations.health            {} -> what the node reports (NodeOperations::health)
//   operations.peers             {} -> {"peers":[...]} (NodeOperations::peers)
//   operations.metrics_snapshot  {} -> {"metrics":{name: value}, "raw_bytes", "samples",
//                                       "unlabeled", "truncated"}: the unlabeled samples of the
//                                       Prometheus text, at most max_metrics of them
//   operations.checkpoint        {"name"?} -> {"dir","files","bytes"}: a RocksDB checkpoint in
//                                <backup_root>/checkpoints/<name>; name [A-Za-z0-9_-]{1,64},
//                                default the next free sequence number (20 digits)
//   operations.backup            {} -> {"dir","files","bytes","manifest_digest"}: a checkpoint
//                                in <backup_root>/backups/<seq>/db plus <seq>/manifest.json
//                                (every file with size and BLAKE3); keeps the newest keep_backups
//   operations.compact           {} -> {"before":stats,"after":stats,"duration_ms"}
// "dir" is always relative to backup_root: no path from the input ever reaches the file system.
//
// Errors: "unknown_skill", "bad_input" (the message names the field), "exists" (a checkpoint of
// that name), "unsupported" (a store without checkpoints: the memory store), "io_error",
// "cancelled" (a backup stopped at the deadline; its partial directory is removed).
// Skills that write (checkpoint, backup, compact) run one at a time; the others run in parallel.

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "ace/agent.hpp"
#include "base/error.hpp"
#include "codec/json.hpp"
#include "storage/store.hpp"

namespace bizra::ace {

// What the agent needs from the node; the node implements it (service/node_operations.hpp),
// tests use a fake. Called from several engine threads at once: must be thread-safe.
class NodeOperations {
 public:
  virtual ~NodeOperations() = default;
  virtual json::Value health() = 0;         // a JSON object
  virtual json::Value peers() = 0;          // a JSON array of peer objects
  virtual std::string metrics_text() = 0;   // Prometheus text format 0.0.4
  virtual storage::Store& store() = 0;      // checkpoint, compact, stats
};

struct OperationsOptions {
  std::filesystem::path backup_root;  // required; created on first use
  std::size_t keep_backups = 7;       // >= 1: older backups are deleted after a new one succeeds
  std::size_t max_metrics = 1024;     // metrics_snapshot keeps at most this many samples
};

// `ops` must outlive the agent. Errors: "bad_config" (empty backup_root, keep_backups or
// max_metrics 0).
Result<std::unique_ptr<Agent>> make_operations_agent(NodeOperations& ops, OperationsOptions options);

}  // namespace bizra::ace
