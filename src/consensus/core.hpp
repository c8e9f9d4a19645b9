#pragma once
// The consensus core: a deterministic, I/O-free state machine (docs/consensus.md).
//
// It consumes inputs (messages from validators, timer expiries, the current time) and appends
// outputs to a vector, which its driver — the node (src/node) or the simulator (src/sim) —
// performs **in order**. In particular a PersistSafety output precedes any Send/Broadcast of the
// vote or timeout it protects, and the driver must make it durable before performing the send.
// The core never reads a clock, never sleeps, never touches a socket or a file, and never
// iterates an unordered container into anything observable, so the simulator can replay a run
// exactly from its seed.
//
// Layering (as in libhotstuff): SafetyRules (safety.hpp) is the only code that decides whether to
// sign; the Core adds the pacemaker (rounds, timers, leaders), block tree and commit logic.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "consensus/safety.hpp"
#include "consensus/signer.hpp"
#include "consensus/types.hpp"
#include "graph/block_graph.hpp"
#include "poi/evidence.hpp"

namespace bizra::consensus {

// Supplies payloads for the blocks this node proposes (the mempool, or the simulator).
class PayloadSource {
 public:
  virtual ~PayloadSource() = default;
  // A payload for the block at `height` extending `parent`; at most `max_bytes` (a larger one
  // is not proposed).
  virtual Bytes next_payload(Height height, const Hash32& parent, std::size_t max_bytes) = 0;
  // Whether a proposed payload is acceptable (structure, limits): an invalid one gets no vote.
  virtual bool payload_valid(ByteSpan payload) = 0;
  // Whether next_payload would carry transactions now. A leader with none may wait before
  // proposing an empty block (CoreConfig::idle_proposal_delay_ms).
  virtual bool has_pending() { return true; }
  // Whether a payload carries transactions: only then do its descendants have to follow soon,
  // to commit it by the 2-chain rule.
  virtual bool carries_transactions(ByteSpan payload) { return !payload.empty(); }
};

// The pacemaker's timer for a round entered after `tc_streak` consecutive rounds ended by TC:
// base * (percent/100)^min(tc_streak, max_exponent), each step rounded up; saturating.
std::uint64_t round_timer_ms(std::uint64_t base_ms, std::uint32_t percent, std::uint32_t max_exponent,
                             std::uint32_t tc_streak);

struct CoreConfig {
  std::string chain_id;
  Epoch epoch = 0;
  ValidatorSet validators;
  std::optional<ValidatorIndex> self;  // nullopt: a non-validator full node (never signs)
  std::uint64_t base_timeout_ms = 1000;
  // Round timer: base * (backoff_percent / 100)^min(k, max_backoff_exponent), k = consecutive
  // rounds that ended by TC (round_timer_ms). A mild factor: a crashed leader also ends rounds
  // by TC, and a steep one (2^k) turns a few crashed leaders in a row into seconds of silence.
  std::uint32_t backoff_percent = 150;
  std::uint32_t max_backoff_exponent = 8;
  // A leader with nothing to propose, above a chain whose uncommitted blocks carry nothing,
  // waits this long (or until on_payload_available) before proposing an empty block, so an idle
  // network does not write hundreds of empty blocks a second. 0: never waits (the simulator).
  // Must stay well below base_timeout_ms, or idle rounds end by timeout.
  std::uint64_t idle_proposal_delay_ms = 0;
  std::size_t max_payload_bytes = 1 << 20;
  std::uint64_t max_clock_skew_ms = 5000;  // a proposal's timestamp may not exceed now + this
  Block genesis;                           // round 0, height 0 (make_genesis); its id must be
                                           // compute_block_id(header); certified by genesis_qc
  std::size_t max_blocks_per_response = 64;  // blocks served / requested per BlockRequest
  // Committed blocks kept in memory (to extend and to serve syncing peers); older history is the
  // driver's to serve from storage.
  std::size_t committed_blocks_kept = 256;
  // Tests only: a deliberately broken safety rule (safety.hpp), so the simulator can show that
  // its invariant checks catch it. Never set in a node.
  SafetyMutation safety_mutation = SafetyMutation::kNone;
};

// --- outputs ------------------------------------------------------------------------------
struct SendTo {
  ValidatorIndex to;
  Message message;
};
struct Broadcast {
  Message message;  // to every other validator (and full nodes that follow)
};
struct PersistSafety {
  SafetyState state;  // must be durable before the driver performs any later output
};
struct PersistBlock {
  Block block;  // a block this node accepted into its tree (before voting for it)
};
struct Commit {
  std::vector<Block> blocks;  // newly committed, ascending height, contiguous with the last commit
  QuorumCert qc;              // certifies the last block of `blocks`
};
struct SetTimer {
  Round round;
  std::uint64_t deadline_ms;  // absolute time; a later SetTimer replaces an earlier one. May be
                              // `now` (a deferred proposal, see core.cpp try_propose)
};
struct ReportEvidence {
  poi::EquivocationEvidence evidence;
};
struct RequestBlocks {
  ValidatorIndex from;
  BlockRequest request;
};
// A message that failed validation (bad signature, wrong epoch, invalid QC, ...): the driver
// lowers the sender's peer score. Never fatal. `reason` carries the stable codes of verify.hpp
// and "payload_too_large", "bad_payload", "future_timestamp", "bad_height", "bad_timestamp",
// "bad_tc_round", "bad_response".
struct RejectMessage {
  ValidatorIndex from;
  Error reason;
};

using Output = std::variant<SendTo, Broadcast, PersistSafety, PersistBlock, Commit, SetTimer, ReportEvidence,
                            RequestBlocks, RejectMessage>;
using Outputs = std::vector<Output>;

// What a restarted node hands back to the core: its safety state and the blocks it had stored
// (committed chain tip and uncommitted certified descendants), so it never signs twice in a round
// and never loses a commit.
struct RestoredState {
  SafetyState safety;
  std::vector<Block> blocks;       // any order; parents resolved by id
  std::optional<Hash32> committed;  // id of the highest committed block (genesis if none)
};

class Core {
 public:
  Core(CoreConfig config, std::unique_ptr<Signer> signer, PayloadSource& payloads, RestoredState restored);
  ~Core();
  Core(const Core&) = delete;
  Core& operator=(const Core&) = delete;

  // Links the restored blocks (committing what their QCs commit), then enters the current
  // round: arms its timer, proposes if leader. Call once, before any other input.
  void start(std::uint64_t now_ms, Outputs& out);
  // `from` is the driver's index of the peer that sent the message: replies (BlockResponse),
  // block requests and RejectMessage are addressed to it; it is trusted for nothing else.
  void on_message(ValidatorIndex from, const Message& message, std::uint64_t now_ms, Outputs& out);
  // The timer armed by SetTimer{round} fired (stale rounds are ignored). If the round still has
  // no QC or TC the node times it out, and re-broadcasts its timeout each time the re-armed
  // timer fires again.
  void on_timeout(Round round, std::uint64_t now_ms, Outputs& out);
  // The payload source has transactions again: a leader waiting out its idle delay proposes now.
  void on_payload_available(std::uint64_t now_ms, Outputs& out);

  Round current_round() const;
  Height committed_height() const;
  const Hash32& committed_id() const;
  const SafetyState& safety_state() const;
  // Set when the core detected a broken safety invariant (a conflicting commit, or restored
  // state from a later epoch); it then ignores all inputs and signs nothing (spec: stop).
  const std::optional<Error>& fault() const;
  // Certified / committed status of known blocks, for lock-free readers on other threads.
  const graph::BlockGraph& graph() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bizra::consensus
