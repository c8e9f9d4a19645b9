#include "consensus/core.hpp"

#include <algorithm>
#include <limits>
#include <map>

#include "consensus/aggregator.hpp"
#include "consensus/block_tree.hpp"
#include "consensus/equivocation.hpp"
#include "consensus/verify.hpp"
#include "poi/signing.hpp"

namespace bizra::consensus {
namespace {

// Votes and timeouts are aggregated (and checked for equivocation) only for rounds from the
// current one - 1 to the current one + kFutureRounds: older ones can no longer change anything,
// and the bound keeps a flood of far-future messages from growing memory. Their certificates
// (high QC, TC) are processed whatever the round, so a node that is behind still catches up.
constexpr Round kFutureRounds = 8;
constexpr std::size_t kMaxOrphans = 256;      // blocks waiting for their parent
constexpr std::size_t kMaxPendingQcs = 64;    // QCs waiting for their block
constexpr std::size_t kMaxOpenRequests = 256;  // blocks asked for and not yet received

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) { return a > kMaxU64 - b ? kMaxU64 : a + b; }

// The tree's root: the block committed before a restart (genesis if none, or if it is missing,
// which the constructor reports as a fault).
const Block& root_block(const CoreConfig& config, const RestoredState& restored) {
  if (restored.committed)
    for (const Block& b : restored.blocks)
      if (b.id == *restored.committed) return b;
  return config.genesis;
}

// The checks on a block that need its parent (verify_block did the others).
Status check_link(const BlockHeader& h, const BlockHeader& parent) {
  if (h.qc.round != parent.round) return Error("bad_qc_link", "the QC round is not the parent's round");
  if (h.height != parent.height + 1) return Error("bad_height", "height is not the parent's + 1");
  if (h.timestamp_ms <= parent.timestamp_ms) return Error("bad_timestamp", "timestamp not after the parent's");
  return ok_status();
}

const TimeoutCert* as_pointer(const std::optional<TimeoutCert>& tc) { return tc ? &*tc : nullptr; }

}  // namespace

std::uint64_t round_timer_ms(std::uint64_t base_ms, std::uint32_t percent, std::uint32_t max_exponent,
                             std::uint32_t tc_streak) {
  __extension__ typedef unsigned __int128 Wide;
  Wide duration = base_ms;
  for (std::uint32_t k = std::min(tc_streak, max_exponent); k > 0 && duration <= kMaxU64; --k)
    duration = (duration * percent + 99) / 100;
  return duration > kMaxU64 ? kMaxU64 : static_cast<std::uint64_t>(duration);
}

struct Core::Impl {
  Impl(CoreConfig c, std::unique_ptr<Signer> s, PayloadSource& p, RestoredState restored);

  // ---- inputs
  void begin(std::uint64_t now_ms, Outputs& outputs);
  void start();
  void on_message(ValidatorIndex from, const Message& message);
  void on_timer(Round timer_round);

  void handle(ValidatorIndex from, const ProposalMsg& m);
  void handle(ValidatorIndex from, const VoteMsg& v);
  void handle(ValidatorIndex from, const TimeoutMsg& t);
  void handle(ValidatorIndex from, const BlockRequest& req);
  void handle(ValidatorIndex from, const BlockResponse& resp);

  // ---- certificates
  Status check_response(const std::vector<Block>& blocks) const;
  Status check_block(const Block& b) const;
  Status check_qc(const QuorumCert& qc) const;
  Status check_tc(const TimeoutCert& tc) const;
  bool accept_qc(const QuorumCert& qc, ValidatorIndex from);
  bool accept_tc(const TimeoutCert& tc, ValidatorIndex from);
  void on_verified_qc(const QuorumCert& qc, ValidatorIndex from);
  void on_verified_tc(const TimeoutCert& tc);
  void on_certified(const QuorumCert& qc);
  void commit(Hash32 id, QuorumCert qc);

  // ---- block tree and sync
  void link_restored_blocks();
  void link_with_descendants(OrphanPool::Orphan first);
  bool link(const Block& b, ValidatorIndex from);
  void remember_pending(const QuorumCert& qc);
  void fetch(ValidatorIndex from, const Hash32& id);

