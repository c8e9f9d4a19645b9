#pragma once
// Equivocation detection (docs/consensus.md §5): the first signed statement of each validator
// per (kind, round) is remembered; a later, conflicting one with a valid signature yields
// poi::EquivocationEvidence, which anyone can check with poi::verify_evidence.
//
// Memory is bounded by the caller: it observes only rounds inside its window and calls
// forget_below() as rounds advance (an equivocation in a round the node no longer processes
// cannot affect it, so missing it costs nothing but the slashing).

#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "consensus/types.hpp"
#include "poi/evidence.hpp"

namespace bizra::consensus {

class EquivocationDetector {
 public:
  EquivocationDetector(std::string chain_id, Epoch epoch, const ValidatorSet& validators)
      : chain_id_(std::move(chain_id)), epoch_(epoch), validators_(validators) {}

  // `statement` was signed by `signer` for (kind, round) and its signature verified. Returns
  // evidence the first time it conflicts with the statement remembered for that key.
  std::optional<poi::EquivocationEvidence> observe(poi::MessageKind kind, Round round, ValidatorIndex signer,
                                                   const poi::SignedStatement& statement);
  void forget_below(Round round);

 private:
  using Key = std::tuple<Round, poi::MessageKind, ValidatorIndex>;
  struct Seen {
    poi::SignedStatement first;
    bool reported = false;
  };

  std::string chain_id_;
  Epoch epoch_;
  const ValidatorSet& validators_;
  std::map<Key, Seen> seen_;
};

}  // namespace bizra::consensus
