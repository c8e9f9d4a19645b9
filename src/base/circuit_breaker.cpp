#include "base/circuit_breaker.hpp"

namespace bizra {

bool CircuitBreaker::allow(Clock::time_point now) {
  if (state_ == State::kClosed) return true;
  if (state_ == State::kOpen && now - opened_at_ >= cooldown_) {
    state_ = State::kHalfOpen;  // this caller is the probe
    return true;
  }
  return false;
}

void CircuitBreaker::on_success() {
  state_ = State::kClosed;
  failures_ = 0;
}

void CircuitBreaker::on_failure(Clock::time_point now) {
  ++failures_;
  if (state_ == State::kHalfOpen || failures_ >= threshold_) {
    state_ = State::kOpen;
    opened_at_ = now;
  }
}

}  // namespace bizra
