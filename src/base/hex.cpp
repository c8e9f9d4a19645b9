#include "base/hex.hpp"

#include <cassert>

namespace bizra::hex {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

// Value of one hex digit, or -1.
int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string encode(ByteSpan data) {
  std::string out(data.size() * 2, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

bool is_lower_hex(std::string_view s) {
  if (s.size() % 2 != 0) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

Status decode_into(std::string_view s, MutableByteSpan out) {
  if (s.size() % 2 != 0) return Error("bad_hex", "odd number of hex digits");
  assert(out.size() == s.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = digit_value(s[2 * i]);
    const int lo = digit_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return Error("bad_hex", "invalid hex digit at position " + std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return ok_status();
}

Result<Bytes> decode(std::string_view s) {
  Bytes out(s.size() / 2);
  BIZRA_TRY(decode_into(s, out));
  return out;
}

}  // namespace bizra::hex
