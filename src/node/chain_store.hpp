#pragma once
// What a node persists of its chain, on the storage::Store columns (docs/storage.md):
//
//   consensus_safety  "safety"            -> SafetyState (synced before any vote/timeout leaves)
//   meta              "committed"         -> height u64 ‖ block id      (the committed tip)
//                     "pending" ‖ id      -> height u64                 (accepted, not committed)
//   blocks            id                  -> encoded block (pending and committed)
//   quorum_certs      id                  -> encoded QC certifying it (committed blocks)
//   block_by_height   height u64 BE       -> id                         (committed chain)
//   state_digests     height u64 BE       -> state digest ‖ receipts digest
//   tx_index          't' ‖ tx id         -> height u64 ‖ index u32 ‖ ok u8 ‖ error code
//                     'a' ‖ attestation digest -> tx id
//
// A committed block's rows, its state changes and the new tip go into one batch written with
// Durability::kSync (commit()), so after kill -9 a node has exactly the blocks it reported final.
// Pending blocks are written unsynced: the synced safety write that follows before any vote
// flushes the same write-ahead log, so they are durable whenever the vote that needs them is.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "consensus/core.hpp"
#include "consensus/types.hpp"
#include "storage/store.hpp"

namespace bizra::node {

using consensus::Block;
using consensus::Height;
using consensus::QuorumCert;

struct TxOutcome {
  Hash32 tx_id;
  std::optional<Hash32> attestation_digest;
  bool ok = false;
  std::string error_code;  // empty when ok
  std::string attester;    // "bz…" id of an attestation's attester (for event filters; not stored)
};

struct TxRecord {
  Height height = 0;
  std::uint32_t index = 0;  // position in the block's payload
  bool ok = false;
  std::string error_code;
};

struct ChainTip {
  Height height = 0;
  Hash32 id;  // genesis block id at height 0
};

class ChainStore {
 public:
  // `store` must outlive this object. `genesis` is the height-0 block (consensus::make_genesis).
  ChainStore(storage::Store& store, consensus::Block genesis, consensus::WireLimits limits);

  // Errors (all methods): the store's ("io_error", "corrupt").
  Status put_safety(const consensus::SafetyState& state);  // synced
  Status put_pending_block(const Block& block);             // unsynced (see above)

  // What a restarting core needs: its safety state (default when none was written), its pending
  // blocks and the committed tip.
  Result<consensus::RestoredState> restore();
  Result<ChainTip> tip() const;

  // Adds the committed block's rows (block, QC, height index, digests, transaction index, new
  // tip, pending entry removed) to `batch`; the caller adds the state changes and writes it
  // synced with write_commit(batch, block.id).
  void stage_commit(storage::WriteBatch& batch, const Block& block, const QuorumCert& qc, const Hash32& state_digest,
                    const Hash32& receipts_digest, const std::vector<TxOutcome>& outcomes) const;
  Status write_commit(const storage::WriteBatch& batch, const Hash32& block_id);
  // Drops pending blocks at or below `height` that were not committed (forks that never will).
  Status prune_pending(Height committed_height);

  Result<std::optional<Block>> block(const Hash32& id) const;
  Result<std::optional<Block>> block_at(Height height) const;  // committed chain
  Result<std::optional<QuorumCert>> qc(const Hash32& id) const;
  Result<std::optional<std::pair<Hash32, Hash32>>> digests_at(Height height) const;  // state, receipts
  Result<std::optional<TxRecord>> transaction(const Hash32& tx_id) const;
  Result<std::optional<Hash32>> attestation_tx(const Hash32& attestation_digest) const;

 private:
  Status load_pending();

  storage::Store& store_;
  consensus::Block genesis_;
  consensus::WireLimits limits_;
  // The "pending" rows (key -> height; an unreadable height counts as 0, so the next prune drops
  // the row), mirrored in memory so that pruning after every commit needs no scan: erased rows
  // stay behind as tombstones until compaction, and scanning past them grew with the chain (an
  // eighth of a loaded node's CPU). Read from the store once, by the first restore() or
  // prune_pending(); kept in step by put_pending_block, write_commit and prune_pending.
  std::optional<std::map<Bytes, Height>> pending_;
};

}  // namespace bizra::node
