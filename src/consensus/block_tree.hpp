#pragma once
// The blocks a consensus core knows, from its committed tip up (docs/consensus.md §3).
//
// BlockTree holds full blocks (the core serves them to syncing peers and extends them), their
// parent links, the QC that certified each one, and the committed chain; it applies commits and
// prunes forks that a commit makes impossible. It mirrors every insert, certification and
// commit into a graph::BlockGraph so that other threads (API, RPC) can ask is_finalized() without
// locks: the graph keeps only what those readers need, the tree what consensus needs.
//
// OrphanPool holds verified blocks whose parent has not arrived yet (block sync, or a proposal
// that overtook its parent).

#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "base/error.hpp"
#include "consensus/types.hpp"
#include "graph/block_graph.hpp"

namespace bizra::consensus {

class BlockTree {
 public:
  // `root` is committed by definition (genesis, or the committed tip restored from storage).
  // At least the newest `committed_kept` committed blocks stay in the tree to serve peers.
  BlockTree(const Block& root, const ValidatorSet& validators, std::size_t committed_kept);

  bool contains(const Hash32& id) const { return blocks_.count(id) != 0; }
  const Block* find(const Hash32& id) const;
  const QuorumCert* cert(const Hash32& id) const;  // the QC that certified the block, if any

  // Adds a block whose parent is in the tree (the caller checked round/height/timestamp links).
  // Inserting a known block changes nothing. Errors: "missing_parent", "stale_block" (at or
  // below the committed height: it can never be committed).
  Status insert(const Block& block);
  // Records `qc` for its block (in the tree); true when the block was not certified before.
  bool certify(const QuorumCert& qc, const ValidatorSet& validators);
  // Commits `id` and its uncommitted ancestors and prunes the forks this rules out. Returns the
  // newly committed blocks in ascending height (empty if `id` was already committed). Errors:
  // "conflicting_commit" (the block does not extend the committed tip: safety is broken).
  Result<std::vector<Block>> commit(const Hash32& id);
  // Up to `max` blocks from `id` back through its ancestors, newest first.
  std::vector<Block> chain_from(const Hash32& id, std::size_t max) const;

  const Block& committed_tip() const { return blocks_.at(committed_.back()).block; }
  Height committed_height() const { return committed_tip().header.height; }
  const graph::BlockGraph& graph() const { return graph_; }

 private:
  struct Entry {
    Block block;
    std::optional<QuorumCert> qc;
    std::vector<Hash32> children;
    bool committed = false;
  };

  void prune();
  void remove_subtree(const Hash32& id);

  std::map<Hash32, Entry> blocks_;
  // Uncommitted blocks by height, so a commit finds the forks it settles; may name blocks that
  // were removed since (skipped).
  std::map<Height, std::vector<Hash32>> unsettled_;
  std::deque<Hash32> committed_;  // the retained committed chain, oldest first
  std::size_t committed_kept_;
  graph::BlockGraph graph_;
};

class OrphanPool {
 public:
  struct Orphan {
    Block block;
    std::optional<TimeoutCert> last_round_tc;  // proposals only
    bool proposal = false;                      // arrived as a proposal: may deserve a vote
    ValidatorIndex from = 0;
  };

  explicit OrphanPool(std::size_t capacity) : capacity_(capacity) {}

  bool contains(const Hash32& id) const { return by_id_.count(id) != 0; }
  bool has_children(const Hash32& parent_id) const { return by_parent_.count(parent_id) != 0; }
  // False when the block is already here, or the pool is full of blocks no higher than this
  // one (a flood of orphans cannot grow memory; dropped blocks are fetched again later).
  bool add(Orphan orphan);
  // Removes and returns the orphans whose parent is `parent_id`.
  std::vector<Orphan> take_children(const Hash32& parent_id);
  // The first block on `id`'s ancestry that is not in the pool: the one to fetch.
  Hash32 missing_ancestor(Hash32 id) const;
  // Forgets orphans at or below `height`: they can never be committed.
  void drop_up_to(Height height);

 private:
  bool evict_above(Height height);

  std::size_t capacity_;
  std::map<Hash32, Orphan> by_id_;
  std::multimap<Hash32, Hash32> by_parent_;
};

}  // namespace bizra::consensus
