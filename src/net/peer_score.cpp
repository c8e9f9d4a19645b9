#include "net/peer_score.hpp"

#include <algorithm>

namespace bizra::net {

PeerScore& PeerBook::record(const crypto::PublicKey& peer, Time now) {
  PeerScore& score = peers_[peer];
  if (score.banned_until_ && now >= *score.banned_until_) score = PeerScore{};  // served its time
  return score;
}

void PeerBook::update_ban(PeerScore& score, Time now) {
  if (score.banned_until_) return;
  if (score.reputation_hundredths_ < kBanReputation && score.failures_ > kBanFailures) {
    score.banned_until_ = now + kBanDuration;
  }
}

void PeerBook::on_connect(const crypto::PublicKey& peer) {
  PeerScore& score = peers_[peer];
  score.quality_ = (score.quality_ + 1.0) / 2.0;
}

void PeerBook::on_disconnect(const crypto::PublicKey& peer) {
  PeerScore& score = peers_[peer];
  score.quality_ = score.quality_ / 2.0;
}

void PeerBook::on_good_message(const crypto::PublicKey& peer, Time now) {
  PeerScore& score = record(peer, now);
  score.reputation_hundredths_ = std::min(kMaxReputation, score.reputation_hundredths_ + kGoodMessageReward);
}

void PeerBook::on_bad_message(const crypto::PublicKey& peer, Time now) {
  PeerScore& score = record(peer, now);
  score.reputation_hundredths_ = std::max(0, score.reputation_hundredths_ - kBadMessagePenalty);
  update_ban(score, now);
}

void PeerBook::on_failure(const crypto::PublicKey& peer, Time now) {
  PeerScore& score = record(peer, now);
  ++score.failures_;
  update_ban(score, now);
}

Admission PeerBook::admit(const crypto::PublicKey& peer, Time now) {
  const PeerScore& score = record(peer, now);
  if (score.banned_until_) return Admission::kBanned;
  if (score.reputation_hundredths_ < kAdmissionReputation) return Admission::kLowReputation;
  return Admission::kAccept;
}

bool PeerBook::banned(const crypto::PublicKey& peer, Time now) {
  return record(peer, now).banned_until_.has_value();
}

std::optional<crypto::PublicKey> PeerBook::prune_candidate(std::span<const crypto::PublicKey> candidates) const {
  std::optional<crypto::PublicKey> worst;
  double worst_health = 0.0;
  for (const crypto::PublicKey& key : candidates) {
    const double health = score(key).health();
    if (!worst || health < worst_health || (health == worst_health && key < *worst)) {
      worst = key;
      worst_health = health;
    }
  }
  return worst;
}

const PeerScore* PeerBook::find(const crypto::PublicKey& peer) const {
  const auto it = peers_.find(peer);
  return it == peers_.end() ? nullptr : &it->second;
}

PeerScore PeerBook::score(const crypto::PublicKey& peer) const {
  const PeerScore* found = find(peer);
  return found ? *found : PeerScore{};
}

}  // namespace bizra::net
