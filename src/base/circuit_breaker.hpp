#pragma once
// A circuit breaker around a backend that may be down (a remote node's /rpc, an LLM server):
// after repeated failures, callers fail fast instead of each waiting for a timeout, and one probe
// at a time finds out when the backend is back.
//
// Closed: calls go out; `threshold` consecutive failures open it. Open: calls are refused until
// `cooldown` has passed; then one probe goes out (half-open) while the others are still refused:
// its success closes the breaker, its failure opens it for another cool-down. Not thread-safe
// (callers hold their own lock); time is passed in so tests drive it without sleeping.

#include <chrono>
#include <cstddef>

namespace bizra {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed, kOpen, kHalfOpen };

  CircuitBreaker(std::size_t threshold, std::chrono::milliseconds cooldown)
      : threshold_(threshold), cooldown_(cooldown) {}

  bool allow(Clock::time_point now);
  void on_success();
  void on_failure(Clock::time_point now);
  State state() const { return state_; }

 private:
  std::size_t threshold_;
  std::chrono::milliseconds cooldown_;
  State state_ = State::kClosed;
  std::size_t failures_ = 0;
  Clock::time_point opened_at_{};
};

}  // namespace bizra
