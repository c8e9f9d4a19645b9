#pragma once
// The simulator's random numbers: xoshiro256** seeded through SplitMix64 (Blackman & Vigna,
// "Scrambled linear pseudorandom number generators", 2021).
//
// Implemented here rather than taken from <random> because the standard distributions
// (std::uniform_int_distribution, ...) are not specified bit for bit and differ between
// standard libraries: a seed must replay the same run everywhere. Only integer arithmetic.

#include <cstdint>

namespace bizra::sim {

// One step of SplitMix64: a bijective 64-bit mixer, also used to derive per-purpose seeds.
std::uint64_t splitmix64(std::uint64_t& state);
// Mixes two words into one well-distributed word (order matters): for hash-derived values
// such as a link's base latency, which must not consume the run's random stream.
std::uint64_t mix(std::uint64_t a, std::uint64_t b);

inline constexpr std::uint32_t kPartsPerMillion = 1'000'000;

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t next();
  // Uniform in [0, bound); bound > 0. Lemire's multiply-shift with rejection: unbiased.
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [lo, hi] (inclusive); lo <= hi.
  std::uint64_t between(std::uint64_t lo, std::uint64_t hi);
  // True with probability ppm / 1 000 000.
  bool chance(std::uint32_t ppm);
  // An independent generator for one purpose (`stream` names it), leaving this one's future
  // output unchanged by how much the child is used.
  Rng fork(std::uint64_t stream) const;

 private:
  std::uint64_t s_[4];
};

}  // namespace bizra::sim
