#include "mempool/mempool.hpp"

namespace bizra::mempool {

Mempool::Mempool(Config config) : config_(config), seen_(config.seen_ttl, config.max_seen) {}

Status Mempool::admissible(const chain::CheckedTx& tx, Clock::time_point now) const {
  if (index_.count(tx.id) != 0 || seen_.contains(tx.id, now))
    return Error("duplicate", "transaction already pending or seen recently");
  if (tx.replay_key && replay_keys_.count(*tx.replay_key) != 0)
    return Error("replay", "another pending attestation uses the same attester and nonce");
  if (index_.size() >= config_.max_transactions || tx.encoded.size() > config_.max_bytes - bytes_)
    return Error("mempool_full", "the mempool holds " + std::to_string(index_.size()) + " transactions of " +
                                     std::to_string(bytes_) + " bytes");
  return ok_status();
}

Status Mempool::add(chain::CheckedTx tx, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  BIZRA_TRY(admissible(tx, now));
  const Hash32 id = tx.id;
  const std::uint8_t priority = tx.priority;
  if (tx.replay_key) replay_keys_.emplace(*tx.replay_key, id);
  bytes_ += tx.encoded.size();
  Queue& queue = queues_[priority];
  queue.push_back(std::move(tx));
  index_.emplace(id, Location{priority, std::prev(queue.end())});
  seen_.insert(id, now);
  return ok_status();
}

bool Mempool::seen(const Hash32& id, Clock::time_point now) const {
  const std::lock_guard lock(mutex_);
  return index_.count(id) != 0 || seen_.contains(id, now);
}

std::vector<Bytes> Mempool::batch(std::size_t max_txs, std::size_t max_bytes) const {
  const std::lock_guard lock(mutex_);
  std::vector<Bytes> out;
  std::size_t used = chain::payload_size(0, 0);
  std::size_t skipped = 0;
  for (const auto& [priority, queue] : queues_) {
    for (const auto& tx : queue) {
      if (out.size() >= max_txs || skipped >= kMaxSkipped || used > max_bytes) return out;
      const std::size_t need = chain::kPayloadFramingBytes + tx.encoded.size();
      if (need > max_bytes - used) {
        ++skipped;
        continue;
      }
      out.push_back(tx.encoded);
      used += need;
      skipped = 0;
    }
  }
  return out;
}

void Mempool::remove(Index::iterator entry) {
  const Location& location = entry->second;
  const chain::CheckedTx& tx = *location.position;
  if (tx.replay_key) replay_keys_.erase(*tx.replay_key);
  bytes_ -= tx.encoded.size();
  queues_[location.priority].erase(location.position);
  index_.erase(entry);
}

void Mempool::on_commit(std::span<const Hash32> committed,
                        const std::function<bool(const chain::CheckedTx&)>& still_valid, Clock::time_point now) {
  const std::lock_guard lock(mutex_);
  for (const Hash32& id : committed) {
    if (const auto entry = index_.find(id); entry != index_.end()) remove(entry);
    seen_.insert(id, now);
  }
  if (!still_valid) return;
  for (auto& [priority, queue] : queues_) {
    for (auto it = queue.begin(); it != queue.end();) {
      const auto current = it++;  // remove() invalidates `current` only
      if (!still_valid(*current)) remove(index_.find(current->id));
    }
  }
}

std::size_t Mempool::size() const {
  const std::lock_guard lock(mutex_);
  return index_.size();
}

bool Mempool::full(std::size_t bytes) const {
  const std::lock_guard lock(mutex_);
  return index_.size() >= config_.max_transactions || bytes > config_.max_bytes - bytes_;
}

std::size_t Mempool::bytes() const {
  const std::lock_guard lock(mutex_);
  return bytes_;
}

bool Mempool::contains(const Hash32& id) const {
  const std::lock_guard lock(mutex_);
  return index_.count(id) != 0;
}

std::optional<chain::CheckedTx> Mempool::get(const Hash32& id) const {
  const std::lock_guard lock(mutex_);
  const auto entry = index_.find(id);
  if (entry == index_.end()) return std::nullopt;
  return *entry->second.position;
}

}  // namespace bizra::mempool
