#pragma once
// The invariants of ../shared/spec/consensus.md §7, checked as the simulator performs each
// node's outputs (the only moments at which what a node has reported can change):
//  - Safety: no two honest nodes commit different blocks at one height, and each node's commits
//    extend its own previous commit (so committed chains are prefixes of each other).
//  - Durability: an honest node never signs two different votes, proposals or timeouts for one
//    round — across crashes, every signature it ever sent is remembered — and a restarted node's
//    committed height is at least what it had committed before the crash.
//  - State agreement: every honest node reaches the same state digest and receipts digest at
//    each height it executes.
//  - Liveness: after GST every honest node commits a new block before a deadline.
// Byzantine nodes are exempt from all of them; nodes down for the whole run from liveness. The first violation is kept; the simulator stops
// there and prints it with the seed and the trace tail.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "base/error.hpp"
#include "consensus/types.hpp"
#include "poi/signing.hpp"
#include "sim/event_queue.hpp"

namespace bizra::sim {

using consensus::Height;
using consensus::Round;
using consensus::ValidatorIndex;

enum class ViolationKind : std::uint8_t { kSafety, kDurability, kStateDivergence, kLiveness, kExecution };
std::string_view name(ViolationKind kind);

struct Violation {
  ViolationKind kind = ViolationKind::kSafety;
  Time at = 0;
  ValidatorIndex node = 0;
  std::string detail;
};

class Checker {
 public:
  explicit Checker(std::vector<bool> honest);

  bool honest(ValidatorIndex node) const { return honest_[node]; }
  // An honest node that is down for the whole run: it is not expected to show liveness.
  void mark_down(ValidatorIndex node) { down_[node] = true; }

  // The next block the node reports committed.
  void on_commit(ValidatorIndex node, const consensus::Block& block, Time at);
  // The node's digests after executing `height`.
  void on_executed(ValidatorIndex node, Height height, const Hash32& state, const Hash32& receipts, Time at);
  // A vote, proposal or timeout the node signed itself and sent: `statement` is what it signed
  // for that round (the block id, or the high QC round for a timeout).
  void on_signed(ValidatorIndex node, poi::MessageKind kind, Round round, const Hash32& statement, Time at);
  // The node came back up with `restored` committed height; it had `persisted` before.
  void on_restart(ValidatorIndex node, Height persisted, Height restored, Time at);
  // The node's core stopped on a broken invariant it detected itself (Core::fault()).
  void on_core_fault(ValidatorIndex node, const Error& fault, Time at);
  // An execution error (a committed payload that does not decode, ...).
  void on_execution_error(ValidatorIndex node, const std::string& error, Time at);

  // Liveness: from `gst`, every honest node must commit a block above its height at GST before
  // `deadline`. check_liveness(now) reports the laggards once now >= deadline.
  void arm_liveness(Time deadline);
  bool all_progressed() const;
  void check_liveness(Time now);
  // When the last honest node made its first commit after GST (once all_progressed()).
  std::optional<Time> recovered_at() const { return recovered_at_; }

  const std::optional<Violation>& violation() const { return violation_; }
  Height committed_height(ValidatorIndex node) const { return last_[node].height; }
  // Height of the longest commit any honest node reported.
  Height max_committed_height() const { return chain_.size(); }

 private:
  struct Tip {
    Height height = 0;
    Hash32 id;
  };
  void fail(ViolationKind kind, ValidatorIndex node, Time at, std::string detail);

  std::vector<bool> honest_;
  std::vector<bool> down_;
  std::vector<Tip> last_;                       // per node: its last committed block
  std::vector<Hash32> chain_;                   // chain_[h - 1]: the block first committed at height h
  std::vector<std::pair<Hash32, Hash32>> digests_;  // per height - 1: (state, receipts) first seen
  std::map<std::tuple<ValidatorIndex, poi::MessageKind, Round>, Hash32> signed_;
  std::optional<Time> liveness_deadline_;
  std::vector<Height> height_at_gst_;
  std::vector<bool> progressed_;  // per node: committed above its height at GST
  std::size_t laggards_ = 0;      // honest nodes that have not yet
  std::optional<Time> recovered_at_;
  std::optional<Violation> violation_;
};

}  // namespace bizra::sim
