#pragma once
// The canonical binary encoding of everything that is signed or hashed on the wire.
//
// Rules (one encoding per value, so equal values hash equally on every node):
//   - integers: fixed width, little-endian (u8/u16/u32/u64, i64 as two's complement);
//   - bool: one byte, 0 or 1 (anything else is rejected);
//   - fixed-size byte strings (keys, digests, signatures): raw, no prefix;
//   - variable bytes/strings: u32 length prefix, then the bytes; every field has an explicit
//     maximum length that the reader enforces *before* allocating;
//   - vectors: u32 element count (with a maximum), then the elements;
//   - a message decodes completely: trailing bytes are an error.
//
// Reader uses a sticky error (as in LevelDB's Slice decoding and many wire codecs): after the
// first failure every read returns a zero value and the first error is kept, so decoders are
// straight-line code that checks `status()` once at the end.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace bizra::codec {

class Writer {
 public:
  Writer() = default;
  explicit Writer(std::size_t reserve) { out_.reserve(reserve); }

  Writer& u8(std::uint8_t v);
  Writer& u16(std::uint16_t v);
  Writer& u32(std::uint32_t v);
  Writer& u64(std::uint64_t v);
  Writer& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
  Writer& boolean(bool v) { return u8(v ? 1 : 0); }
  Writer& raw(ByteSpan bytes);  // fixed-size field: no length prefix
  template <std::size_t N>
  Writer& fixed(const FixedBytes<N>& bytes) { return raw(bytes.span()); }
  Writer& bytes(ByteSpan bytes);  // u32 length prefix
  Writer& string(std::string_view s) { return bytes(as_bytes(s)); }
  Writer& count(std::size_t n);   // element count of a vector that follows

  const Bytes& data() const& { return out_; }
  Bytes take() && { return std::move(out_); }
  std::size_t size() const { return out_.size(); }

 private:
  Bytes out_;
};

class Reader {
 public:
  explicit Reader(ByteSpan in) : in_(in) {}
  explicit Reader(Bytes&&) = delete;  // would view a temporary that dies before the reads

  // Each read names its field so an error can say which one was bad.
  std::uint8_t u8(std::string_view field);
  std::uint16_t u16(std::string_view field);
  std::uint32_t u32(std::string_view field);
  std::uint64_t u64(std::string_view field);
  std::int64_t i64(std::string_view field) { return static_cast<std::int64_t>(u64(field)); }
  bool boolean(std::string_view field);
  template <std::size_t N>
  FixedBytes<N> fixed(std::string_view field) {
    FixedBytes<N> out;
    if (auto span = take(N, field)) std::copy(span->begin(), span->end(), out.bytes.begin());
    return out;
  }
  // Variable-length fields with a maximum length (in bytes).
  Bytes bytes(std::string_view field, std::size_t max_len);
  std::string string(std::string_view field, std::size_t max_len);
  // Element count of a vector, at most `max_count`; also rejects counts that could not fit in
  // the remaining input at `min_element_size` bytes each (so no huge reserve on garbage).
  std::size_t count(std::string_view field, std::size_t max_count, std::size_t min_element_size = 1);

  // Records a semantic error found by the caller (e.g. an enum value out of range).
  void fail(std::string_view code, std::string message);

  bool ok() const { return !error_.has_value(); }
  std::size_t remaining() const { return in_.size() - pos_; }
  std::size_t position() const { return pos_; }
  // The first error, or "trailing_bytes" when input remains. Call after the last field.
  Status finish() const;
  // The first error so far (ignores trailing input), for decoding a prefix.
  Status status() const;

 private:
  std::optional<ByteSpan> take(std::size_t n, std::string_view field);
  template <typename T>
  T little_endian(std::string_view field);

  ByteSpan in_;
  std::size_t pos_ = 0;
  std::optional<Error> error_;
};

}  // namespace bizra::codec
