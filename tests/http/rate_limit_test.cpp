// RateLimiter (src/http/rate_limit.hpp) with an injected clock: bursts, refill, separate IPs,
// bounded tracking, idle expiry, headers, and many threads at once (run under TSan too).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http/rate_limit.hpp"

namespace bizra::http {
namespace {

using namespace std::chrono_literals;

struct ManualClock {
  std::chrono::steady_clock::time_point now{};
  RateLimiter::Clock fn() {
    return [this] { return now; };
  }
};

std::optional<std::string> header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

TEST(RateLimiter, BurstThenRefuseThenRefill) {
  ManualClock clock;
  RateLimiter limiter({.rate_per_second = 1, .burst = 3}, clock.fn());
  for (std::uint32_t left : {2u, 1u, 0u}) {
    const auto d = limiter.take("10.0.0.1");
    EXPECT_TRUE(d.allowed);
    EXPECT_EQ(d.limit, 3u);
    EXPECT_EQ(d.remaining, left);
  }
  auto refused = limiter.take("10.0.0.1");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0u);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  EXPECT_EQ(refused.reset_seconds, 3);

  clock.now += 500ms;  // half a token: still refused, retry after ceil(0.5) = 1 s
  refused = limiter.take("10.0.0.1");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after_seconds, 1);
  clock.now += 500ms;
  EXPECT_TRUE(limiter.take("10.0.0.1").allowed);
  EXPECT_FALSE(limiter.take("10.0.0.1").allowed);

  clock.now += 1h;  // refills to the burst, never beyond
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.take("10.0.0.1").allowed);
  EXPECT_FALSE(limiter.take("10.0.0.1").allowed);
}

TEST(RateLimiter, SlowRateRoundsRetryAfterUp) {
  ManualClock clock;
  RateLimiter limiter({.rate_per_second = 0.1, .burst = 1}, clock.fn());
  EXPECT_TRUE(limiter.take("a").allowed);
  const auto d = limiter.take("a");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after_seconds, 10);
  clock.now += 2500ms;
  EXPECT_EQ(limiter.take("a").retry_after_seconds, 8);  // 7.5 s rounded up
}

TEST(RateLimiter, SeparateIpsHaveSeparateBuckets) {
  ManualClock clock;
  RateLimiter limiter({.rate_per_second = 1, .burst = 2}, clock.fn());
  EXPECT_TRUE(limiter.take("10.0.0.1").allowed);
  EXPECT_TRUE(limiter.take("10.0.0.1").allowed);
  EXPECT_FALSE(limiter.take("10.0.0.1").allowed);
  EXPECT_TRUE(limiter.take("10.0.0.2").allowed);
  EXPECT_TRUE(limiter.take("::1").allowed);
  EXPECT_EQ(limiter.tracked(), 3u);
}

TEST(RateLimiter, TrackingIsBoundedUnderManyIps) {
  ManualClock clock;
  RateLimiter limiter({.rate_per_second = 1, .burst = 2, .max_tracked = 100}, clock.fn());
  EXPECT_TRUE(limiter.take("victim").allowed);
  EXPECT_TRUE(limiter.take("victim").allowed);
  EXPECT_FALSE(limiter.take("victim").allowed);
  for (int i = 0; i < 10000; ++i) {
    EXPECT_TRUE(limiter.take("10.1." + std::to_string(i / 256) + "." + std::to_string(i % 256)).allowed);
    ASSERT_LE(limiter.tracked(), 100u);
  }
  EXPECT_EQ(limiter.tracked(), 100u);
  // The least recently used bucket was evicted: that IP starts over (the documented trade-off).
  EXPECT_TRUE(limiter.take("victim").allowed);
}

TEST(RateLimiter, RecentlyUsedBucketsSurviveEviction) {
  ManualClock clock;
  RateLimiter limiter({.rate_per_second = 1, .burst = 1, .max_tracked = 3}, clock.fn());
  EXPECT_TRUE(limiter.take("a").allowed);
  EXPECT_TRUE(limiter.take("b").allowed);
  EXPECT_TRUE(limiter.take("c").allowed);
  EXPECT_FALSE(limiter.take("a").allowed);  // a is now the most recent, b the least
  EXPECT_TRUE(limiter.take("d").allowed);   // evicts b
  EXPECT_FALSE(limiter.take("a").allowed);  // a kept its empty bucket
  EXPECT_TRUE(limiter.take("b").allowed);   // b starts over
}

TEST(RateLimiter, IdleFullBucketsAreDropped) {
  ManualClock clock;
  RateLimiter limiter({.rate_per_second = 1, .burst = 5}, clock.fn());
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(limiter.take("ip" + std::to_string(i)).allowed);
  EXPECT_EQ(limiter.tracked(), 50u);
  clock.now += 500ms;  // half a token short of full: kept
  EXPECT_TRUE(limiter.take("new1").allowed);
  EXPECT_EQ(limiter.tracked(), 51u);
  clock.now += 5s;  // the first 50 have refilled completely (new1 too)
  EXPECT_TRUE(limiter.take("new2").allowed);
  EXPECT_EQ(limiter.tracked(), 1u);
}

TEST(RateLimiter, HeadersAndEnvelope) {
  const RateLimiter::Decision d{.allowed = false, .limit = 20, .remaining = 0, .reset_seconds = 4, .retry_after_seconds = 1};
  const Response r = rate_limited(d);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body.rfind(R"({"error":{"code":"rate_limited",)", 0), 0u);
  EXPECT_EQ(header(r, "Retry-After"), "1");
  EXPECT_EQ(header(r, "X-RateLimit-Limit"), "20");
  EXPECT_EQ(header(r, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(header(r, "X-RateLimit-Reset"), "4");
  Response ok = Response::json(200, "{}");
  add_rate_limit_headers(ok, {.allowed = true, .limit = 20, .remaining = 19, .reset_seconds = 1});
  EXPECT_EQ(header(ok, "X-RateLimit-Remaining"), "19");
  EXPECT_FALSE(header(ok, "Retry-After"));
}

TEST(RateLimiter, BadConfigIsAProgrammingError) {
  EXPECT_THROW(RateLimiter({.rate_per_second = 0}), std::invalid_argument);
  EXPECT_THROW(RateLimiter({.burst = 0}), std::invalid_argument);
  EXPECT_THROW(RateLimiter({.max_tracked = 0}), std::invalid_argument);
}

// Many threads on few IPs with the clock standing still: exactly `burst` takes per IP succeed,
// whatever the interleaving. Also the TSan check of the limiter's locking.
TEST(RateLimiter, ConcurrentTakesNeverOverspend) {
  ManualClock clock;
  RateLimiter limiter({.rate_per_second = 1, .burst = 100, .max_tracked = 8}, clock.fn());
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        if (limiter.take("10.0.0." + std::to_string((t + i) % 4)).allowed) allowed.fetch_add(1);
        if (i % 50 == 0) (void)limiter.tracked();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 4 * 100);
  EXPECT_EQ(limiter.tracked(), 4u);
}

}  // namespace
}  // namespace bizra::http
