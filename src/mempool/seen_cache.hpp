#pragma once
// Transaction ids seen recently: gossip and resubmissions of a transaction already handled are
// dropped for `ttl` after it was last seen. Bounded twice: entries expire by time, and beyond
// `max_entries` the oldest are forgotten first (a flood of new ids cannot grow it).
//
// Time is an argument (testable, no clock reads). Times are taken as non-decreasing: one earlier
// than a time already given counts as that later time, which keeps the expiry order sorted.
// Not thread-safe: Mempool guards it with its lock.

#include <chrono>
#include <cstddef>
#include <deque>
#include <unordered_map>
#include <utility>

#include "base/bytes.hpp"
#include "base/id_hash.hpp"

namespace bizra::mempool {

using Clock = std::chrono::steady_clock;

class SeenCache {
 public:
  SeenCache(std::chrono::seconds ttl, std::size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {}

  // Marks `id` seen at `now` (again, if it was seen before).
  void insert(const Hash32& id, Clock::time_point now);
  // Whether `id` was seen less than ttl before `now`.
  bool contains(const Hash32& id, Clock::time_point now) const;
  std::size_t size() const { return latest_.size(); }

 private:
  void forget_front();

  std::chrono::seconds ttl_;
  std::size_t max_entries_;
  std::unordered_map<Hash32, Clock::time_point, IdHash> latest_;  // id -> when last seen
  std::deque<std::pair<Clock::time_point, Hash32>> order_;  // every marking, oldest first
  Clock::time_point clock_{};                                // the latest time given
};

}  // namespace bizra::mempool
