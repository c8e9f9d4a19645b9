#include "codec/binary.hpp"

#include <limits>
#include <stdexcept>

namespace bizra::codec {
namespace {

template <typename T>
void put_le(Bytes& out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace

Writer& Writer::u8(std::uint8_t v) { out_.push_back(v); return *this; }
Writer& Writer::u16(std::uint16_t v) { put_le(out_, v); return *this; }
Writer& Writer::u32(std::uint32_t v) { put_le(out_, v); return *this; }
Writer& Writer::u64(std::uint64_t v) { put_le(out_, v); return *this; }

Writer& Writer::raw(ByteSpan bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  return *this;
}

Writer& Writer::bytes(ByteSpan bytes) {
  count(bytes.size());
  return raw(bytes);
}

Writer& Writer::count(std::size_t n) {
  // Encoders only ever write lengths they produced; exceeding u32 is a programming error.
  if (n > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("codec: length exceeds u32");
  return u32(static_cast<std::uint32_t>(n));
}

std::optional<ByteSpan> Reader::take(std::size_t n, std::string_view field) {
  if (error_) return std::nullopt;
  if (remaining() < n) {
    fail("truncated", "field '" + std::string(field) + "' needs " + std::to_string(n) + " bytes at offset " +
                          std::to_string(pos_) + ", only " + std::to_string(remaining()) + " left");
    return std::nullopt;
  }
  const ByteSpan span = in_.subspan(pos_, n);
  pos_ += n;
  return span;
}

template <typename T>
T Reader::little_endian(std::string_view field) {
  T v = 0;
  if (auto span = take(sizeof(T), field))
    for (std::size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | static_cast<T>((*span)[i]) << (8 * i));
  return v;
}

std::uint8_t Reader::u8(std::string_view field) { return little_endian<std::uint8_t>(field); }
std::uint16_t Reader::u16(std::string_view field) { return little_endian<std::uint16_t>(field); }
std::uint32_t Reader::u32(std::string_view field) { return little_endian<std::uint32_t>(field); }
std::uint64_t Reader::u64(std::string_view field) { return little_endian<std::uint64_t>(field); }

bool Reader::boolean(std::string_view field) {
  const std::uint8_t v = u8(field);
  if (v > 1) fail("bad_value", "field '" + std::string(field) + "' is a bool but holds " + std::to_string(v));
  return v == 1;
}

std::size_t Reader::count(std::string_view field, std::size_t max_count, std::size_t min_element_size) {
  const std::size_t n = u32(field);
  if (!ok()) return 0;
  if (n > max_count) {
    fail("too_long", "field '" + std::string(field) + "' has length " + std::to_string(n) + ", maximum is " +
                         std::to_string(max_count));
    return 0;
  }
  if (min_element_size > 0 && n > remaining() / min_element_size) {
    fail("truncated", "field '" + std::string(field) + "' declares " + std::to_string(n) +
                          " elements but only " + std::to_string(remaining()) + " bytes are left");
    return 0;
  }
  return n;
}

Bytes Reader::bytes(std::string_view field, std::size_t max_len) {
  const std::size_t n = count(field, max_len);
  auto span = take(n, field);
  return span ? Bytes(span->begin(), span->end()) : Bytes{};
}

std::string Reader::string(std::string_view field, std::size_t max_len) {
  const std::size_t n = count(field, max_len);
  auto span = take(n, field);
  return span ? std::string(as_chars(*span)) : std::string{};
}

void Reader::fail(std::string_view code, std::string message) {
  if (!error_) error_.emplace(code, std::move(message));
}

Status Reader::status() const {
  if (error_) return *error_;
  return ok_status();
}

Status Reader::finish() const {
  if (error_) return *error_;
  if (remaining() != 0)
    return Error("trailing_bytes", std::to_string(remaining()) + " unexpected bytes after the message at offset " +
                                       std::to_string(pos_));
  return ok_status();
}

}  // namespace bizra::codec
