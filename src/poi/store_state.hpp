#pragma once
// poi::State on the node's key-value store (storage::Store): records live in
// storage::Column::kState under the KvState keys (kind byte ‖ key). Reads go through the given
// view with the block's pending writes on top; writes stay pending until commit_to() emits them
// into the block's WriteBatch, so the block, its QC and its state changes land in one atomic
// write.

#include "base/error.hpp"
#include "poi/state.hpp"
#include "storage/store.hpp"

namespace bizra::poi {

class StoreState final : public KvState {
 public:
  // `view` (a live store or a snapshot) must outlive this object.
  explicit StoreState(const storage::ReadView& view) : view_(view) {}

  // Adds the pending changes to `batch` (state column) and returns them: the block's change
  // set. Write the batch before this object reads again, or the next block will not see them.
  // Errors: the sticky read error (nothing is added then).
  Result<ChangeSet> commit_to(storage::WriteBatch& batch);

 private:
  Result<std::optional<Bytes>> read_committed(ByteSpan key) const override;
  Status scan_committed(ByteSpan prefix, const EntryVisitor& visit) const override;

  const storage::ReadView& view_;
};

}  // namespace bizra::poi
