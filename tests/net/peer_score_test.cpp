// Peer scoring (src/net/peer_score.hpp) and reconnect back-off (src/net/backoff.hpp): the exact
// formulas, admission, the ban and its 24-hour expiry on an injected clock, pruning order.

#include "net/peer_score.hpp"

#include <gtest/gtest.h>

#include "net/backoff.hpp"

namespace bizra::net {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

crypto::PublicKey key(std::uint8_t b) {
  crypto::PublicKey k;
  k.bytes.bytes.fill(b);
  return k;
}

const Time kT0 = Time{} + hours(1000);

TEST(PeerScore, StartsAtOneHalf) {
  const PeerScore s = PeerBook().score(key(1));
  EXPECT_EQ(s.quality(), 0.5);
  EXPECT_EQ(s.reputation(), 0.5);
  EXPECT_EQ(s.health(), 0.5);
  EXPECT_EQ(s.failures(), 0u);
  EXPECT_FALSE(s.banned_until());
}

TEST(PeerScore, QualityMovesHalfwayOnConnectAndHalvesOnDisconnect) {
  PeerBook book;
  book.on_connect(key(1));
  EXPECT_EQ(book.score(key(1)).quality(), 0.75);
  book.on_connect(key(1));
  EXPECT_EQ(book.score(key(1)).quality(), 0.875);
  book.on_disconnect(key(1));
  EXPECT_EQ(book.score(key(1)).quality(), 0.4375);
  book.on_disconnect(key(1));
  EXPECT_EQ(book.score(key(1)).quality(), 0.21875);
  EXPECT_EQ(book.score(key(1)).health(), (0.21875 + 0.5) / 2);
}

TEST(PeerScore, ReputationStepsAndBounds) {
  PeerBook book;
  book.on_good_message(key(1), kT0);
  EXPECT_EQ(book.score(key(1)).reputation_hundredths(), 51);
  EXPECT_DOUBLE_EQ(book.score(key(1)).reputation(), 0.51);
  for (int i = 0; i < 100; ++i) book.on_good_message(key(1), kT0);
  EXPECT_EQ(book.score(key(1)).reputation(), 1.0);  // capped
  book.on_bad_message(key(1), kT0);
  EXPECT_DOUBLE_EQ(book.score(key(1)).reputation(), 0.95);
  for (int i = 0; i < 100; ++i) book.on_bad_message(key(1), kT0);
  EXPECT_EQ(book.score(key(1)).reputation(), 0.0);  // floored
}

TEST(PeerScore, RefusedBelowPointThree) {
  PeerBook book;
  for (int i = 0; i < 4; ++i) book.on_bad_message(key(1), kT0);
  EXPECT_EQ(book.score(key(1)).reputation_hundredths(), 30);  // exactly 0.3: still admitted
  EXPECT_EQ(book.admit(key(1), kT0), Admission::kAccept);
  book.on_bad_message(key(1), kT0);
  EXPECT_EQ(book.admit(key(1), kT0), Admission::kLowReputation);
  book.on_good_message(key(1), kT0);
  EXPECT_EQ(book.admit(key(1), kT0), Admission::kLowReputation);  // 0.26
  EXPECT_EQ(book.admit(key(2), kT0), Admission::kAccept);           // a stranger starts at 0.5
}

// Reputation 0.05 (9 bad messages) and `failures` failures.
PeerBook low_reputation_peer(std::uint64_t failures) {
  PeerBook book;
  for (int i = 0; i < 9; ++i) book.on_bad_message(key(1), kT0);
  for (std::uint64_t i = 0; i < failures; ++i) book.on_failure(key(1), kT0);
  return book;
}

TEST(PeerScore, BanNeedsLowReputationAndMoreThanTenFailures) {
  PeerBook ten = low_reputation_peer(10);
  EXPECT_FALSE(ten.banned(key(1), kT0));
  EXPECT_EQ(ten.admit(key(1), kT0), Admission::kLowReputation);

  PeerBook eleven = low_reputation_peer(11);
  EXPECT_TRUE(eleven.banned(key(1), kT0));
  EXPECT_EQ(eleven.admit(key(1), kT0), Admission::kBanned);
  EXPECT_EQ(eleven.score(key(1)).banned_until(), kT0 + hours(24));

  PeerBook good_but_failing;  // many failures, reputation 0.5: no ban
  for (int i = 0; i < 50; ++i) good_but_failing.on_failure(key(1), kT0);
  EXPECT_FALSE(good_but_failing.banned(key(1), kT0));

  PeerBook reputation_exactly_point_one;  // 8 bad: 0.10 is not < 0.1
  for (int i = 0; i < 8; ++i) reputation_exactly_point_one.on_bad_message(key(1), kT0);
  for (int i = 0; i < 20; ++i) reputation_exactly_point_one.on_failure(key(1), kT0);
  EXPECT_FALSE(reputation_exactly_point_one.banned(key(1), kT0));
  reputation_exactly_point_one.on_bad_message(key(1), kT0);  // the bad message itself can ban
  EXPECT_TRUE(reputation_exactly_point_one.banned(key(1), kT0));
}

TEST(PeerScore, BanExpiresAfterTwentyFourHoursWithAFreshRecord) {
  PeerBook book = low_reputation_peer(11);
  EXPECT_TRUE(book.banned(key(1), kT0 + hours(24) - milliseconds(1)));
  book.on_failure(key(1), kT0 + hours(23));  // failures while banned do not extend the ban
  EXPECT_TRUE(book.banned(key(1), kT0 + hours(24) - milliseconds(1)));
  EXPECT_FALSE(book.banned(key(1), kT0 + hours(24)));
  const PeerScore fresh = book.score(key(1));
  EXPECT_EQ(fresh.reputation(), 0.5);
  EXPECT_EQ(fresh.failures(), 0u);
  EXPECT_EQ(book.admit(key(1), kT0 + hours(24)), Admission::kAccept);
}

TEST(PeerScore, PruneLowestHealthThenLowestKey) {
  PeerBook book;
  const std::vector<crypto::PublicKey> peers{key(3), key(1), key(2)};
  EXPECT_EQ(book.prune_candidate(peers), key(1));  // all 0.5: lowest key
  book.on_connect(key(1));                          // key 1: health 0.625
  EXPECT_EQ(book.prune_candidate(peers), key(2));
  book.on_bad_message(key(3), kT0);                 // key 3: health 0.475
  EXPECT_EQ(book.prune_candidate(peers), key(3));
  book.on_disconnect(key(2));                       // key 2: quality 0.25, health 0.375
  EXPECT_EQ(book.prune_candidate(peers), key(2));
  EXPECT_FALSE(book.prune_candidate({}));
}

TEST(Backoff, DoublesFromMinToMaxWithJitterInTheUpperHalf) {
  const milliseconds min(100), max(5000);
  for (const double unit : {0.0, 0.5, 0.999}) EXPECT_EQ(backoff_delay(0, min, max, unit), min);
  EXPECT_EQ(backoff_delay(1, min, max, 0.0), milliseconds(100));
  EXPECT_EQ(backoff_delay(1, min, max, 0.5), milliseconds(150));
  EXPECT_EQ(backoff_delay(3, min, max, 0.0), milliseconds(400));
  EXPECT_EQ(backoff_delay(3, min, max, 0.999), milliseconds(799));
  EXPECT_EQ(backoff_delay(6, min, max, 0.0), milliseconds(2500));  // ceiling capped at 5000
  EXPECT_EQ(backoff_delay(1000, min, max, 1.0), max);
  EXPECT_EQ(backoff_delay(5, milliseconds(300), milliseconds(300), 0.0), milliseconds(300));
}

}  // namespace
}  // namespace bizra::net
