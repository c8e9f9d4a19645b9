#include "storage/store.hpp"

namespace bizra::storage {

std::string_view column_name(Column column) {
  switch (column) {
    case Column::kMeta: return "meta";
    case Column::kBlocks: return "blocks";
    case Column::kBlockByHeight: return "block_by_height";
    case Column::kQuorumCerts: return "quorum_certs";
    case Column::kConsensusSafety: return "consensus_safety";
    case Column::kState: return "state";
    case Column::kStateDigests: return "state_digests";
    case Column::kTxIndex: return "tx_index";
    case Column::kMempool: return "mempool";
    case Column::kAceTasks: return "ace_tasks";
    case Column::kKnowledge: return "knowledge";
  }
  return "unknown";
}

void WriteBatch::put(Column column, ByteSpan key, ByteSpan value) {
  ops_.push_back({Op::Kind::kPut, column, Bytes(key.begin(), key.end()),
                  Bytes(value.begin(), value.end())});
  byte_size_ += key.size() + value.size();
}

void WriteBatch::erase(Column column, ByteSpan key) {
  ops_.push_back({Op::Kind::kErase, column, Bytes(key.begin(), key.end()), {}});
  byte_size_ += key.size();
}

void WriteBatch::clear() {
  ops_.clear();
  byte_size_ = 0;
}

Status ReadView::scan_prefix(Column column, ByteSpan prefix, const ScanVisitor& visit) const {
  return scan(column, prefix, prefix_successor(prefix), visit);
}

Bytes prefix_successor(ByteSpan prefix) {
  Bytes end(prefix.begin(), prefix.end());
  // Drop trailing 0xff bytes (no successor at that position), then increment the last byte.
  while (!end.empty() && end.back() == 0xff) end.pop_back();
  if (!end.empty()) ++end.back();
  return end;
}

}  // namespace bizra::storage
