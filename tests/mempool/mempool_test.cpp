// The mempool: bounds, dedupe and the seen-id TTL, replay keys, proposal order, pruning after a
// commit, and concurrent use (run under the tsan preset too).

#include "mempool/mempool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "chain/transaction.hpp"
#include "codec/binary.hpp"
#include "crypto/blake3.hpp"

namespace bizra::mempool {
namespace {

using std::chrono::seconds;

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1);

Hash32 id_of(std::uint64_t n) { return crypto::blake3(codec::Writer().u64(n).data()); }

// A pending transaction as the mempool sees it: `size` bytes of encoding whose first 8 bytes
// name it, so batches can be read back.
chain::CheckedTx tx(std::uint64_t n, std::uint8_t priority = chain::kPriorityAttestation, std::size_t size = 16) {
  chain::CheckedTx out;
  out.id = id_of(n);
  out.kind = chain::TxKind::kBenchOpaque;
  out.encoded = codec::Writer().u64(n).data();
  out.encoded.resize(std::max<std::size_t>(size, 8));
  out.priority = priority;
  return out;
}

chain::CheckedTx attestation(std::uint64_t n, std::string nonce) {
  chain::CheckedTx out = tx(n);
  out.kind = chain::TxKind::kAttestation;
  out.replay_key = chain::ReplayKey{crypto::PublicKey{crypto::blake3("attester")}, std::move(nonce)};
  return out;
}

std::uint64_t number_of(const Bytes& encoded) {
  codec::Reader r(ByteSpan(encoded).first(8));
  return r.u64("n");
}

std::vector<std::uint64_t> numbers(const std::vector<Bytes>& batch) {
  std::vector<std::uint64_t> out;
  for (const auto& encoded : batch) out.push_back(number_of(encoded));
  return out;
}

std::string_view code_of(const Status& status) { return status.ok() ? std::string_view("ok") : status.error().code(); }

const auto kKeepAll = [](const chain::CheckedTx&) { return true; };

TEST(Mempool, BoundsTheCount) {
  Mempool pool(Config{.max_transactions = 3});
  for (std::uint64_t n = 0; n < 3; ++n) ASSERT_TRUE(pool.add(tx(n), kT0).ok());
  EXPECT_EQ(code_of(pool.add(tx(3), kT0)), "mempool_full");
  EXPECT_EQ(pool.size(), 3u);
  const Hash32 committed[] = {id_of(0)};
  pool.on_commit(committed, kKeepAll, kT0);
  EXPECT_TRUE(pool.add(tx(3), kT0).ok());
}

TEST(Mempool, CommitWithoutAPredicateRemovesOnlyTheCommitted) {
  Mempool pool;
  for (std::uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(pool.add(tx(i), kT0).ok());
  const Hash32 committed[] = {id_of(1)};
  pool.on_commit(committed, {}, kT0);
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_FALSE(pool.contains(id_of(1)));
  EXPECT_TRUE(pool.seen(id_of(1), kT0));  // committed: no longer pending, still seen
  EXPECT_TRUE(pool.contains(id_of(0)));
  EXPECT_FALSE(pool.get(id_of(1)).has_value());
  EXPECT_TRUE(pool.get(id_of(0)).has_value());
  EXPECT_TRUE(pool.get(id_of(2)).has_value());
}

TEST(Mempool, BoundsTheBytes) {
  Mempool pool(Config{.max_bytes = 100});
  EXPECT_FALSE(pool.full(100));
  EXPECT_TRUE(pool.full(101));
  ASSERT_TRUE(pool.add(tx(0, 1, 60), kT0).ok());
  EXPECT_FALSE(pool.full(40));
  EXPECT_TRUE(pool.full(41));
  EXPECT_EQ(code_of(pool.add(tx(1, 1, 41), kT0)), "mempool_full");
  EXPECT_TRUE(pool.add(tx(2, 1, 40), kT0).ok());
  EXPECT_EQ(pool.bytes(), 100u);
  EXPECT_EQ(code_of(pool.add(tx(3, 1, 1), kT0)), "mempool_full");
  // A full pool still answers "duplicate" for what it has.
  EXPECT_EQ(code_of(pool.add(tx(0, 1, 60), kT0)), "duplicate");
}

TEST(Mempool, DedupesPendingAndRecentlySeenIds) {
  Mempool pool(Config{.seen_ttl = seconds(60)});
  ASSERT_TRUE(pool.add(tx(1), kT0).ok());
  EXPECT_EQ(code_of(pool.add(tx(1), kT0)), "duplicate");
  EXPECT_TRUE(pool.seen(id_of(1), kT0));
  EXPECT_FALSE(pool.seen(id_of(2), kT0));

  // Committed: gone from the pool, still seen until the TTL runs out (counted from the commit).
  const Hash32 committed[] = {id_of(1), id_of(2)};
  pool.on_commit(committed, kKeepAll, kT0 + seconds(30));
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_FALSE(pool.get(id_of(1)).has_value());
  EXPECT_TRUE(pool.seen(id_of(1), kT0 + seconds(89)));
  EXPECT_TRUE(pool.seen(id_of(2), kT0 + seconds(89)));  // committed elsewhere, never pending here
  EXPECT_EQ(code_of(pool.add(tx(1), kT0 + seconds(89))), "duplicate");
  EXPECT_FALSE(pool.seen(id_of(1), kT0 + seconds(90)));
  EXPECT_TRUE(pool.add(tx(1), kT0 + seconds(90)).ok());
}

TEST(Mempool, RefusesASecondPendingUseOfAReplayKey) {
  Mempool pool;
  ASSERT_TRUE(pool.add(attestation(1, "n1"), kT0).ok());
  EXPECT_EQ(code_of(pool.add(attestation(2, "n1"), kT0)), "replay");
  EXPECT_TRUE(pool.add(attestation(3, "n2"), kT0).ok());
  const Hash32 committed[] = {id_of(1)};
  pool.on_commit(committed, kKeepAll, kT0);
  // The key is free again in the pool (execution, and the caller's still_valid, judge replays
  // against the state).
  EXPECT_TRUE(pool.add(attestation(2, "n1"), kT0).ok());
}

TEST(Mempool, BatchesByPriorityThenArrival) {
  Mempool pool;
  ASSERT_TRUE(pool.add(tx(1, chain::kPriorityBench), kT0).ok());
  ASSERT_TRUE(pool.add(tx(2, chain::kPriorityAttestation), kT0).ok());
  ASSERT_TRUE(pool.add(tx(3, chain::kPriorityConsensus), kT0).ok());
  ASSERT_TRUE(pool.add(tx(4, chain::kPriorityAttestation), kT0).ok());
  ASSERT_TRUE(pool.add(tx(5, chain::kPriorityBench), kT0).ok());
  ASSERT_TRUE(pool.add(tx(6, chain::kPriorityConsensus), kT0).ok());
  EXPECT_EQ(numbers(pool.batch(100, 1 << 20)), (std::vector<std::uint64_t>{3, 6, 2, 4, 1, 5}));
  EXPECT_EQ(numbers(pool.batch(3, 1 << 20)), (std::vector<std::uint64_t>{3, 6, 2}));
  EXPECT_EQ(pool.size(), 6u);  // batch() removes nothing
  EXPECT_TRUE(pool.batch(0, 1 << 20).empty());
}

TEST(Mempool, BatchFitsThePayloadLimit) {
  Mempool pool;
  ASSERT_TRUE(pool.add(tx(1, 1, 100), kT0).ok());
  ASSERT_TRUE(pool.add(tx(2, 1, 500), kT0).ok());
  ASSERT_TRUE(pool.add(tx(3, 1, 50), kT0).ok());
  const std::size_t exact = chain::payload_size(2, 100 + 500);
  const auto full = pool.batch(10, exact);
  EXPECT_EQ(numbers(full), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(chain::encode_payload(full).size(), exact);
  // One byte less: the 500-byte one waits, the later 50-byte one fits.
  EXPECT_EQ(numbers(pool.batch(10, exact - 1)), (std::vector<std::uint64_t>{1, 3}));
  EXPECT_TRUE(pool.batch(10, chain::payload_size(0, 0)).empty());
  EXPECT_TRUE(pool.batch(10, 0).empty());
}

TEST(Mempool, BatchGivesUpAfterABoundedRunOfMisfits) {
  Mempool pool;
  for (std::uint64_t n = 0; n < Mempool::kMaxSkipped; ++n) ASSERT_TRUE(pool.add(tx(n, 1, 1000), kT0).ok());
  ASSERT_TRUE(pool.add(tx(1000, 1, 10), kT0).ok());
  EXPECT_TRUE(pool.batch(10, chain::payload_size(1, 100)).empty());
}

TEST(Mempool, OnCommitPrunesWithThePredicate) {
  Mempool pool;
  for (std::uint64_t n = 0; n < 10; ++n) ASSERT_TRUE(pool.add(tx(n, static_cast<std::uint8_t>(n % 3)), kT0).ok());
  const Hash32 committed[] = {id_of(0), id_of(1)};
  std::size_t asked = 0;
  pool.on_commit(
      committed,
      [&](const chain::CheckedTx& t) {
        ++asked;
        return number_of(t.encoded) % 2 == 0;  // odd ones became invalid
      },
      kT0);
  EXPECT_EQ(asked, 8u);  // every remaining transaction, once
  EXPECT_EQ(numbers(pool.batch(100, 1 << 20)), (std::vector<std::uint64_t>{2, 8, 4, 6}));
  EXPECT_EQ(pool.size(), 4u);
  EXPECT_EQ(pool.bytes(), 4u * 16);
  EXPECT_FALSE(pool.get(id_of(3)).has_value());
  ASSERT_TRUE(pool.get(id_of(4)).has_value());
  EXPECT_EQ(pool.get(id_of(4))->encoded, tx(4).encoded);
}

TEST(Mempool, PrunedReplayKeysAreReleased) {
  Mempool pool;
  ASSERT_TRUE(pool.add(attestation(1, "n1"), kT0).ok());
  pool.on_commit({}, [](const chain::CheckedTx&) { return false; }, kT0);
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_TRUE(pool.add(attestation(2, "n1"), kT0).ok());
}

TEST(SeenCache, ExpiresByTimeAndStaysBounded) {
  SeenCache cache(seconds(10), 3);
  cache.insert(id_of(1), kT0);
  cache.insert(id_of(2), kT0 + seconds(1));
  EXPECT_TRUE(cache.contains(id_of(1), kT0 + seconds(9)));
  EXPECT_FALSE(cache.contains(id_of(1), kT0 + seconds(10)));
  cache.insert(id_of(3), kT0 + seconds(2));
  cache.insert(id_of(4), kT0 + seconds(3));  // beyond 3 entries: the oldest goes
  EXPECT_FALSE(cache.contains(id_of(1), kT0 + seconds(3)));
  EXPECT_TRUE(cache.contains(id_of(2), kT0 + seconds(3)));
  EXPECT_EQ(cache.size(), 3u);
  cache.insert(id_of(5), kT0 + seconds(12));  // expires 2 and 3 (seen at +1, +2)
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_FALSE(cache.contains(id_of(3), kT0 + seconds(12)));
  EXPECT_TRUE(cache.contains(id_of(4), kT0 + seconds(12)));
}

TEST(SeenCache, SeeingAgainExtendsTheTtl) {
  SeenCache cache(seconds(10), 100);
  cache.insert(id_of(1), kT0);
  cache.insert(id_of(1), kT0 + seconds(8));
  cache.insert(id_of(2), kT0 + seconds(11));  // drops the first marking of 1, not 1 itself
  EXPECT_TRUE(cache.contains(id_of(1), kT0 + seconds(17)));
  EXPECT_FALSE(cache.contains(id_of(1), kT0 + seconds(18)));
}

TEST(SeenCache, TimeNeverRunsBackwards) {
  SeenCache cache(seconds(10), 100);
  cache.insert(id_of(1), kT0 + seconds(20));
  cache.insert(id_of(2), kT0);  // counts as +20
  EXPECT_TRUE(cache.contains(id_of(2), kT0 + seconds(29)));
  EXPECT_FALSE(cache.contains(id_of(2), kT0 + seconds(30)));
}

TEST(Mempool, ConcurrentAddBatchAndCommit) {
  constexpr std::uint64_t kAdders = 4;
  constexpr std::uint64_t kPerAdder = 500;
  Mempool pool;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> adders;
  for (std::uint64_t a = 0; a < kAdders; ++a) {
    adders.emplace_back([&, a] {
      for (std::uint64_t i = 0; i < kPerAdder; ++i) {
        const std::uint64_t n = a * kPerAdder + i;
        if (pool.add(tx(n, static_cast<std::uint8_t>(n % 3)), kT0).ok()) accepted.fetch_add(1);
        (void)pool.seen(id_of(n), kT0);
      }
    });
  }
  // The consensus thread: takes batches and commits them until the adders are done and the
  // pool is empty.
  std::uint64_t committed = 0;
  std::thread consensus([&] {
    while (!done.load() || pool.size() > 0) {
      std::vector<Hash32> ids;
      for (const auto& encoded : pool.batch(64, 1 << 20)) ids.push_back(id_of(number_of(encoded)));
      committed += ids.size();
      pool.on_commit(ids, kKeepAll, kT0);
      std::this_thread::yield();
    }
  });
  for (auto& t : adders) t.join();
  done.store(true);
  consensus.join();
  EXPECT_EQ(accepted.load(), kAdders * kPerAdder);
  EXPECT_EQ(committed, accepted.load());
  EXPECT_EQ(pool.size(), 0u);
  EXPECT_EQ(pool.bytes(), 0u);
  for (std::uint64_t n = 0; n < kAdders * kPerAdder; n += 97) EXPECT_TRUE(pool.seen(id_of(n), kT0));
}

}  // namespace
}  // namespace bizra::mempool
