#include "consensus/safety.hpp"

#include <algorithm>

#include "codec/binary.hpp"

namespace bizra::consensus {

using codec_detail::read_qc;
using codec_detail::read_tc;
using codec_detail::write_qc;
using codec_detail::write_tc;

Bytes encode(const SafetyState& s) {
  codec::Writer w(512);
  w.u64(s.epoch).u64(s.last_voted_round).u64(s.preferred_round);
  write_qc(w, s.high_qc);
  w.boolean(s.high_tc.has_value());
  if (s.high_tc) write_tc(w, *s.high_tc);
  w.u64(s.timeout_round);
  write_qc(w, s.timeout_high_qc);
  return std::move(w).take();
}

Result<SafetyState> decode_safety_state(ByteSpan bytes) {
  codec::Reader r(bytes);
  SafetyState s;
  s.epoch = r.u64("epoch");
  s.last_voted_round = r.u64("last_voted_round");
  s.preferred_round = r.u64("preferred_round");
  s.high_qc = read_qc(r);
  if (r.boolean("has_high_tc") && r.ok()) s.high_tc = read_tc(r);
  s.timeout_round = r.u64("timeout_round");
  s.timeout_high_qc = read_qc(r);
  BIZRA_TRY(r.finish());
  return s;
}

namespace {

// The proposal's TC justifies `round` when it certifies the round just before it.
bool tc_for_previous_round(const TimeoutCert* tc, Round round) { return tc != nullptr && tc->round + 1 == round; }

}  // namespace

Status safe_to_vote(const SafetyState& s, Round round, Round qc_round, const TimeoutCert* last_round_tc,
                    SafetyMutation mutation) {
  if (round <= s.last_voted_round && mutation != SafetyMutation::kIgnoreLastVotedRound)
    return Error("already_voted", "round " + std::to_string(round) + " <= last voted round " +
                                      std::to_string(s.last_voted_round));
  if (round <= qc_round) return Error("round_not_above_qc", "block round is not above its QC round");
  if (round == qc_round + 1) return ok_status();  // happy path: extends the previous round's QC
  if (!tc_for_previous_round(last_round_tc, round))
    return Error("not_consecutive", "no QC or TC for round " + std::to_string(round - 1));
  // safe_to_extend: the TC's quorum contains an honest member of any quorum that certified a
  // block B' committing B, and its high_qc_round >= B's round; extending a lower QC could fork B.
  if (qc_round < last_round_tc->max_high_qc_round() && mutation != SafetyMutation::kIgnoreTcHighQc)
    return Error("qc_below_tc_high_qc", "QC round " + std::to_string(qc_round) + " < TC max high QC round " +
                                            std::to_string(last_round_tc->max_high_qc_round()));
  return ok_status();
}

SafetyState record_vote(SafetyState s, Round round, Round qc_round) {
  s.last_voted_round = std::max(s.last_voted_round, round);
  s.preferred_round = std::max(s.preferred_round, qc_round);
  return s;
}

Result<TimeoutDecision> decide_timeout(const SafetyState& s, Round round, const TimeoutCert* last_round_tc) {
  if (round != 0 && round == s.timeout_round) return TimeoutDecision{s, s.timeout_high_qc};
  const Round q = s.high_qc.round;
  if (q < s.preferred_round)
    return Error("stale_high_qc", "high QC round " + std::to_string(q) + " < preferred round " +
                                      std::to_string(s.preferred_round));
  // round > max(last_voted_round - 1, q): timing out the round we voted in is allowed (the
  // vote may not have formed a QC), timing out any earlier round is not.
  if (round + 1 <= s.last_voted_round || round <= q)
    return Error("already_voted", "round " + std::to_string(round) + " is not above max(last voted round - 1, " +
                                      "high QC round)");
  if (round != q + 1 && !tc_for_previous_round(last_round_tc, round))
    return Error("not_consecutive", "no QC or TC for round " + std::to_string(round - 1));
  TimeoutDecision d{s, s.high_qc};
  d.state.last_voted_round = std::max(s.last_voted_round, round);
  d.state.preferred_round = std::max(s.preferred_round, q);
  d.state.timeout_round = round;
  d.state.timeout_high_qc = s.high_qc;
  return d;
}

bool observe_qc(SafetyState& s, const QuorumCert& qc) {
  if (qc.round <= s.high_qc.round) return false;
  s.high_qc = qc;
  return true;
}

bool observe_tc(SafetyState& s, const TimeoutCert& tc) {
  if (s.high_tc && tc.round <= s.high_tc->round) return false;
  s.high_tc = tc;
  return true;
}

}  // namespace bizra::consensus
