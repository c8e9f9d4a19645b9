#pragma once
// Vote and timeout aggregation (docs/consensus.md §4): signatures of distinct validators are
// collected per round until their weight is a quorum, then turned into a QC or TC, once.
//
// Inputs must already be verified (verify.hpp). Memory is bounded by the caller: it only adds
// rounds inside its window and calls forget_below() as rounds advance.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "consensus/types.hpp"

namespace bizra::consensus {

class VoteAggregator {
 public:
  explicit VoteAggregator(const ValidatorSet& validators) : validators_(validators) {}

  // Counts the vote once per validator and round: a second vote of the same validator in the
  // round (a duplicate, or an equivocation for another block) adds nothing. Returns the QC when
  // this vote brings its block to a quorum; later votes of that round are ignored.
  std::optional<QuorumCert> add(const VoteMsg& vote);
  void forget_below(Round round) { rounds_.erase(rounds_.begin(), rounds_.lower_bound(round)); }

 private:
  struct Tally {
    std::map<ValidatorIndex, crypto::Signature> signatures;  // ordered: QCs list them by index
    std::uint64_t weight = 0;
  };
  struct RoundVotes {
    std::set<ValidatorIndex> voters;
    std::map<Hash32, Tally> blocks;
    bool certified = false;
  };

  const ValidatorSet& validators_;
  std::map<Round, RoundVotes> rounds_;
};

class TimeoutAggregator {
 public:
  explicit TimeoutAggregator(const ValidatorSet& validators) : validators_(validators) {}

  // Counts the timeout once per validator and round; returns the TC when this timeout brings
  // the round to a quorum (once per round).
  std::optional<TimeoutCert> add(const TimeoutMsg& timeout);
  // Weight of the distinct validators that timed out `round` so far.
  std::uint64_t weight(Round round) const;
  void forget_below(Round round) { rounds_.erase(rounds_.begin(), rounds_.lower_bound(round)); }

 private:
  struct RoundTimeouts {
    std::map<ValidatorIndex, std::pair<Round, crypto::Signature>> entries;  // high_qc_round, sig
    std::uint64_t weight = 0;
    bool certified = false;
  };

  const ValidatorSet& validators_;
  std::map<Round, RoundTimeouts> rounds_;
};

}  // namespace bizra::consensus