  // ---- pacemaker and signing
  bool can_sign() const { return config.self.has_value() && !fault; }
  bool in_window(Round r) const { return r + 1 >= round && r <= round + kFutureRounds; }
  bool keep_proposal(Round r, const Hash32& id);
  // Neither in the tree nor waiting in the pool, and above the committed height.
  bool is_new(const Block& b) const {
    return !tree.contains(b.id) && !orphans.contains(b.id) && b.header.height > tree.committed_height();
  }
  const TimeoutCert* tc_for_previous_round() const;
  void advance(Round new_round, bool by_tc);
  void arm_timer();
  std::uint64_t timer_duration() const;
  void try_propose();
  std::optional<Block> build_block(const Block& parent);
  bool should_idle(const Block& parent) const;
  void consider_vote(const Block& b, const TimeoutCert* tc, ValidatorIndex from);
  void send_vote(const Block& b);
  void local_timeout();
  void maybe_join_timeout(Round r);

  void note(poi::MessageKind kind, Round r, ValidatorIndex signer, const poi::SignedStatement& statement);
  void reject(ValidatorIndex from, Error reason) { out->push_back(RejectMessage{from, std::move(reason)}); }

  CoreConfig config;
  std::unique_ptr<Signer> signer;
  PayloadSource& payloads;
  VerifyContext ctx;
  BlockTree tree;
  OrphanPool orphans;
  VoteAggregator votes;
  TimeoutAggregator timeouts;
  EquivocationDetector equivocation;
  std::vector<Block> restored_blocks;  // linked by start()
  SafetyState safety;
  std::map<Hash32, QuorumCert> pending_qcs;  // verified QCs whose block is not in the tree yet
  std::map<Hash32, Round> requested;         // block id -> round in which it was last asked for
  std::map<Round, std::vector<Hash32>> proposal_ids;  // proposals kept per round (in the window)
  Round round = 1;
  Round proposed_round = 0;
  bool proposed_in_input = false;  // see try_propose
  Round deferred_proposal = 0;     // the round whose proposal waits for a timer (immediate, or idle)
  Round idle_wait_round = 0;       // the round in which the leader already waited for payload
  std::uint32_t tc_streak = 0;  // consecutive rounds that ended by TC (timer back-off exponent)
  std::optional<Error> fault;

  // The input being handled: its time and where its outputs go.
  std::uint64_t now = 0;
  Outputs* out = nullptr;
};

// ---- construction and restart -------------------------------------------------------------------

Core::Impl::Impl(CoreConfig c, std::unique_ptr<Signer> s, PayloadSource& p, RestoredState restored)
    : config(std::move(c)),
      signer(std::move(s)),
      payloads(p),
      ctx{config.chain_id, config.epoch, config.validators, *signer, config.genesis.id},
      tree(root_block(config, restored), config.validators, config.committed_blocks_kept),
      orphans(kMaxOrphans),
      votes(config.validators),
      timeouts(config.validators),
      equivocation(config.chain_id, config.epoch, config.validators),
      restored_blocks(std::move(restored.blocks)),
      safety(std::move(restored.safety)) {
  if (restored.committed && tree.committed_tip().id != *restored.committed)
    fault = Error("bad_restored_state", "the committed block is not among the restored blocks");
  if (safety.epoch > config.epoch) fault = Error("bad_restored_state", "safety state of a later epoch");
  // A new epoch starts its rounds afresh: every signature names the epoch, so no statement of
  // the old one can conflict with one of the new.
  if (safety.epoch != config.epoch) safety = SafetyState{config.epoch, 0, 0, {}, std::nullopt, 0, {}};
  if (safety.high_qc.is_genesis()) safety.high_qc = genesis_qc(config.epoch, config.genesis.id);
  // Resume in the round this node last signed in: the certificates persisted with its last
  // signature justify that round, so it can time it out again.
  round = std::max(safety.high_qc.round, safety.high_tc ? safety.high_tc->round : 0) + 1;
}

void Core::Impl::start() {
  link_restored_blocks();
  arm_timer();
  try_propose();
}

// Restored blocks were verified before they were stored: they are linked without re-checking
// signatures or emitting PersistBlock again. Their QCs may commit blocks whose commit the crash
// interrupted; those Commit outputs continue the persisted committed chain.
void Core::Impl::link_restored_blocks() {
  std::sort(restored_blocks.begin(), restored_blocks.end(),
            [](const Block& a, const Block& b) { return a.header.height < b.header.height; });
  for (const Block& b : restored_blocks) {
    if (!tree.contains(b.header.parent_id) || !tree.insert(b).ok()) continue;
    on_certified(b.header.qc);
  }
  restored_blocks.clear();
  if (tree.contains(safety.high_qc.block_id)) on_certified(safety.high_qc);
}

