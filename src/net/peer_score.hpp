#pragma once
// Peer scoring (docs/network.md, "Scoring"): a pure, clock-injected record of how each known
// peer has behaved. The Host consults it to admit, ban and prune connections.
//
//   quality     starts 0.5; on connect q = (q + 1) / 2, on disconnect q = q / 2
//   reputation  starts 0.5; +0.01 per good message (cap 1), -0.05 per bad one (floor 0)
//   health      (quality + reputation) / 2
//   failures    failed handshakes, bad frames, connection errors
//
// A peer below reputation 0.3 is refused; one with reputation < 0.1 and more than 10 failures is
// banned for 24 hours, after which its record starts over (a fresh 0.5 / 0.5 / 0), since an
// expired ban over an unchanged record would be refused again at once.
//
// Reputation is kept as an integer number of hundredths, so the thresholds are exact (0.5 - 4 ×
// 0.05 is exactly 0.3, not 0.29999999999999993). Quality only halves and averages with 1, which
// binary doubles represent exactly for the first 50-odd steps.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>

#include "crypto/ed25519.hpp"

namespace bizra::net {

using Time = std::chrono::steady_clock::time_point;

inline constexpr int kInitialReputation = 50;        // hundredths
inline constexpr int kMaxReputation = 100;
inline constexpr int kGoodMessageReward = 1;
inline constexpr int kBadMessagePenalty = 5;
inline constexpr int kAdmissionReputation = 30;      // below: connections refused
inline constexpr int kBanReputation = 10;            // below, together with ...
inline constexpr std::uint64_t kBanFailures = 10;    // ... more failures than this: banned
inline constexpr std::chrono::hours kBanDuration{24};
inline constexpr double kInitialQuality = 0.5;

class PeerScore {
 public:
  double quality() const { return quality_; }
  double reputation() const { return reputation_hundredths_ / 100.0; }
  int reputation_hundredths() const { return reputation_hundredths_; }
  double health() const { return (quality() + reputation()) / 2.0; }
  std::uint64_t failures() const { return failures_; }
  std::optional<Time> banned_until() const { return banned_until_; }

 private:
  friend class PeerBook;
  double quality_ = kInitialQuality;
  int reputation_hundredths_ = kInitialReputation;
  std::uint64_t failures_ = 0;
  std::optional<Time> banned_until_;
};

enum class Admission { kAccept, kLowReputation, kBanned };

// The records of every peer the Host knows. Only the Host's allowed keys are ever entered, so
// its size is bounded by configuration, not by what strangers send.
class PeerBook {
 public:
  // Each event creates the peer's record on first use. Calls that take `now` first apply a ban
  // that expired by then.
  void on_connect(const crypto::PublicKey& peer);
  void on_disconnect(const crypto::PublicKey& peer);
  void on_good_message(const crypto::PublicKey& peer, Time now);
  void on_bad_message(const crypto::PublicKey& peer, Time now);
  void on_failure(const crypto::PublicKey& peer, Time now);

  Admission admit(const crypto::PublicKey& peer, Time now);
  bool banned(const crypto::PublicKey& peer, Time now);

  // The connection to close when there are too many: the lowest health among `candidates`,
  // ties broken by the lowest key (deterministic). nullopt when `candidates` is empty.
  std::optional<crypto::PublicKey> prune_candidate(std::span<const crypto::PublicKey> candidates) const;

  // The record, or nullptr for a peer never seen (whose score would be the initial one).
  const PeerScore* find(const crypto::PublicKey& peer) const;
  PeerScore score(const crypto::PublicKey& peer) const;  // the record, or a fresh one

 private:
  PeerScore& record(const crypto::PublicKey& peer, Time now);
  static void update_ban(PeerScore& score, Time now);

  std::map<crypto::PublicKey, PeerScore> peers_;
};

}  // namespace bizra::net
