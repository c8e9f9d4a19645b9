#pragma once
// Byte buffers and fixed-size byte arrays used for keys, digests and signatures.

#include <algorithm>
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace bizra {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;
using MutableByteSpan = std::span<std::uint8_t>;

// Views the characters of a string as bytes (no copy).
inline ByteSpan as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Views bytes as characters (no copy).
inline std::string_view as_chars(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline Bytes to_bytes(std::string_view s) {
  const auto b = as_bytes(s);
  return Bytes(b.begin(), b.end());
}

// A fixed-size byte array with value semantics and a total order (usable as a map key).
template <std::size_t N>
struct FixedBytes {
  static constexpr std::size_t kSize = N;
  std::array<std::uint8_t, N> bytes{};

  static FixedBytes from_span(ByteSpan s) {
    FixedBytes out;
    std::copy_n(s.begin(), std::min(N, s.size()), out.bytes.begin());
    return out;
  }
  std::uint8_t* data() { return bytes.data(); }
  const std::uint8_t* data() const { return bytes.data(); }
  static constexpr std::size_t size() { return N; }
  ByteSpan span() const { return {bytes.data(), N}; }
  bool is_zero() const {
    return std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; });
  }
  auto operator<=>(const FixedBytes&) const = default;
};

using Hash32 = FixedBytes<32>;

}  // namespace bizra