// ---- inputs ---------------------------------------------------------------------------------

void Core::Impl::on_message(ValidatorIndex from, const Message& message) {
  std::visit([&](const auto& m) { handle(from, m); }, message);
}

void Core::Impl::begin(std::uint64_t now_ms, Outputs& outputs) {
  now = now_ms;
  out = &outputs;
  proposed_in_input = false;
}

void Core::Impl::on_timer(Round timer_round) {
  if (timer_round != round) return;
  if (deferred_proposal == round) {
    deferred_proposal = 0;
    arm_timer();
    return try_propose();
  }
  local_timeout();
}

void Core::Impl::handle(ValidatorIndex from, const ProposalMsg& m) {
  const Block& b = m.block;
  const BlockHeader& h = b.header;
  if (Status s = check_block(b); !s.ok()) return reject(from, s.error());
  if (in_window(h.round)) note(poi::MessageKind::kProposal, h.round, h.proposer, {b.id, 0, b.proposer_signature});
  if (!accept_qc(h.qc, from)) return;
  if (m.last_round_tc) {
    if (m.last_round_tc->round + 1 != h.round)
      return reject(from, Error("bad_tc_round", "the proposal's TC is not for the previous round"));
    if (!accept_tc(*m.last_round_tc, from)) return;
  }
  if (tree.contains(b.id)) return consider_vote(b, as_pointer(m.last_round_tc), from);
  if (!keep_proposal(h.round, b.id)) return;
  OrphanPool::Orphan orphan{b, m.last_round_tc, true, from};
  if (tree.contains(h.parent_id)) return link_with_descendants(std::move(orphan));
  orphans.add(std::move(orphan));
  fetch(from, h.parent_id);
}

// Votes go to the leader of the next round, which alone aggregates them.
void Core::Impl::handle(ValidatorIndex from, const VoteMsg& v) {
  if (!config.self || !in_window(v.round) || config.validators.leader(config.epoch, v.round + 1) != *config.self)
    return;
  if (Status s = verify_vote(v, ctx); !s.ok()) return reject(from, s.error());
  note(poi::MessageKind::kVote, v.round, v.voter, {v.block_id, 0, v.signature});
  if (std::optional<QuorumCert> qc = votes.add(v)) on_verified_qc(*qc, from);
}

void Core::Impl::handle(ValidatorIndex from, const TimeoutMsg& t) {
  if (Status s = verify_timeout(t, ctx); !s.ok()) return reject(from, s.error());
  const bool current = in_window(t.round);  // before its certificates move our round
  if (current) note(poi::MessageKind::kTimeout, t.round, t.sender, {Hash32{}, t.high_qc.round, t.signature});
  if (!accept_qc(t.high_qc, from)) return;
  if (t.last_round_tc) {
    if (t.last_round_tc->round + 1 != t.round)
      return reject(from, Error("bad_tc_round", "the timeout's TC is not for the previous round"));
    if (!accept_tc(*t.last_round_tc, from)) return;
  }
  if (!current) return;
  if (std::optional<TimeoutCert> tc = timeouts.add(t)) on_verified_tc(*tc);
  maybe_join_timeout(t.round);
}

void Core::Impl::handle(ValidatorIndex from, const BlockRequest& req) {
  const std::size_t n = std::max<std::size_t>(1, std::min<std::size_t>(req.max_blocks, config.max_blocks_per_response));
  std::vector<Block> blocks = tree.chain_from(req.block_id, n);
  if (!blocks.empty()) out->push_back(SendTo{from, BlockResponse{std::move(blocks)}});
}

