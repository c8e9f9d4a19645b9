// Fuzzes RFC 8785 canonicalization. Canonical output must canonicalize to itself, and in it
// every object's keys must be in strictly increasing UTF-16 code unit order, checked against a
// plain UTF-8 -> UTF-16 conversion (independent of the comparator under test).

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "codec/jcs.hpp"
#include "codec/json.hpp"

namespace {

using bizra::json::Value;

void require(bool condition) {
  if (!condition) std::abort();
}

// Keys from json::parse are valid UTF-8.
std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  for (std::size_t i = 0; i < s.size();) {
    const auto lead = static_cast<unsigned char>(s[i]);
    const std::size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    char32_t cp = length == 1 ? lead : length == 2 ? (lead & 0x1Fu) : length == 3 ? (lead & 0x0Fu) : (lead & 0x07u);
    for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    i += length;
    if (cp < 0x10000) {
      out.push_back(static_cast<char16_t>(cp));
    } else {
      out.push_back(static_cast<char16_t>(0xD800 + ((cp - 0x10000) >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    }
  }
  return out;
}

void check_key_order(const Value& v) {
  const auto& members = v.members();
  for (std::size_t i = 1; i < members.size(); ++i)
    require(to_utf16(members[i - 1].first) < to_utf16(members[i].first));
  for (const Value& item : v.items()) check_key_order(item);
  for (const auto& member : members) check_key_order(member.second);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto once = bizra::jcs::canonicalize(text, {.max_bytes = 1 << 16, .max_depth = 32});
  if (!once) return 0;
  const bizra::json::Limits relaxed{.max_bytes = once->size(), .max_depth = 32};
  auto twice = bizra::jcs::canonicalize(*once, relaxed);
  require(twice.ok() && *twice == *once);
  auto canonical = bizra::json::parse(*once, relaxed);  // members now in canonical order
  require(canonical.ok());
  check_key_order(*canonical);
  return 0;
}
