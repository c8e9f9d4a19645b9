#pragma once
// Lowercase hexadecimal encoding and strict decoding.

#include <string>
#include <string_view>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace bizra::hex {

std::string encode(ByteSpan data);

template <std::size_t N>
std::string encode(const FixedBytes<N>& data) {
  return encode(data.span());
}

// True when `s` has an even length and only the digits [0-9a-f] (lowercase).
bool is_lower_hex(std::string_view s);

// Decodes hex (upper or lower case). Errors: "bad_hex".
Result<Bytes> decode(std::string_view s);

// Decodes `s` into `out`, which must hold exactly s.size() / 2 bytes. Errors: "bad_hex".
Status decode_into(std::string_view s, MutableByteSpan out);

// Decodes exactly N bytes (2N hex digits), without allocating. Errors: "bad_hex".
template <std::size_t N>
Result<FixedBytes<N>> decode_fixed(std::string_view s) {
  if (s.size() != 2 * N)
    return Error("bad_hex", "expected " + std::to_string(2 * N) + " hex digits, got " +
                                std::to_string(s.size()));
  FixedBytes<N> out;
  BIZRA_TRY(decode_into(s, {out.data(), N}));
  return out;
}

}  // namespace bizra::hex
