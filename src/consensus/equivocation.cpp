#include "consensus/equivocation.hpp"

namespace bizra::consensus {
namespace {

bool conflicts(poi::MessageKind kind, const poi::SignedStatement& a, const poi::SignedStatement& b) {
  return kind == poi::MessageKind::kTimeout ? a.high_qc_round != b.high_qc_round : a.block_id != b.block_id;
}

}  // namespace

std::optional<poi::EquivocationEvidence> EquivocationDetector::observe(poi::MessageKind kind, Round round,
                                                                       ValidatorIndex signer,
                                                                       const poi::SignedStatement& statement) {
  const auto [it, first] = seen_.try_emplace(Key{round, kind, signer}, Seen{statement, false});
  if (first || it->second.reported || !conflicts(kind, it->second.first, statement)) return std::nullopt;
  it->second.reported = true;  // one piece of evidence per offence is enough (poi.md §6)
  return poi::EquivocationEvidence{kind,    chain_id_, epoch_, round, validators_.at(signer).key,
                                   it->second.first, statement};
}

void EquivocationDetector::forget_below(Round round) {
  seen_.erase(seen_.begin(), seen_.lower_bound(Key{round, poi::MessageKind{}, 0}));
}

}  // namespace bizra::consensus