// Blocks come newest first. All are verified (QCs too) before any is kept, and only certified
// blocks are kept, so a peer cannot fill memory with blocks nobody voted for: every block but the
// newest is certified by the QC in its child's header; the newest only if a QC we hold names it
// (a pending QC, or the header QC of an orphan waiting for it).
void Core::Impl::handle(ValidatorIndex from, const BlockResponse& resp) {
  const std::vector<Block>& blocks = resp.blocks;
  if (Status s = check_response(blocks); !s.ok()) return reject(from, s.error());
  const bool newest_certified =
      !blocks.empty() && (pending_qcs.count(blocks[0].id) != 0 || orphans.has_children(blocks[0].id));
  const std::size_t newest = newest_certified ? 0 : 1;
  for (std::size_t i = blocks.size(); i-- > newest;) {  // oldest first: parents link before children
    const Block& b = blocks[i];
    if (!is_new(b)) continue;
    on_verified_qc(b.header.qc, from);
    OrphanPool::Orphan orphan{b, std::nullopt, false, from};
    if (tree.contains(b.header.parent_id)) {
      link_with_descendants(std::move(orphan));
    } else {
      orphans.add(std::move(orphan));
    }
  }
}

// Only proposals of rounds inside the window, and at most two per round, are kept: an
// equivocating leader cannot fill memory with blocks. Two rather than one because the second
// may be the one that gets certified; any other that is certified arrives through sync.
bool Core::Impl::keep_proposal(Round r, const Hash32& id) {
  constexpr std::size_t kMaxProposalsPerRound = 2;
  if (!in_window(r)) return false;
  std::vector<Hash32>& ids = proposal_ids[r];
  if (std::find(ids.begin(), ids.end(), id) != ids.end()) return true;
  if (ids.size() >= kMaxProposalsPerRound) return false;
  ids.push_back(id);
  return true;
}

// ---- certificates -------------------------------------------------------------------------------

Status Core::Impl::check_response(const std::vector<Block>& blocks) const {
  if (blocks.size() > config.max_blocks_per_response)
    return Error("bad_response", "more blocks than were asked for");
  for (std::size_t i = 0; i + 1 < blocks.size(); ++i)
    if (blocks[i].header.parent_id != blocks[i + 1].id) return Error("bad_response", "the blocks do not form a chain");
  for (const Block& b : blocks) {
    if (!is_new(b)) continue;
    BIZRA_TRY(check_block(b));
    BIZRA_TRY(check_qc(b.header.qc));
  }
  return ok_status();
}

Status Core::Impl::check_block(const Block& b) const {
  if (b.payload.size() > config.max_payload_bytes)
    return Error("payload_too_large", std::to_string(b.payload.size()) + " payload bytes");
  return verify_block(b, ctx);
}

// The same few QCs arrive again and again (in every proposal and timeout): one equal to a QC
// already verified is not verified again.
Status Core::Impl::check_qc(const QuorumCert& qc) const {
  if (qc == safety.high_qc) return ok_status();
  if (const QuorumCert* known = tree.cert(qc.block_id); known != nullptr && *known == qc) return ok_status();
  if (const auto it = pending_qcs.find(qc.block_id); it != pending_qcs.end() && it->second == qc) return ok_status();
  return verify_qc(qc, ctx);
}

Status Core::Impl::check_tc(const TimeoutCert& tc) const {
  if (safety.high_tc && *safety.high_tc == tc) return ok_status();
  return verify_tc(tc, ctx);
}

bool Core::Impl::accept_qc(const QuorumCert& qc, ValidatorIndex from) {
  if (Status s = check_qc(qc); !s.ok()) {
    reject(from, s.error());
    return false;
  }
  on_verified_qc(qc, from);
  return true;
}

bool Core::Impl::accept_tc(const TimeoutCert& tc, ValidatorIndex from) {
  if (Status s = check_tc(tc); !s.ok()) {
    reject(from, s.error());
    return false;
  }
  on_verified_tc(tc);
  return true;
}

// Any valid QC advances the round (pacemaker), even before its block arrives: the QC alone
// proves that a quorum finished the round.
void Core::Impl::on_verified_qc(const QuorumCert& qc, ValidatorIndex from) {
  if (qc.is_genesis()) return;
  observe_qc(safety, qc);
  const bool known = tree.contains(qc.block_id);
  if (known) on_certified(qc);
  if (qc.round >= round) advance(qc.round + 1, false);
  // Fetched after advancing, so the request is recorded for the round it is made in.
  if (!known && qc.round > tree.committed_tip().header.round) {
    remember_pending(qc);
    fetch(from, qc.block_id);
  }
}

void Core::Impl::on_verified_tc(const TimeoutCert& tc) {
  observe_tc(safety, tc);
  if (tc.round >= round) advance(tc.round + 1, true);
}

