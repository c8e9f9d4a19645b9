#include "mempool/seen_cache.hpp"

#include <algorithm>

namespace bizra::mempool {

void SeenCache::insert(const Hash32& id, Clock::time_point now) {
  clock_ = std::max(clock_, now);
  while (!order_.empty() && order_.front().first + ttl_ <= clock_) forget_front();
  auto [it, inserted] = latest_.try_emplace(id, clock_);
  if (!inserted) {
    if (it->second == clock_) return;  // already marked at this time: no second queue entry
    it->second = clock_;
  }
  order_.emplace_back(clock_, id);
  while (order_.size() > max_entries_) forget_front();
}

bool SeenCache::contains(const Hash32& id, Clock::time_point now) const {
  const auto it = latest_.find(id);
  return it != latest_.end() && std::max(clock_, now) - it->second < ttl_;
}

// An id marked again later has a newer queue entry; only its latest one removes it.
void SeenCache::forget_front() {
  const auto& [when, id] = order_.front();
  if (const auto it = latest_.find(id); it != latest_.end() && it->second == when) latest_.erase(it);
  order_.pop_front();
}

}  // namespace bizra::mempool
