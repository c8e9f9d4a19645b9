#pragma once
// Exact decimal arithmetic for the numbers in PoI attestations (../shared/spec/poi.md §3 rule 8).
//
// A JSON number literal is read as the exact decimal it denotes — never through a double — and
// scaled by a power of ten into an integer: 0.74 at scale 6 is 740000 micro-units. Exponent forms
// are exact too (9e-1 is 900000 micro-units, 1e-7 has a seventh fractional digit and is refused).
//
// Precision is judged on the value, not on the spelling: trailing zeros do not count, so
// "0.1000000" is 100000 micro-units, and "-0" is 0. Which sign and range a field allows is the
// caller's rule (see poi/validate.hpp); this module only promises exactness and no overflow.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.hpp"

namespace bizra::poi::decimal {

inline constexpr int kMicroScale = 6;
inline constexpr std::int64_t kMicro = 1'000'000;  // one unit in micro-units

// Largest magnitude to_scaled() returns: anything below 10^18 fits in an int64.
inline constexpr std::int64_t kMaxScaled = 999'999'999'999'999'999;

// The value of `literal` (RFC 8259 number grammar) times 10^scale, when that is an integer of
// magnitude <= kMaxScaled. Error codes: "bad_decimal" (not a JSON number), "too_precise" (a
// non-zero digit below 10^-scale), "out_of_range" (magnitude above kMaxScaled).
Result<std::int64_t> to_scaled(std::string_view literal, int scale);

inline Result<std::int64_t> to_micro(std::string_view literal) { return to_scaled(literal, kMicroScale); }

// The shortest decimal text for a micro-unit amount: 740000 -> "0.74", -1500000 -> "-1.5",
// 3000000 -> "3". It is a valid JSON number and to_micro() reads it back exactly.
std::string format_micro(std::int64_t micro);

}  // namespace bizra::poi::decimal
