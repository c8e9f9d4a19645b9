#include "poi/decimal.hpp"

#include <algorithm>
#include <optional>

namespace bizra::poi::decimal {
namespace {

// Exponents are saturated here while reading: any larger magnitude is out of range (or too
// precise) for every literal that fits in memory, and saturating keeps the arithmetic in int64.
constexpr std::int64_t kExponentCap = 1'000'000'000'000;
constexpr std::int64_t kMaxDigits = 18;  // 10^18 > kMaxScaled

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Advances `pos` over a run of decimal digits and returns the run.
std::string_view take_digits(std::string_view s, std::size_t& pos) {
  const std::size_t start = pos;
  while (pos < s.size() && is_digit(s[pos])) ++pos;
  return s.substr(start, pos - start);
}

// A number literal in parts: its value is (int_digits ‖ frac_digits) × 10^(exponent − |frac_digits|).
struct Parts {
  bool negative = false;
  std::string_view int_digits;
  std::string_view frac_digits;
  std::int64_t exponent = 0;
};

// Splits a literal following RFC 8259 §6 exactly; nullopt when it is not one.
std::optional<Parts> split(std::string_view s) {
  Parts parts;
  std::size_t pos = 0;
  if (pos < s.size() && s[pos] == '-') {
    parts.negative = true;
    ++pos;
  }
  parts.int_digits = take_digits(s, pos);
  if (parts.int_digits.empty() || (parts.int_digits.size() > 1 && parts.int_digits[0] == '0')) return std::nullopt;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    parts.frac_digits = take_digits(s, pos);
    if (parts.frac_digits.empty()) return std::nullopt;
  }
  if (pos < s.size() && (s[pos] == 'e' || s[pos] == 'E')) {
    ++pos;
    bool negative_exponent = false;
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) negative_exponent = s[pos++] == '-';
    const std::string_view exponent = take_digits(s, pos);
    if (exponent.empty()) return std::nullopt;
    for (char c : exponent) parts.exponent = std::min(kExponentCap, parts.exponent * 10 + (c - '0'));
    if (negative_exponent) parts.exponent = -parts.exponent;
  }
  if (pos != s.size()) return std::nullopt;
  return parts;
}

}  // namespace

Result<std::int64_t> to_scaled(std::string_view literal, int scale) {
  const auto parts = split(literal);
  if (!parts) return Error("bad_decimal", "not a JSON number");

  // The significand is int_digits ‖ frac_digits; only its non-zero span matters.
  const std::string_view int_digits = parts->int_digits;
  const std::string_view frac_digits = parts->frac_digits;
  const std::size_t total = int_digits.size() + frac_digits.size();
  const auto digit = [&](std::size_t k) {
    return k < int_digits.size() ? int_digits[k] : frac_digits[k - int_digits.size()];
  };
  std::size_t first = 0;
  while (first < total && digit(first) == '0') ++first;
  if (first == total) return std::int64_t{0};  // zero, whatever its exponent or sign
  std::size_t last = total - 1;
  while (digit(last) == '0') --last;

  // Scaled value = digits[first..last] × 10^power; an integer exactly when power >= 0.
  const auto significant = static_cast<std::int64_t>(last - first + 1);
  const std::int64_t power = parts->exponent - static_cast<std::int64_t>(frac_digits.size()) +
                             static_cast<std::int64_t>(total - 1 - last) + scale;
  if (power < 0) return Error("too_precise", "more than " + std::to_string(scale) + " fractional digits");
  if (significant + power > kMaxDigits) return Error("out_of_range", "magnitude too large");

  std::int64_t value = 0;
  for (std::size_t k = first; k <= last; ++k) value = value * 10 + (digit(k) - '0');
  for (std::int64_t i = 0; i < power; ++i) value *= 10;
  return parts->negative ? -value : value;
}

std::string format_micro(std::int64_t micro) {
  const bool negative = micro < 0;
  // Magnitude in unsigned arithmetic, so that INT64_MIN has one too.
  const std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(micro) : static_cast<std::uint64_t>(micro);
  constexpr auto kUnit = static_cast<std::uint64_t>(kMicro);
  std::string out = negative ? "-" : "";
  out += std::to_string(magnitude / kUnit);
  if (const std::uint64_t fraction = magnitude % kUnit; fraction != 0) {
    std::string digits = std::to_string(kUnit + fraction).substr(1);  // zero-padded to six digits
    while (digits.back() == '0') digits.pop_back();
    out += '.';
    out += digits;
  }
  return out;
}

}  // namespace bizra::poi::decimal
