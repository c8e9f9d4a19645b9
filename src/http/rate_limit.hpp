#pragma once
// Per-client-IP token buckets (spec/api.md "Limits"). Each IP has a bucket of `burst` tokens that
// refills at `rate_per_second`; a request takes one token or is refused (429 rate_limited).
//
// Memory is bounded: at most `max_tracked` buckets are kept, in least-recently-used order. A
// bucket that has been idle long enough to refill completely is indistinguishable from a new one,
// so such buckets are dropped as soon as they reach the old end; when the cap is reached anyway,
// the least recently used bucket is dropped (that IP starts over with a full bucket, which is the
// price of bounded memory under an address flood, and is documented in docs/http.md).
//
// Thread-safe: one mutex guards the table (each take() is a hash lookup and a list splice).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http/message.hpp"

namespace bizra::http {

namespace code {
inline constexpr std::string_view kRateLimited = "rate_limited";  // 429
}  // namespace code

struct RateLimitConfig {
  double rate_per_second = 10;    // refill rate (> 0)
  std::uint32_t burst = 20;       // bucket size (>= 1)
  std::size_t max_tracked = 100000;  // buckets kept at most (>= 1)
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // A config outside the ranges above is a programming error (std::invalid_argument).
  explicit RateLimiter(RateLimitConfig config, Clock now = std::chrono::steady_clock::now);

  struct Decision {
    bool allowed = false;
    std::uint32_t limit = 0;       // the burst (X-RateLimit-Limit)
    std::uint32_t remaining = 0;   // whole tokens left after this request (X-RateLimit-Remaining)
    std::int64_t reset_seconds = 0;  // until the bucket is full again, rounded up (X-RateLimit-Reset)
    std::int64_t retry_after_seconds = 0;  // until one token is available, rounded up; 0 when allowed
  };

  // Takes one token from `client_ip`'s bucket.
  Decision take(std::string_view client_ip);

  std::size_t tracked() const;

 private:
  struct Bucket {
    std::string ip;
    double tokens;
    std::chrono::steady_clock::time_point updated;
  };
  using Lru = std::list<Bucket>;  // most recently used first

  void refill(Bucket& bucket, std::chrono::steady_clock::time_point now) const;
  void drop_stale(std::chrono::steady_clock::time_point now);
  Decision decide(Bucket& bucket) const;

  const RateLimitConfig config_;
  const Clock now_;
  mutable std::mutex mutex_;
  Lru lru_;
  std::unordered_map<std::string_view, Lru::iterator> index_;  // keys view Bucket::ip
};

// Adds X-RateLimit-Limit/-Remaining/-Reset (and Retry-After when refused) to `response`.
void add_rate_limit_headers(Response& response, const RateLimiter::Decision& decision);

// The 429 answer for a refused decision, with its headers.
Response rate_limited(const RateLimiter::Decision& decision);

}  // namespace bizra::http
