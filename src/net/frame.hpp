#pragma once
// The P2P frame format (docs/network.md): every message on an authenticated connection is
//
//   u32 body length (big-endian) ‖ u8 type ‖ body
//
// Type 0 is data (handed to the upper layer), 1 ping and 2 pong (keep-alive; their body is
// empty). The length is checked against the receiver's limit *before* any body byte is buffered,
// so a peer cannot make us allocate more than one maximum-size frame.
//
// This module is pure (no I/O, no clock) so that it can be unit-tested and fuzzed on its own.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.hpp"
#include "base/error.hpp"

namespace bizra::net {

enum class FrameType : std::uint8_t { kData = 0, kPing = 1, kPong = 2 };

inline constexpr std::size_t kFrameHeaderSize = 5;

struct FrameHeader {
  FrameType type = FrameType::kData;
  std::uint32_t body_size = 0;
  bool operator==(const FrameHeader&) const = default;
};

using FrameHeaderBytes = std::array<std::uint8_t, kFrameHeaderSize>;

FrameHeaderBytes encode_frame_header(const FrameHeader& header);

// Decodes the first kFrameHeaderSize bytes of `bytes`. Errors (stable codes):
//   "truncated"          fewer than kFrameHeaderSize bytes;
//   "unknown_frame_type" a type byte other than 0, 1, 2;
//   "bad_control_frame"  a ping or pong with a non-empty body;
//   "oversized_frame"    a data body longer than `max_body_size`.
Result<FrameHeader> decode_frame_header(ByteSpan bytes, std::size_t max_body_size);

struct Frame {
  FrameType type = FrameType::kData;
  Bytes body;
};

// Header and body in one buffer, as written to the wire. The body must fit in a u32.
Bytes encode_frame(FrameType type, ByteSpan body);

// Splits a received byte stream into frames. Bytes arrive in arbitrary pieces (append); next()
// returns complete frames in order. The first malformed header ends the stream: next() returns
// its error from then on, so a caller cannot accidentally resynchronise on garbage.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::size_t max_body_size) : max_body_size_(max_body_size) {}

  void append(ByteSpan bytes);
  // The next complete frame, nullopt when more bytes are needed, or the stream's error.
  Result<std::optional<Frame>> next();
  // Bytes received but not yet returned as frames (at most one partial frame after next()
  // has returned nullopt).
  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::size_t max_body_size_;
  Bytes buffer_;
  std::size_t consumed_ = 0;  // prefix of buffer_ already returned as frames
  std::optional<Error> error_;
};

}  // namespace bizra::net