// The 2-chain rule: a certified block B' commits its parent B when B'.round == B.round + 1.
void Core::Impl::on_certified(const QuorumCert& qc) {
  if (!tree.certify(qc, config.validators)) return;
  const Block* child = tree.find(qc.block_id);
  const Block* parent = tree.find(child->header.parent_id);
  if (parent != nullptr && child->header.round == parent->header.round + 1 &&
      parent->header.height > tree.committed_height())
    commit(parent->id, child->header.qc);
}

void Core::Impl::commit(Hash32 id, QuorumCert qc) {
  Result<std::vector<Block>> blocks = tree.commit(id);
  if (!blocks.ok()) {
    fault = blocks.error();  // safety is broken: stop rather than report a conflicting block final
    return;
  }
  if (blocks->empty()) return;
  out->push_back(Commit{std::move(*blocks), std::move(qc)});
  orphans.drop_up_to(tree.committed_height());
  const Round committed_round = tree.committed_tip().header.round;
  std::erase_if(pending_qcs, [&](const auto& entry) { return entry.second.round <= committed_round; });
}

// ---- block tree and sync -------------------------------------------------------------------------

void Core::Impl::link_with_descendants(OrphanPool::Orphan first) {
  std::vector<OrphanPool::Orphan> pending;
  pending.push_back(std::move(first));
  while (!pending.empty()) {
    OrphanPool::Orphan o = std::move(pending.back());
    pending.pop_back();
    if (!link(o.block, o.from)) continue;
    if (o.proposal) consider_vote(o.block, as_pointer(o.last_round_tc), o.from);
    for (OrphanPool::Orphan& child : orphans.take_children(o.block.id)) pending.push_back(std::move(child));
  }
}

// Adds a verified block whose parent is in the tree, after the checks that need the parent.
bool Core::Impl::link(const Block& b, ValidatorIndex from) {
  if (tree.contains(b.id)) return true;
  const Block* parent = tree.find(b.header.parent_id);
  if (parent == nullptr) return false;
  if (Status s = check_link(b.header, parent->header); !s.ok()) {
    reject(from, s.error());
    return false;
  }
  if (!tree.insert(b).ok()) return false;  // a fork below the committed height: harmless, dropped
  out->push_back(PersistBlock{b});
  on_certified(b.header.qc);
  if (const auto it = pending_qcs.find(b.id); it != pending_qcs.end()) {
    const QuorumCert qc = std::move(it->second);
    pending_qcs.erase(it);
    on_certified(qc);
  }
  requested.erase(b.id);
  if (b.id == safety.high_qc.block_id) try_propose();  // the block our proposal extends arrived
  return true;
}

// Keeps the QC until its block arrives; when full, the lowest-round QC makes room. (A block
// whose QC was not kept is still fetched: during deep sync the orphan waiting for it vouches
// for it by the time it arrives.)
void Core::Impl::remember_pending(const QuorumCert& qc) {
  if (pending_qcs.size() >= kMaxPendingQcs && !pending_qcs.count(qc.block_id)) {
    const auto lowest = std::min_element(pending_qcs.begin(), pending_qcs.end(), [](const auto& a, const auto& b) {
      return a.second.round < b.second.round;
    });
    if (lowest->second.round >= qc.round) return;
    pending_qcs.erase(lowest);
  }
  pending_qcs.emplace(qc.block_id, qc);
}

// Asks `from` (who referred to the block, so should have it) for the first missing block on
// `id`'s ancestry, at most once per round per block.
void Core::Impl::fetch(ValidatorIndex from, const Hash32& id) {
  const Hash32 target = orphans.missing_ancestor(id);
  if (tree.contains(target)) return;
  const auto it = requested.find(target);
  if (it != requested.end() && it->second >= round) return;
  if (it == requested.end() && requested.size() >= kMaxOpenRequests) return;
  requested[target] = round;
  const auto max_blocks = static_cast<std::uint32_t>(std::min<std::size_t>(config.max_blocks_per_response, std::numeric_limits<std::uint32_t>::max()));
  out->push_back(RequestBlocks{from, BlockRequest{target, max_blocks}});
}

// ---- pacemaker ------------------------------------------------------------------------------------

const TimeoutCert* Core::Impl::tc_for_previous_round() const {
  return safety.high_tc && safety.high_tc->round + 1 == round ? &*safety.high_tc : nullptr;
}

