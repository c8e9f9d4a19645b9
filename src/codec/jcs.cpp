#include "codec/jcs.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <span>
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
// order, which is UTF-16 order too unless one character is above U+FFFF and the other in
// U+E000..U+FFFF. That needs a lead byte of 0xEE or more; where both differing bytes are below it,
// the bytes decide (as continuation bytes, they belong to characters with the same lead byte).
// Otherwise only the first differing code point needs to be decoded.
bool utf16_less(std::string_view a, std::string_view b) {
  const std::size_t common = std::min(a.size(), b.size());
  std::size_t i = 0;
  while (i < common && a[i] == b[i]) ++i;
  if (i == common) return a.size() < b.size();  // one is a prefix of the other, or they are equal
  const auto byte_a = static_cast<unsigned char>(a[i]), byte_b = static_cast<unsigned char>(b[i]);
  if (byte_a < 0xEE && byte_b < 0xEE) return byte_a < byte_b;
  while (i > 0 && is_continuation_byte(a[i])) --i;  // back to the start of the differing character
  return utf16_rank(decode_code_point(a, i)) < utf16_rank(decode_code_point(b, i));
}

// The text being written: a std::string grown ahead of the writing and cut to length when done.
// Appending to the string itself checks capacity and writes a terminator for every piece, and
// there are a few hundred pieces in an attestation.
class Output {
 public:
  explicit Output(std::string& text) : text_(text), size_(text.size()) {}
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() { text_.resize(size_); }

  void push_back(char c) { *make_room(1) = c; }
  void append(std::string_view s) { std::memcpy(make_room(s.size()), s.data(), s.size()); }
  void append(std::size_t count, char c) { std::memset(make_room(count), c, count); }
  Output& operator+=(std::string_view s) {
    append(s);
    return *this;
  }

 private:
  // Where the next `n` bytes go; they count as written from now on.
  char* make_room(std::size_t n) {
    if (text_.size() - size_ < n) text_.resize(std::max({2 * text_.size(), size_ + n, text_.capacity()}));
    char* at = text_.data() + size_;
    size_ += n;
    return at;
  }

  std::string& text_;
  std::size_t size_;  // of the text written; text_ is longer while writing
};

