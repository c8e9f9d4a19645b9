#pragma once
// Parsing of the simulator's flag values (times in whole milliseconds), shared by the scenario
// pieces that print themselves back as flags (`node0 sim` reproduces a run from them).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/error.hpp"
#include "sim/event_queue.hpp"

namespace bizra::sim {

// A non-negative decimal integer occupying all of `text`.
std::optional<std::uint64_t> parse_u64(std::string_view text);
// Whole milliseconds (at most 2^40, far from overflowing nanoseconds).
std::optional<Time> parse_ms(std::string_view text);
// "A-B" in milliseconds with A <= B.
std::optional<std::pair<Time, Time>> parse_ms_range(std::string_view text);
// A probability as a decimal fraction in [0, 1] with at most 6 decimals ("0.05", "1", "0"),
// in parts per million; read exactly, without floating point.
std::optional<std::uint32_t> parse_probability(std::string_view text);
// Parts per million as the decimal text parse_probability reads back ("0.050000").
std::string probability_text(std::uint32_t ppm);
// A time as whole milliseconds (flags never carry fractions).
std::string ms_text(Time t);

// Error "bad_flag" naming the flag and the text.
Error bad_flag(std::string_view flag, std::string_view text);

}  // namespace bizra::sim