void Core::Impl::advance(Round new_round, bool by_tc) {
  round = new_round;
  tc_streak = by_tc ? tc_streak + 1 : 0;
  votes.forget_below(round - 1);
  timeouts.forget_below(round - 1);
  equivocation.forget_below(round - 1);
  proposal_ids.erase(proposal_ids.begin(), proposal_ids.lower_bound(round - 1));
  std::erase_if(requested, [&](const auto& entry) { return entry.second + kFutureRounds < round; });
  arm_timer();
  try_propose();
}

void Core::Impl::arm_timer() {
  if (can_sign()) out->push_back(SetTimer{round, saturating_add(now, timer_duration())});
}

std::uint64_t Core::Impl::timer_duration() const {
  return round_timer_ms(config.base_timeout_ms, config.backoff_percent, config.max_backoff_exponent, tc_streak);
}

// ---- signing ----------------------------------------------------------------------------------------

// The leader proposes once per round, extending its high QC, and votes for its own block
// *before* the proposal leaves: the persisted last_voted_round then keeps a restarted leader
// from signing a second block for the round (slashable proposal equivocation).
//
// At most one proposal per input: a validator that forms QCs alone (a single-validator devnet,
// or one holding 2/3 of the weight) would otherwise propose, vote, certify and propose again
// without end inside one input. It defers with an immediate timer instead, so the driver keeps
// control between blocks.
void Core::Impl::try_propose() {
  if (!can_sign() || proposed_round >= round || config.validators.leader(config.epoch, round) != *config.self) return;
  if (proposed_in_input) {
    deferred_proposal = round;
    out->push_back(SetTimer{round, now});
    return;
  }
  const QuorumCert& qc = safety.high_qc;
  const TimeoutCert* tc = qc.round + 1 == round ? nullptr : tc_for_previous_round();
  if (qc.round + 1 != round && tc == nullptr) return;  // not entered through a QC or TC of round - 1
  const Block* parent = tree.find(qc.block_id);
  if (parent == nullptr) return;  // retried when the block arrives (link)
  if (!safe_to_vote(safety, round, qc.round, tc, config.safety_mutation).ok()) return;
  if (should_idle(*parent)) {
    idle_wait_round = round;
    deferred_proposal = round;
    out->push_back(SetTimer{round, saturating_add(now, config.idle_proposal_delay_ms)});
    return;
  }
  std::optional<Block> block = build_block(*parent);
  if (!block || !tree.insert(*block).ok()) return;
  proposed_round = round;
  proposed_in_input = true;
  out->push_back(PersistBlock{*block});
  safety = record_vote(safety, round, qc.round);
  out->push_back(PersistSafety{safety});
  out->push_back(Broadcast{ProposalMsg{*block, tc ? std::optional<TimeoutCert>(*tc) : std::nullopt}});
  send_vote(*block);
}

// Waits (once per round) when there is nothing to propose and nothing uncommitted that needs
// descendants to commit it.
bool Core::Impl::should_idle(const Block& parent) const {
  if (config.idle_proposal_delay_ms == 0 || idle_wait_round == round || payloads.has_pending()) return false;
  const Hash32& committed = tree.committed_tip().id;
  for (const Block* b = &parent; b != nullptr && b->id != committed; b = tree.find(b->header.parent_id))
    if (payloads.carries_transactions(b->payload)) return false;
  return true;
}

std::optional<Block> Core::Impl::build_block(const Block& parent) {
  Block b;
  BlockHeader& h = b.header;
  h.epoch = config.epoch;
  h.round = round;
  h.height = parent.header.height + 1;
  h.parent_id = parent.id;
  h.qc = safety.high_qc;
  h.proposer = *config.self;
  h.timestamp_ms = std::max(now, saturating_add(parent.header.timestamp_ms, 1));
  b.payload = payloads.next_payload(h.height, parent.id, config.max_payload_bytes);
  if (b.payload.size() > config.max_payload_bytes) return std::nullopt;
  h.payload_digest = payload_digest(b.payload);
  b.id = compute_block_id(h);
  b.proposer_signature = signer->sign(poi::proposal_message(config.chain_id, config.epoch, round, b.id));
  return b;
}

