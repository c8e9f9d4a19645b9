#pragma once
// The pool of admitted transactions waiting for a block (docs/transactions.md, "Mempool").
//
// Transactions arrive already checked (chain::check_transaction): the pool only keeps them,
// bounded, deduplicated and in proposal order.
//   - Bounds: at most max_transactions and max_bytes (sum of encodings) pending; beyond either,
//     add() fails "mempool_full" (the API answers 503) — no eviction, so a flood cannot push out
//     what is already queued.
//   - Dedupe: an id pending, or seen within seen_ttl (added, or committed, before), is a
//     "duplicate"; an attestation whose replay key (pubkey, nonce) another pending transaction
//     holds is a "replay" (only one of them could ever execute).
//   - Order: highest priority first, first come first served within a priority.
//
// Thread-safe: API threads add; the consensus thread takes batches and prunes after commits.
// One mutex guards everything; every operation is O(1) expected per transaction touched (ids
// are in hash tables keyed by a per-process secret: base/id_hash.hpp), and batch()
// touches only what it returns (plus a bounded number it skips).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "base/id_hash.hpp"
#include "chain/check.hpp"
#include "mempool/seen_cache.hpp"

namespace bizra::mempool {

struct Config {
  std::size_t max_transactions = 100'000;
  std::size_t max_bytes = 64 << 20;
  std::chrono::seconds seen_ttl{600};
  std::size_t max_seen = 1'000'000;
};

class Mempool {
 public:
  explicit Mempool(Config config = {});

  // Errors: "duplicate" (pending, or seen within seen_ttl), "replay" (another pending transaction
  // has the same replay key), "mempool_full" (count or bytes).
  Status add(chain::CheckedTx tx, Clock::time_point now);

  // Gossip dedupe: pending, or seen within seen_ttl.
  bool seen(const Hash32& id, Clock::time_point now) const;

  // A proposal's transactions: highest priority first, FIFO within a priority, at most `max_txs`,
  // and such that chain::encode_payload of the result is at most `max_bytes` (so the caller
  // passes the genesis limits as they are). A transaction that does not fit in the bytes left is
  // passed over for later, smaller ones; the scan stops after kMaxSkipped such in a row. Does
  // not remove anything: the transactions leave when a commit includes them.
  std::vector<Bytes> batch(std::size_t max_txs, std::size_t max_bytes) const;
  static constexpr std::size_t kMaxSkipped = 64;

  // After a commit: removes the committed ids (and remembers them as seen at `now`, so late
  // gossip of them is dropped), then every pending transaction for which still_valid is false
  // (a nonce the block consumed, ...). still_valid runs under the pool's lock: it must not call
  // back into the pool. It visits every pending transaction, so callers pass an empty function
  // when the commit cannot have invalidated any (every committed one was pending here).
  void on_commit(std::span<const Hash32> committed, const std::function<bool(const chain::CheckedTx&)>& still_valid,
                 Clock::time_point now);

  std::size_t size() const;
  std::size_t bytes() const;
  // No room for another transaction of `bytes` bytes: callers refuse before doing the expensive
  // checks (signature verification), so an overloaded node spends its CPU on consensus.
  bool full(std::size_t bytes) const;
  std::optional<chain::CheckedTx> get(const Hash32& id) const;
  bool contains(const Hash32& id) const;  // pending (unlike seen(): not the recently committed)

 private:
  using Queue = std::list<chain::CheckedTx>;
  struct Location {
    std::uint8_t priority;
    Queue::iterator position;
  };

  Status admissible(const chain::CheckedTx& tx, Clock::time_point now) const;
  using Index = std::unordered_map<Hash32, Location, IdHash>;
  void remove(Index::iterator entry);

  const Config config_;
  mutable std::mutex mutex_;
  std::map<std::uint8_t, Queue, std::greater<>> queues_;  // by priority, highest first
  Index index_;                                           // id -> where it is queued
  std::map<chain::ReplayKey, Hash32> replay_keys_;        // of pending attestations
  std::size_t bytes_ = 0;
  SeenCache seen_;
};

}  // namespace bizra::mempool
