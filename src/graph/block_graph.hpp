#pragma once
// BlockGraph: the in-memory graph of known blocks (consensus.md §3).
//
// Every block is known by its 32-byte BLAKE3 id and records its parent, round, height, the vote
// weight counted for it, and whether it is certified (a quorum voted for it) and committed.
//
// Threads: exactly one writer, the consensus core, calls the non-const members; any number of
// threads (API, RPC) call the const members at the same time. Readers take no lock, never wait
// for the writer and cost O(1) expected: one probe sequence in an open-addressing table that
// usually ends on its first 64-byte slot. A reader sees each block's state as of some moment
// during its call, and finality is monotone: once a reader has seen a block committed, no later
// read on any thread that has synchronised with it sees that block uncommitted (unless the writer
// forgot it on purpose with prune(keep_committed_from), see there).
//
// Lifecycle of a block: insert() (its parent must be in the graph), add_vote() until it is
// certified, mark_committed() (commits its ancestors too), prune() once a commit makes its fork
// impossible. The graph starts from one committed root block: genesis, or after a restart the
// latest committed block read from storage. Committed history the graph has forgotten is served
// from storage by the caller: when find() answers nullopt, look the block up there.
//
// Memory: about 128 bytes of table per block (64-byte slots kept at most half full) plus 72
// bytes of writer-side data, plus the voter bitmap of a block once it has votes. Tables that a
// growth or compaction replaces are freed as soon as no read that started before the swap is
// still running, normally at the writer's next call (see block_graph.cpp).

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/quorum.hpp"
#include "base/error.hpp"

namespace bizra::graph {

// The validator set that votes on the blocks inserted from now on (consensus.md §1).
struct ValidatorSet {
  std::uint32_t count = 0;         // validator indices are 0 .. count-1
  std::uint64_t total_weight = 0;  // sum of all their weights; > 0
};

// What the graph needs from a block header.
struct BlockHeader {
  Hash32 id;
  Hash32 parent;
  std::uint64_t round = 0;
};

// The block the graph starts from; it is committed (and certified) by definition.
struct RootBlock {
  Hash32 id;
  std::uint64_t round = 0;
  std::uint64_t height = 0;
};

// A reader's snapshot of one block.
struct BlockView {
  std::uint64_t height = 0;
  std::uint64_t round = 0;
  std::uint64_t weight = 0;  // vote weight counted so far
  bool certified = false;
  bool committed = false;
};

enum class VoteOutcome : std::uint8_t {
  kDuplicate,      // this validator's vote for this block was already counted; nothing changed
  kCounted,        // weight added; the block was already certified or is still short of quorum
  kReachedQuorum,  // weight added and the block became certified with this vote
};

// weight * 10000 >= total * 6667 on 128 bits (consensus.md §1); never with total 0.


class BlockGraph {
 public:
  BlockGraph(const RootBlock& root, const ValidatorSet& validators);
  ~BlockGraph();  // no reader may still be inside a call
  BlockGraph(const BlockGraph&) = delete;
  BlockGraph& operator=(const BlockGraph&) = delete;

  // ---- writer (one thread) ----------------------------------------------------------------

  // Adds a block as a child of header.parent, at height parent + 1. Inserting a block that is
  // already in the graph succeeds and changes nothing. Errors:
  //   "missing_parent"  the parent is not in the graph (unknown or pruned)
  //   "stale_block"     the parent can no longer be committed (the block could never be)
  //   "bad_round"       round <= the parent's round (rounds increase along a chain)
  Status insert(const BlockHeader& header);

  // Counts `weight` for `validator`'s vote on `block`, once per validator and block. The quorum
  // is that of the validator set in force when the block was inserted. Errors:
  //   "unknown_block", "bad_validator" (index out of range), "weight_overflow".
  Result<VoteOutcome> add_vote(const Hash32& block, std::uint32_t validator, std::uint64_t weight);

  // Commits `block` and every ancestor not yet committed. Committing a committed block succeeds
  // and changes nothing. The graph does not check certificates: that is consensus's rule.
  // Errors: "unknown_block"; "conflicting_commit" when the block is not a descendant of the
  // committed chain's tip. That means safety is broken (more than a third of the weight is
  // Byzantine, or a bug): the graph is left unchanged and the caller must stop, never go on.
  Status mark_committed(const Hash32& block);

  // Drops every block that can no longer be committed: blocks at or below the committed height
  // off the committed chain, and all their descendants. Also forgets committed blocks below
  // min(keep_committed_from, committed height); afterwards readers no longer find them (their
  // is_finalized answers false: ask storage). Returns the number of blocks removed.
  std::size_t prune(std::uint64_t keep_committed_from = 0);

  // The validator set for blocks inserted from now on (an epoch change).
  void set_validators(const ValidatorSet& validators);

  // ---- readers (any thread, lock-free) -------------------------------------------------------

  bool is_finalized(const Hash32& block) const;
  bool contains(const Hash32& block) const;
  std::optional<BlockView> find(const Hash32& block) const;
  std::uint64_t committed_height() const;
  std::size_t size() const;  // blocks in the graph

 private:
  struct Slot;
  struct Table;
  struct Retired;
  struct WriterData;

  const Slot* find_slot(const Table& table, const Hash32& id, std::uint32_t& state) const;
  Slot* writer_find(const Hash32& id);
  std::size_t home(const Table& table, const Hash32& id) const;
  void place(const BlockHeader& header, std::uint64_t height, std::uint32_t state);
  void set_state(Slot& slot, std::uint32_t state);
  void remove(Slot& slot);
  std::size_t prune_forks();
  std::size_t forget_committed_below(std::uint64_t height);
  void ensure_room_for_one();
  void rebuild(std::size_t capacity);
  void publish(std::unique_ptr<Table> next);
  void reclaim();

  // Read on every reader call, written only when a table is replaced: its own cache line, so
  // the writer's frequent stores below do not evict it from the readers' caches.
  alignas(64) std::atomic<Table*> table_;
  const std::uint64_t seed_;  // keys the slot hash, see home()

  alignas(64) std::atomic<std::uint64_t> committed_height_;
  std::atomic<std::size_t> live_{0};

  // Writer-only state. table_ owns the current table; retired_ the ones readers may still use.
  alignas(64) std::vector<Retired> retired_;
  std::size_t tombstones_ = 0;  // removed slots the current table still holds
  ValidatorSet validators_;
  std::vector<WriterData> writer_data_;  // indexed by Slot::data
  std::vector<std::uint32_t> free_data_;
  // Committed chain, one block per height from chain_base_ up to the committed height.
  std::deque<Hash32> chain_;
  std::uint64_t chain_base_ = 0;
  // Blocks inserted after the root, by height, until prune() settles their height.
  std::map<std::uint64_t, std::vector<Hash32>> unsettled_;
};

}  // namespace bizra::graph
