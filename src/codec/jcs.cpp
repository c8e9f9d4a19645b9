#include "codec/jcs.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace bizra::jcs {
namespace {

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The code point of the UTF-8 sequence starting at s[i]. Strings in a json::Value are valid
// UTF-8; on anything else this still stays inside `s` and returns some value.
std::uint32_t decode_code_point(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t length = 1;
  std::uint32_t cp = lead;
  if (lead >= 0xF0) {
    length = 4;
    cp = lead & 0x07u;
  } else if (lead >= 0xE0) {
    length = 3;
    cp = lead & 0x0Fu;
  } else if (lead >= 0xC0) {
    length = 2;
    cp = lead & 0x1Fu;
  }
  for (std::size_t k = 1; k < length && i + k < s.size(); ++k)
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
  return cp;
}

// Maps a code point to a number whose order is the order of its UTF-16 encoding: characters
// above U+FFFF are encoded with surrogates (0xD800..0xDFFF) and therefore sort before
// U+E000..U+FFFF, although their code points are larger.
std::uint32_t utf16_rank(std::uint32_t cp) {
  if (cp < 0xD800) return cp;
  if (cp >= 0x10000) return 0xD800 + (cp - 0x10000);
  return cp + 0x100000;  // U+E000..U+FFFF, after every supplementary character
}

// RFC 8785 §3.2.3: compare keys as arrays of UTF-16 code units. UTF-8 byte order is code point
// order, so only the first differing code point needs to be decoded.
bool utf16_less(std::string_view a, std::string_view b) {
  const auto diff = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  std::size_t i = static_cast<std::size_t>(diff.first - a.begin());
  if (i == b.size()) return false;  // b is a prefix of a, or equal
  if (i == a.size()) return true;
  while (i > 0 && is_continuation_byte(a[i])) --i;  // back to the start of the differing character
  return utf16_rank(decode_code_point(a, i)) < utf16_rank(decode_code_point(b, i));
}

void append_escape(unsigned char c, std::string& out) {
  switch (c) {
    case '"': out += "\\\""; return;
    case '\\': out += "\\\\"; return;
    case '\b': out += "\\b"; return;
    case '\t': out += "\\t"; return;
    case '\n': out += "\\n"; return;
    case '\f': out += "\\f"; return;
    case '\r': out += "\\r"; return;
    default: {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
}

void write_string(std::string_view s, std::string& out) {
  out.push_back('"');
  std::size_t clean_from = 0;  // start of the run of bytes that are copied verbatim
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s, clean_from, i - clean_from);
    append_escape(c, out);
    clean_from = i + 1;
  }
  out.append(s, clean_from);
  out.push_back('"');
}

// ECMA-262 Number::toString(x): take the shortest digit string (k digits) that reads back as x,
// closest to x on ties, and n with x = 0.digits × 10^n; lay it out by the size of n. std::to_chars
// in scientific form yields exactly those digits, as "d.ddde±XX" with n = XX + 1. (Cross-checked
// against Node.js on a million random doubles while developing.)
void append_number(double x, std::string& out) {
  if (!std::isfinite(x)) throw std::domain_error("jcs: NaN and infinities are not JSON numbers");
  if (x == 0) {  // also −0
    out.push_back('0');
    return;
  }
  if (x < 0) out.push_back('-');
  char sci[32];
  const auto [sci_end, ec] = std::to_chars(sci, sci + sizeof sci, std::fabs(x), std::chars_format::scientific);
  if (ec != std::errc()) throw std::logic_error("jcs: to_chars failed");

  char digit_buf[24];
  int k = 0;  // number of significant digits
  const char* p = sci;
  for (; *p != 'e'; ++p)
    if (*p != '.') digit_buf[k++] = *p;
  const std::string_view digits(digit_buf, static_cast<std::size_t>(k));
  int exponent = 0;
  std::from_chars(p + (p[1] == '+' ? 2 : 1), sci_end, exponent);
  const int n = exponent + 1;  // the value is 0.digits × 10^n
  const auto count = [](int c) { return static_cast<std::size_t>(c); };

  if (k <= n && n <= 21) {  // integer: digits then zeros
    out += digits;
    out.append(count(n - k), '0');
  } else if (0 < n && n <= 21) {  // point inside the digits
    out += digits.substr(0, count(n));
    out.push_back('.');
    out += digits.substr(count(n));
  } else if (-6 < n && n <= 0) {  // small: "0.000ddd"
    out += "0.";
    out.append(count(-n), '0');
    out += digits;
  } else {  // exponent form: "d.ddde+XX"
    out.push_back(digits.front());
    if (k > 1) {
      out.push_back('.');
      out += digits.substr(1);
    }
    out.push_back('e');
    out.push_back(n - 1 >= 0 ? '+' : '-');
    out += std::to_string(std::abs(n - 1));
  }
}

void write_value(const json::Value& value, std::string& out);

void write_object(const std::vector<json::Value::Member>& members, std::string& out) {
  std::vector<const json::Value::Member*> sorted;
  sorted.reserve(members.size());
  for (const auto& member : members) sorted.push_back(&member);
  std::sort(sorted.begin(), sorted.end(),
            [](const json::Value::Member* x, const json::Value::Member* y) { return utf16_less(x->first, y->first); });
  out.push_back('{');
  for (const json::Value::Member* member : sorted) {
    if (member != sorted.front()) out.push_back(',');
    write_string(member->first, out);
    out.push_back(':');
    write_value(member->second, out);
  }
  out.push_back('}');
}

void write_array(const std::vector<json::Value>& items, std::string& out) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    write_value(items[i], out);
  }
  out.push_back(']');
}

void write_value(const json::Value& value, std::string& out) {
  switch (value.kind()) {
    case json::Value::Kind::kNull: out += "null"; return;
    case json::Value::Kind::kBool: out += value.as_bool() ? "true" : "false"; return;
    case json::Value::Kind::kNumber: append_number(value.number(), out); return;
    case json::Value::Kind::kString: write_string(value.as_string(), out); return;
    case json::Value::Kind::kArray: write_array(value.items(), out); return;
    case json::Value::Kind::kObject: write_object(value.members(), out); return;
  }
}

}  // namespace

std::string serialize(const json::Value& value) {
  std::string out;
  write_value(value, out);
  return out;
}

Result<std::string> canonicalize(std::string_view text, const json::Limits& limits) {
  auto parsed = json::parse(text, limits);
  if (!parsed) return parsed.error();
  std::string out;
  out.reserve(text.size());  // canonical output is rarely longer than its input
  write_value(*parsed, out);
  return out;
}

std::string format_number(double x) {
  std::string out;
  append_number(x, out);
  return out;
}

}  // namespace bizra::jcs
