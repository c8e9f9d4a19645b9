// Fuzzes the HTTP request-target parser (src/http/target.hpp). parse_target() must never crash,
// and what it accepts must be consistent: the path is the target up to '?', split_path() of it
// gives the same segments, and re-encoding every decoded segment and query pair (each byte that
// is not unreserved as %XX) parses back to the same values.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/target.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

std::string encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                            c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 15]);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = bizra::http::parse_target(text);
  if (!parsed) return 0;
  require(text.substr(0, text.find('?')) == parsed->path);
  auto segments = bizra::http::split_path(parsed->path);
  require(segments.ok() && *segments == parsed->segments);

  std::string again;
  for (const std::string& segment : parsed->segments) again += "/" + encode(segment);
  if (!parsed->query.empty()) again += "?";
  for (const auto& [key, value] : parsed->query) {
    // A pair with an empty key and value ("?=") re-encodes to "=", which parses back to it.
    again += encode(key) + "=" + encode(value) + "&";
  }
  auto reparsed = bizra::http::parse_target(again);
  require(reparsed.ok());
  require(reparsed->segments == parsed->segments);
  require(reparsed->query == parsed->query);
  return 0;
}
