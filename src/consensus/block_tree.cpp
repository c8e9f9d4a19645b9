#include "consensus/block_tree.hpp"

#include <algorithm>

namespace bizra::consensus {

// ---- BlockTree ------------------------------------------------------------------------------

BlockTree::BlockTree(const Block& root, const ValidatorSet& validators, std::size_t committed_kept)
    : committed_kept_(std::max<std::size_t>(committed_kept, 1)),
      graph_(graph::RootBlock{root.id, root.header.round, root.header.height},
             graph::ValidatorSet{static_cast<std::uint32_t>(validators.size()), validators.total_weight()}) {
  Entry entry{root, std::nullopt, {}, true};
  blocks_.emplace(root.id, std::move(entry));
  committed_.push_back(root.id);
}

const Block* BlockTree::find(const Hash32& id) const {
  const auto it = blocks_.find(id);
  return it == blocks_.end() ? nullptr : &it->second.block;
}

const QuorumCert* BlockTree::cert(const Hash32& id) const {
  const auto it = blocks_.find(id);
  return it == blocks_.end() || !it->second.qc ? nullptr : &*it->second.qc;
}

Status BlockTree::insert(const Block& block) {
  if (contains(block.id)) return ok_status();
  const auto parent = blocks_.find(block.header.parent_id);
  if (parent == blocks_.end()) return Error("missing_parent", "the block's parent is not in the tree");
  if (block.header.height <= committed_height())
    return Error("stale_block", "block at or below the committed height");
  BIZRA_TRY(graph_.insert(graph::BlockHeader{block.id, block.header.parent_id, block.header.round}));
  parent->second.children.push_back(block.id);
  unsettled_[block.header.height].push_back(block.id);
  blocks_.emplace(block.id, Entry{block, std::nullopt, {}, false});
  return ok_status();
}

bool BlockTree::certify(const QuorumCert& qc, const ValidatorSet& validators) {
  const auto it = blocks_.find(qc.block_id);
  if (it == blocks_.end() || it->second.committed || it->second.qc) return false;
  it->second.qc = qc;
  // The graph counts vote weight per validator; a QC is a quorum of votes, so replaying its
  // signers certifies the block there too.
  for (ValidatorIndex i : qc.signers.indexes())
    if (i < validators.size()) (void)graph_.add_vote(qc.block_id, i, validators.at(i).weight);
  return true;
}

Result<std::vector<Block>> BlockTree::commit(const Hash32& id) {
  std::vector<Entry*> path;  // newest first
  auto it = blocks_.find(id);
  while (it != blocks_.end() && !it->second.committed) {
    path.push_back(&it->second);
    it = blocks_.find(it->second.block.header.parent_id);
  }
  if (it == blocks_.end() && path.empty()) return Error("unknown_block", "no such block in the tree");
  // Committed blocks form one chain, so reaching one that is not the tip means `id` forks off
  // committed history: a conflicting commit.
  if (it == blocks_.end() || (!path.empty() && it->first != committed_.back()))
    return Error("conflicting_commit", "block does not extend the committed chain");
  std::vector<Block> committed;
  for (auto e = path.rbegin(); e != path.rend(); ++e) {
    (*e)->committed = true;
    committed_.push_back((*e)->block.id);
    committed.push_back((*e)->block);
  }
  if (!committed.empty()) {
    BIZRA_TRY(graph_.mark_committed(id));
    prune();
  }
  return committed;
}

void BlockTree::prune() {
  const Height height = committed_height();
  for (auto it = unsettled_.begin(); it != unsettled_.end() && it->first <= height; it = unsettled_.erase(it))
    for (const Hash32& id : it->second) {
      const auto e = blocks_.find(id);
      if (e != blocks_.end() && !e->second.committed) remove_subtree(id);
    }
  while (committed_.size() > committed_kept_) {
    blocks_.erase(committed_.front());
    committed_.pop_front();
  }
  graph_.prune(blocks_.at(committed_.front()).block.header.height);
}

void BlockTree::remove_subtree(const Hash32& id) {
  std::vector<Hash32> pending{id};
  while (!pending.empty()) {
    const auto it = blocks_.find(pending.back());
    pending.pop_back();
    if (it == blocks_.end()) continue;
    pending.insert(pending.end(), it->second.children.begin(), it->second.children.end());
    blocks_.erase(it);
  }
}

std::vector<Block> BlockTree::chain_from(const Hash32& id, std::size_t max) const {
  std::vector<Block> out;
  for (const Block* b = find(id); b != nullptr && out.size() < max; b = find(b->header.parent_id)) out.push_back(*b);
  return out;
}

// ---- OrphanPool -----------------------------------------------------------------------------

bool OrphanPool::add(Orphan orphan) {
  if (contains(orphan.block.id)) return false;
  if (by_id_.size() >= capacity_ && !evict_above(orphan.block.header.height)) return false;
  const Hash32 id = orphan.block.id;
  by_parent_.emplace(orphan.block.header.parent_id, id);
  by_id_.emplace(id, std::move(orphan));
  return true;
}

// Sync fills the pool from the newest blocks down towards the tree; the lowest ones link first,
// so when full, the highest orphan makes room for a lower one (it is fetched again later).
bool OrphanPool::evict_above(Height height) {
  const auto highest = std::max_element(by_id_.begin(), by_id_.end(), [](const auto& a, const auto& b) {
    return a.second.block.header.height < b.second.block.header.height;
  });
  if (highest == by_id_.end() || highest->second.block.header.height <= height) return false;
  const auto [first, last] = by_parent_.equal_range(highest->second.block.header.parent_id);
  for (auto it = first; it != last; ++it)
    if (it->second == highest->first) {
      by_parent_.erase(it);
      break;
    }
  by_id_.erase(highest);
  return true;
}

std::vector<OrphanPool::Orphan> OrphanPool::take_children(const Hash32& parent_id) {
  std::vector<Orphan> out;
  const auto [first, last] = by_parent_.equal_range(parent_id);
  for (auto it = first; it != last; ++it) {
    const auto orphan = by_id_.find(it->second);
    out.push_back(std::move(orphan->second));
    by_id_.erase(orphan);
  }
  by_parent_.erase(first, last);
  return out;
}

Hash32 OrphanPool::missing_ancestor(Hash32 id) const {
  // Terminates: block ids hash their parent's id, so parent links cannot form a cycle.
  for (auto it = by_id_.find(id); it != by_id_.end(); it = by_id_.find(id)) id = it->second.block.header.parent_id;
  return id;
}

void OrphanPool::drop_up_to(Height height) {
  for (auto it = by_parent_.begin(); it != by_parent_.end();) {
    const auto orphan = by_id_.find(it->second);
    if (orphan->second.block.header.height > height) {
      ++it;
      continue;
    }
    by_id_.erase(orphan);
    it = by_parent_.erase(it);
  }
}

}  // namespace bizra::consensus
