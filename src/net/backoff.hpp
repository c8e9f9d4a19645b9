#pragma once
// Reconnect back-off: the delay before the next dial of a peer that is not connected.
//
// The ceiling doubles per failed attempt, min · 2^attempt, up to `max`; the delay is drawn
// uniformly from the ceiling's upper half (never below `min`), so nodes that lost a peer at the
// same moment do not all redial it in lock step.

#include <algorithm>
#include <chrono>

namespace bizra::net {

// `unit_random` is a uniform draw from [0, 1) (injected, so the formula is testable).
inline std::chrono::milliseconds backoff_delay(unsigned attempt, std::chrono::milliseconds min,
                                               std::chrono::milliseconds max, double unit_random) {
  const auto min_ms = std::max<std::chrono::milliseconds::rep>(1, min.count());
  const auto max_ms = std::max(min_ms, max.count());
  auto ceiling = min_ms;
  for (unsigned i = 0; i < attempt && ceiling < max_ms; ++i) ceiling = std::min(max_ms, ceiling * 2);
  const double half = static_cast<double>(ceiling) / 2.0;
  const auto drawn = static_cast<std::chrono::milliseconds::rep>(half + half * std::clamp(unit_random, 0.0, 1.0));
  return std::chrono::milliseconds(std::clamp(drawn, min_ms, ceiling));
}

}  // namespace bizra::net
