// Fuzzes the strict JSON parser. parse() must never crash, and what it accepts must survive a
// round trip: the canonical form parses again and serializes to itself, and every number's
// double is the one its text denotes (simdjson's conversion checked against std::from_chars).

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <system_error>

#include "codec/jcs.hpp"
#include "codec/json.hpp"

namespace {

using bizra::json::Value;

void require(bool condition) {
  if (!condition) std::abort();
}

void check_numbers(const Value& v) {
  if (v.is_number()) {
    const std::string& text = v.number_text();
    double expected = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), expected);
    require(end == text.data() + text.size());
    // libstdc++ reports underflow to zero as out of range; JSON.parse and we give 0 or a subnormal.
    if (ec == std::errc()) require(expected == v.number() && std::signbit(expected) == std::signbit(v.number()));
  }
  for (const Value& item : v.items()) check_numbers(item);
  for (const auto& member : v.members()) check_numbers(member.second);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const bizra::json::Limits limits{.max_bytes = 1 << 16, .max_depth = 32};
  auto parsed = bizra::json::parse(text, limits);
  if (!parsed) return 0;
  check_numbers(*parsed);

  const std::string canonical = bizra::jcs::serialize(*parsed);
  // Canonical numbers can be longer than their input ("1e9" -> "1000000000"), so no size limit.
  auto reparsed = bizra::json::parse(canonical, {.max_bytes = canonical.size(), .max_depth = limits.max_depth});
  require(reparsed.ok());
  require(bizra::jcs::serialize(*reparsed) == canonical);
  return 0;
}
