#include "http/message.hpp"

#include <algorithm>
#include <cstddef>

#include "codec/jcs.hpp"
#include "codec/json.hpp"

namespace bizra::http {
namespace {

std::optional<std::string_view> find_pair(const Pairs& pairs, std::string_view key, bool ignore_case) {
  for (const auto& [k, v] : pairs) {
    if (ignore_case ? iequals(k, key) : k == key) return std::string_view(v);
  }
  return std::nullopt;
}

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode Table 3-7), 0 if none.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // range of the second byte
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // no overlong forms
    if (lead == 0xed) high = 0x9f;  // no UTF-16 surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // no overlong forms
    if (lead == 0xf4) high = 0x8f;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < length) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xbf) return 0;
  }
  return length;
}

std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s, i);
    if (length == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD REPLACEMENT CHARACTER
      ++i;
    } else {
      out.append(s.substr(i, length));
      i += length;
    }
  }
  return out;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_token(std::string_view text) {
  const auto token_char = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  };
  return !text.empty() && std::all_of(text.begin(), text.end(), token_char);
}

std::optional<std::string_view> Request::header(std::string_view name) const {
  return find_pair(headers, name, true);
}

std::optional<std::string_view> Request::param(std::string_view name) const {
  return find_pair(params, name, false);
}

std::optional<std::string_view> Request::query_param(std::string_view key) const {
  return find_pair(query, key, false);
}

Response Response::json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::error(int status, std::string_view code, std::string_view message) {
  return json(status, R"({"error":{"code":)" + json_quote(code) + R"(,"message":)" + json_quote(message) + "}}");
}

std::string json_quote(std::string_view text) {
  // JCS's string form is exactly the minimal, unambiguous escaping we want; reusing it keeps one
  // escaper in the code base.
  return jcs::serialize(json::Value::string(valid_utf8(text)));
}

}  // namespace bizra::http
