#include "poi/store_state.hpp"

namespace bizra::poi {

Result<ChangeSet> StoreState::commit_to(storage::WriteBatch& batch) {
  auto changes = take_pending();
  if (!changes) return changes;
  for (const auto& [key, value] : *changes) batch.put(storage::Column::kState, key, value);
  return changes;
}

Result<std::optional<Bytes>> StoreState::read_committed(ByteSpan key) const {
  return view_.get(storage::Column::kState, key);
}

Status StoreState::scan_committed(ByteSpan prefix, const EntryVisitor& visit) const {
  return view_.scan_prefix(storage::Column::kState, prefix, [&](ByteSpan key, ByteSpan value) {
    visit(key, value);
    return true;
  });
}

}  // namespace bizra::poi