void append_escape(unsigned char c, Output& out) {
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

void write_string(std::string_view s, Output& out) {
  out.push_back('"');
  for (std::size_t verbatim = json::verbatim_prefix(s); verbatim < s.size(); verbatim = json::verbatim_prefix(s)) {
    out.append(s.substr(0, verbatim));
    append_escape(static_cast<unsigned char>(s[verbatim]), out);
    s.remove_prefix(verbatim + 1);
  }
  out.append(s);
  out.push_back('"');
}

// `value` in decimal, with leading zeros up to `min_width` digits.
void append_decimal(std::uint64_t value, std::size_t min_width, Output& out) {
  char digits[24];
  const auto length = static_cast<std::size_t>(std::to_chars(digits, digits + sizeof digits, value).ptr - digits);
  if (length < min_width) out.append(min_width - length, '0');
  out.append(std::string_view(digits, length));
}

// ECMA-262 Number::toString(x) (below) for the numbers people write: decimals of at most 15
// significant digits from 1e-6 to 1e15, which it lays out without exponent. Returns false, having
// written nothing, for any other x. Tries p = 0, 1, ... fractional digits: with m the integer
// nearest to |x|·10^p, m / 10^p (both exact values, rounded once) reads back as |x| exactly when
// the decimal m·10^-p does. The first p that reads back gives the shortest digits: two decimals
// of at most 15 significant digits never read back as the same (normal) double (DBL_DIG), so
// there is no other candidate, and |x|·10^p, rounded or not, is within 0.25 of m, so adding 0.5
// and truncating finds it.
bool append_short_decimal(double x, Output& out) {
  constexpr double kMin = 1e-6;
  constexpr double kLimit = 1e15;
  const double magnitude = std::fabs(x);
  if (!(magnitude >= kMin && magnitude < kLimit)) return false;
  double scale = 1;  // 10^p: exact, as p stays below 22
  for (std::size_t p = 0; magnitude * scale < kLimit; ++p, scale *= 10) {
    const auto digits = static_cast<std::uint64_t>(magnitude * scale + 0.5);
    if (static_cast<double>(digits) / scale != magnitude) continue;
    // The fractional digits have no trailing zero, p being the fewest that read back.
    if (x < 0) out.push_back('-');
    if (magnitude < 1) {  // then p > 0
      out += "0.";
      append_decimal(digits, p, out);
    } else {  // 10^p < 10^15: an integer too
      const auto unit = static_cast<std::uint64_t>(scale);
      append_decimal(digits / unit, 1, out);
      if (p > 0) {
        out.push_back('.');
        append_decimal(digits % unit, p, out);
      }
    }
    return true;
  }
  return false;
}

// ECMA-262 Number::toString(x): take the shortest digit string (k digits) that reads back as x,
// closest to x on ties, and n with x = 0.digits × 10^n; lay it out by the size of n. std::to_chars
// in scientific form yields exactly those digits, as "d.ddde±XX" with n = XX + 1. (Cross-checked
// against Node.js on a million random doubles while developing.)
void append_number(double x, Output& out) {
  if (!std::isfinite(x)) throw std::domain_error("jcs: NaN and infinities are not JSON numbers");
  if (x == 0) {  // also −0
    out.push_back('0');
    return;
  }
  if (append_short_decimal(x, out)) return;
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

void write_value(const json::Value& value, Output& out);

// Writes the members of an object in canonical order, leaving out the one named `*omitted` if
// `omitted` is given. Sorts pointers, on the stack for objects of usual size.
void write_object(const std::vector<json::Value::Member>& members, const std::string_view* omitted, Output& out) {
  using Member = json::Value::Member;
  constexpr std::size_t kOnStack = 32;
  std::array<const Member*, kOnStack> on_stack;
  std::vector<const Member*> on_heap;
  if (members.size() > kOnStack) on_heap.resize(members.size());
  const std::span<const Member*> slots = on_heap.empty() ? std::span<const Member*>(on_stack) : on_heap;
  std::size_t count = 0;
  for (const Member& member : members)
    if (omitted == nullptr || member.first != *omitted) slots[count++] = &member;
  const auto sorted = slots.first(count);
  std::sort(sorted.begin(), sorted.end(),
            [](const Member* x, const Member* y) { return utf16_less(x->first, y->first); });
  out.push_back('{');
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out.push_back(',');
    write_string(sorted[i]->first, out);
    out.push_back(':');
    write_value(sorted[i]->second, out);
  }
  out.push_back('}');
}

void write_array(const std::vector<json::Value>& items, Output& out) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out.push_back(',');
    write_value(items[i], out);
  }
  out.push_back(']');
}

void write_value(const json::Value& value, Output& out) {
  switch (value.kind()) {
    case json::Value::Kind::kNull: out += "null"; return;
    case json::Value::Kind::kBool: out += value.as_bool() ? "true" : "false"; return;
    case json::Value::Kind::kNumber: append_number(value.number(), out); return;
    case json::Value::Kind::kString: write_string(value.as_string(), out); return;
    case json::Value::Kind::kArray: write_array(value.items(), out); return;
    case json::Value::Kind::kObject: write_object(value.members(), nullptr, out); return;
  }
}

}  // namespace

std::string serialize(const json::Value& value) {
  std::string text;
  {
    Output out(text);
    write_value(value, out);
  }
  return text;
}

void append_without(const json::Value& object, std::string_view omitted, std::string& text) {
  Output out(text);
  write_object(object.members(), &omitted, out);
}

Result<std::string> canonicalize(std::string_view text, const json::Limits& limits) {
  auto parsed = json::parse(text, limits);
  if (!parsed) return parsed.error();
  std::string canonical;
  canonical.reserve(text.size());  // canonical output is rarely longer than its input
  {
    Output out(canonical);
    write_value(*parsed, out);
  }
  return canonical;
}

std::string format_number(double x) {
  std::string text;
  {
    Output out(text);
    append_number(x, out);
  }
  return text;
}

}  // namespace bizra::jcs
