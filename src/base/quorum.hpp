#pragma once
// The weighted quorum rule (spec consensus.md §1, the founding document's "WQ-ref"): a set of
// distinct validators with `weight` out of `total` is a quorum iff
//     weight * 10000 >= total * 6667,
// computed on 128-bit integers so no product overflows. Any two quorums then share more than
// 1/3 of the weight, hence an honest validator. An empty validator set (total 0) has no quorum.
// This is the one definition; consensus, the block graph and the PoI rules all call it.

#include <cstdint>

namespace bizra {

inline constexpr std::uint64_t kQuorumNumerator = 6'667;
inline constexpr std::uint64_t kQuorumDenominator = 10'000;

inline bool is_quorum(std::uint64_t weight, std::uint64_t total) {
  __extension__ typedef unsigned __int128 Wide;
  return total != 0 && static_cast<Wide>(weight) * kQuorumDenominator >= static_cast<Wide>(total) * kQuorumNumerator;
}

}  // namespace bizra
