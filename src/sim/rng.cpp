#include "sim/rng.hpp"

namespace bizra::sim {
namespace {

__extension__ typedef unsigned __int128 Wide;

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t state = a;
  state = splitmix64(state) ^ b;
  return splitmix64(state);
}

Rng::Rng(std::uint64_t seed) {
  // SplitMix64 never yields four zero words in a row, so the xoshiro state is never all zero.
  for (auto& word : s_) word = splitmix64(seed);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t bound) {
  // Lemire (2019): the high word of x * bound is uniform once the low word's biased band
  // (below 2^64 mod bound) is rejected.
  Wide product = static_cast<Wide>(next()) * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = static_cast<Wide>(next()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

std::uint64_t Rng::between(std::uint64_t lo, std::uint64_t hi) {
  if (hi - lo == ~std::uint64_t{0}) return next();
  return lo + below(hi - lo + 1);
}

bool Rng::chance(std::uint32_t ppm) {
  if (ppm == 0) return false;  // consumes nothing: a fault switched off leaves the run unchanged
  return below(kPartsPerMillion) < ppm;
}

Rng Rng::fork(std::uint64_t stream) const { return Rng(mix(s_[0] ^ s_[2], stream)); }

}  // namespace bizra::sim
