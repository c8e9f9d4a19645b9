#pragma once
// SafetyRules (docs/consensus.md §3): the only code that decides whether this node may sign a
// vote or a timeout. DiemBFT v4's Safety module (Jolteon's 2-chain rules), as pure functions over
// the durable SafetyState so that each rule can be tested alone and the core cannot bypass one.
//
// The core persists the state a rule returns (PersistSafety output) before the signed message
// leaves the process; a restarted node restores it first, so it never signs twice in a round.

#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "consensus/types.hpp"

namespace bizra::consensus {

struct SafetyState {
  Epoch epoch = 0;
  Round last_voted_round = 0;  // highest round this node voted in or timed out in
  Round preferred_round = 0;   // highest QC round it voted on top of or timed out with (the lock)
  QuorumCert high_qc;          // highest QC seen (the one a proposal of ours would extend)
  // Highest TC seen. Persisted so that a restarted node can re-enter the round it last signed
  // in (entered through that TC) and time it out again.
  std::optional<TimeoutCert> high_tc;
  // The last round this node signed a timeout for, and the high QC that timeout carried. A
  // repeated timeout of that round re-sends the same statement: a second timeout with another
  // high_qc_round would be slashable equivocation (poi/evidence.hpp), even across a restart.
  Round timeout_round = 0;
  QuorumCert timeout_high_qc;

  bool operator==(const SafetyState&) const = default;
};

Bytes encode(const SafetyState& state);
// Strict (complete input, bounded). Errors: those of decode_message's certificates.
Result<SafetyState> decode_safety_state(ByteSpan bytes);

// Deliberately broken variants of the rules. They exist only so that the deterministic simulator
// can prove its invariant checks catch safety bugs (a run with a mutation must fail); a node
// always runs kNone.
enum class SafetyMutation : std::uint8_t {
  kNone,
  kIgnoreLastVotedRound,  // votes again in a round it already voted or timed out in
  kIgnoreTcHighQc,        // votes through a TC without checking q >= the TC's max high QC round
};

// Vote rule for a block of `round` whose QC has round `qc_round`; `last_round_tc` is the TC for
// round - 1 the proposal carries, if any. Safe iff round > max(last_voted_round, qc_round) and
// either round == qc_round + 1, or last_round_tc->round + 1 == round and
// qc_round >= last_round_tc->max_high_qc_round(). Errors: "already_voted", "round_not_above_qc",
// "not_consecutive" (neither QC nor TC for round - 1), "qc_below_tc_high_qc".
Status safe_to_vote(const SafetyState& state, Round round, Round qc_round, const TimeoutCert* last_round_tc,
                    SafetyMutation mutation = SafetyMutation::kNone);
// The state once that vote is signed: last_voted_round = round, preferred_round >= qc_round.
SafetyState record_vote(SafetyState state, Round round, Round qc_round);

struct TimeoutDecision {
  SafetyState state;   // to persist before the timeout leaves
  QuorumCert high_qc;  // the QC the timeout carries (its round is signed)
};
// Timeout rule for `round`, with q = state.high_qc.round and `last_round_tc` the TC for
// round - 1 if that is how the node entered the round. Safe iff q >= preferred_round,
// round > max(last_voted_round - 1, q), and round == q + 1 or last_round_tc->round + 1 == round.
// Then last_voted_round >= round and preferred_round >= q. A repeat for state.timeout_round
// returns the statement already signed, unchanged. Errors: "stale_high_qc", "already_voted",
// "not_consecutive".
Result<TimeoutDecision> decide_timeout(const SafetyState& state, Round round, const TimeoutCert* last_round_tc);

// Keep the highest certificate seen; true when `qc` / `tc` replaced the previous one.
bool observe_qc(SafetyState& state, const QuorumCert& qc);
bool observe_tc(SafetyState& state, const TimeoutCert& tc);

}  // namespace bizra::consensus
