#include "http/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace bizra::http {
namespace {

std::int64_t ceil_seconds(double seconds) { return static_cast<std::int64_t>(std::ceil(std::max(seconds, 0.0))); }

}  // namespace

RateLimiter::RateLimiter(RateLimitConfig config, Clock now)
    : config_(config), now_(std::move(now)) {
  if (!(config.rate_per_second > 0) || !std::isfinite(config.rate_per_second) || config.burst == 0 ||
      config.max_tracked == 0) {
    throw std::invalid_argument("rate limit: rate must be > 0, burst and max_tracked >= 1");
  }
}

void RateLimiter::refill(Bucket& bucket, std::chrono::steady_clock::time_point now) const {
  const std::chrono::duration<double> elapsed = now - bucket.updated;
  if (elapsed.count() > 0) {
    bucket.tokens = std::min<double>(config_.burst, bucket.tokens + elapsed.count() * config_.rate_per_second);
    bucket.updated = now;
  }
}

void RateLimiter::drop_stale(std::chrono::steady_clock::time_point now) {
  while (!lru_.empty()) {
    const Bucket& oldest = lru_.back();
    const std::chrono::duration<double> idle = now - oldest.updated;
    const bool full_again = oldest.tokens + idle.count() * config_.rate_per_second >= config_.burst;
    if (!full_again && lru_.size() < config_.max_tracked) return;
    index_.erase(oldest.ip);
    lru_.pop_back();
  }
}

RateLimiter::Decision RateLimiter::decide(Bucket& bucket) const {
  Decision decision;
  decision.limit = config_.burst;
  decision.allowed = bucket.tokens >= 1;
  if (decision.allowed) bucket.tokens -= 1;
  decision.remaining = static_cast<std::uint32_t>(std::floor(bucket.tokens));
  decision.reset_seconds = ceil_seconds((config_.burst - bucket.tokens) / config_.rate_per_second);
  if (!decision.allowed) {
    decision.retry_after_seconds = std::max<std::int64_t>(1, ceil_seconds((1 - bucket.tokens) / config_.rate_per_second));
  }
  return decision;
}

RateLimiter::Decision RateLimiter::take(std::string_view client_ip) {
  const auto now = now_();
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(client_ip); it != index_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);  // iterators (and the key's view) stay valid
  } else {
    drop_stale(now);
    lru_.push_front(Bucket{std::string(client_ip), static_cast<double>(config_.burst), now});
    index_.emplace(lru_.front().ip, lru_.begin());
  }
  Bucket& bucket = lru_.front();
  refill(bucket, now);
  return decide(bucket);
}

std::size_t RateLimiter::tracked() const {
  std::lock_guard lock(mutex_);
  return lru_.size();
}

void add_rate_limit_headers(Response& response, const RateLimiter::Decision& decision) {
  response.headers.emplace_back("X-RateLimit-Limit", std::to_string(decision.limit));
  response.headers.emplace_back("X-RateLimit-Remaining", std::to_string(decision.remaining));
  response.headers.emplace_back("X-RateLimit-Reset", std::to_string(decision.reset_seconds));
  if (!decision.allowed) response.headers.emplace_back("Retry-After", std::to_string(decision.retry_after_seconds));
}

Response rate_limited(const RateLimiter::Decision& decision) {
  Response response = Response::error(429, code::kRateLimited,
                                      "too many requests; retry after " + std::to_string(decision.retry_after_seconds) + " s");
  add_rate_limit_headers(response, decision);
  return response;
}

}  // namespace bizra::http
