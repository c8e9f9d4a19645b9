#include "sim/flags.hpp"

#include <charconv>

namespace bizra::sim {

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<Time> parse_ms(std::string_view text) {
  const auto ms = parse_u64(text);
  if (!ms || *ms > (std::uint64_t{1} << 40)) return std::nullopt;
  return *ms * kMillis;
}

std::optional<std::pair<Time, Time>> parse_ms_range(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto lo = parse_ms(text.substr(0, dash));
  const auto hi = parse_ms(text.substr(dash + 1));
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  return std::pair{*lo, *hi};
}

std::optional<std::uint32_t> parse_probability(std::string_view text) {
  const auto dot = text.find('.');
  const auto whole = parse_u64(text.substr(0, dot));
  std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  if (!whole || *whole > 1 || fraction.size() > 6 || (dot != std::string_view::npos && fraction.empty()))
    return std::nullopt;
  std::uint64_t ppm = *whole * 1'000'000;
  if (!fraction.empty()) {
    const auto digits = parse_u64(fraction);
    if (!digits) return std::nullopt;
    std::uint64_t scaled = *digits;
    for (std::size_t i = fraction.size(); i < 6; ++i) scaled *= 10;
    ppm += scaled;
  }
  if (ppm > 1'000'000) return std::nullopt;
  return static_cast<std::uint32_t>(ppm);
}

std::string probability_text(std::uint32_t ppm) {
  std::string fraction = std::to_string(ppm % 1'000'000);
  fraction.insert(0, 6 - fraction.size(), '0');
  return std::to_string(ppm / 1'000'000) + "." + fraction;
}

std::string ms_text(Time t) { return std::to_string(t / kMillis); }

Error bad_flag(std::string_view flag, std::string_view text) {
  return Error("bad_flag", std::string(flag) + ": cannot parse '" + std::string(text) + "'");
}

}  // namespace bizra::sim
