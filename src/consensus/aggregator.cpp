#include "consensus/aggregator.hpp"

namespace bizra::consensus {

std::optional<QuorumCert> VoteAggregator::add(const VoteMsg& vote) {
  RoundVotes& round = rounds_[vote.round];
  if (round.certified || !round.voters.insert(vote.voter).second) return std::nullopt;
  Tally& tally = round.blocks[vote.block_id];
  tally.signatures.emplace(vote.voter, vote.signature);
  tally.weight += validators_.at(vote.voter).weight;  // <= total weight, which fits in u64
  if (!validators_.is_quorum(tally.weight)) return std::nullopt;
  round.certified = true;
  QuorumCert qc{vote.epoch, vote.round, vote.block_id, SignerBitmap(validators_.size()), {}};
  for (const auto& [voter, signature] : tally.signatures) {
    qc.signers.set(voter);
    qc.signatures.push_back(signature);
  }
  return qc;
}

std::optional<TimeoutCert> TimeoutAggregator::add(const TimeoutMsg& timeout) {
  RoundTimeouts& round = rounds_[timeout.round];
  if (round.certified || !round.entries.emplace(timeout.sender, std::pair(timeout.high_qc.round, timeout.signature)).second)
    return std::nullopt;
  round.weight += validators_.at(timeout.sender).weight;
  if (!validators_.is_quorum(round.weight)) return std::nullopt;
  round.certified = true;
  TimeoutCert tc{timeout.epoch, timeout.round, SignerBitmap(validators_.size()), {}, {}};
  for (const auto& [sender, entry] : round.entries) {
    tc.signers.set(sender);
    tc.high_qc_rounds.push_back(entry.first);
    tc.signatures.push_back(entry.second);
  }
  return tc;
}

std::uint64_t TimeoutAggregator::weight(Round round) const {
  const auto it = rounds_.find(round);
  return it == rounds_.end() ? 0 : it->second.weight;
}

}  // namespace bizra::consensus