// Votes only in the current round, for a block whose links were checked; PersistBlock was
// emitted when the block was linked, so the outputs are PersistBlock, PersistSafety, SendTo.
void Core::Impl::consider_vote(const Block& b, const TimeoutCert* tc, ValidatorIndex from) {
  const BlockHeader& h = b.header;
  if (!can_sign() || h.round != round) return;
  if (h.timestamp_ms > saturating_add(now, config.max_clock_skew_ms))
    return reject(from, Error("future_timestamp", "the block's timestamp is ahead of our clock"));
  if (!payloads.payload_valid(b.payload)) return reject(from, Error("bad_payload", "payload rejected"));
  if (!safe_to_vote(safety, h.round, h.qc.round, tc, config.safety_mutation).ok()) return;
  safety = record_vote(safety, h.round, h.qc.round);
  out->push_back(PersistSafety{safety});
  send_vote(b);
}

void Core::Impl::send_vote(const Block& b) {
  const Round r = b.header.round;
  const VoteMsg vote{config.epoch, r, b.id, *config.self,
                     signer->sign(poi::vote_message(config.chain_id, config.epoch, r, b.id))};
  const ValidatorIndex next_leader = config.validators.leader(config.epoch, r + 1);
  if (next_leader == *config.self) return handle(*config.self, vote);
  out->push_back(SendTo{next_leader, vote});
}

void Core::Impl::local_timeout() {
  if (!can_sign()) return;
  const TimeoutCert* tc = tc_for_previous_round();
  Result<TimeoutDecision> decision = decide_timeout(safety, round, tc);
  arm_timer();  // fires again if the round still does not end: re-broadcast, or retry
  if (!decision.ok()) return;
  if (decision->state != safety) {
    safety = decision->state;
    out->push_back(PersistSafety{safety});
  }
  const QuorumCert& high_qc = decision->high_qc;
  TimeoutMsg timeout{config.epoch,
                     round,
                     high_qc,
                     tc ? std::optional<TimeoutCert>(*tc) : std::nullopt,
                     *config.self,
                     signer->sign(poi::timeout_message(config.chain_id, config.epoch, round, high_qc.round))};
  out->push_back(Broadcast{timeout});
  if (std::optional<TimeoutCert> formed = timeouts.add(timeout)) on_verified_tc(*formed);
}

// Joining early: timeouts of more than a third of the weight for our round include an honest
// validator's, so the round cannot end by QC without us and waiting longer only delays the TC.
void Core::Impl::maybe_join_timeout(Round r) {
  if (!can_sign() || r != round || safety.timeout_round == round) return;
  if (config.validators.exceeds_one_third(timeouts.weight(r))) local_timeout();
}

void Core::Impl::note(poi::MessageKind kind, Round r, ValidatorIndex signer_index,
                      const poi::SignedStatement& statement) {
  if (std::optional<poi::EquivocationEvidence> evidence = equivocation.observe(kind, r, signer_index, statement))
    out->push_back(ReportEvidence{std::move(*evidence)});
}

// ---- Core ----------------------------------------------------------------------------------------

Core::Core(CoreConfig config, std::unique_ptr<Signer> signer, PayloadSource& payloads, RestoredState restored)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(signer), payloads, std::move(restored))) {}

Core::~Core() = default;

void Core::start(std::uint64_t now_ms, Outputs& out) {
  impl_->begin(now_ms, out);
  if (!impl_->fault) impl_->start();
}

void Core::on_message(ValidatorIndex from, const Message& message, std::uint64_t now_ms, Outputs& out) {
  impl_->begin(now_ms, out);
  if (!impl_->fault) impl_->on_message(from, message);
}

void Core::on_timeout(Round round, std::uint64_t now_ms, Outputs& out) {
  impl_->begin(now_ms, out);
  if (!impl_->fault) impl_->on_timer(round);
}

void Core::on_payload_available(std::uint64_t now_ms, Outputs& out) {
  impl_->begin(now_ms, out);
  if (!impl_->fault && impl_->deferred_proposal == impl_->round && impl_->idle_wait_round == impl_->round)
    impl_->on_timer(impl_->round);
}

Round Core::current_round() const { return impl_->round; }
Height Core::committed_height() const { return impl_->tree.committed_height(); }
const Hash32& Core::committed_id() const { return impl_->tree.committed_tip().id; }
const SafetyState& Core::safety_state() const { return impl_->safety; }
const std::optional<Error>& Core::fault() const { return impl_->fault; }
const graph::BlockGraph& Core::graph() const { return impl_->tree.graph(); }

}  // namespace bizra::consensus
