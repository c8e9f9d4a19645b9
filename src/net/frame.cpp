#include "net/frame.hpp"

#include <algorithm>
#include <cassert>
#include <limits>
#include <string>

namespace bizra::net {

FrameHeaderBytes encode_frame_header(const FrameHeader& header) {
  const std::uint32_t n = header.body_size;
  return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n),
          static_cast<std::uint8_t>(header.type)};
}

Result<FrameHeader> decode_frame_header(ByteSpan bytes, std::size_t max_body_size) {
  if (bytes.size() < kFrameHeaderSize) {
    return Error("truncated", "frame header needs " + std::to_string(kFrameHeaderSize) + " bytes, got " +
                                  std::to_string(bytes.size()));
  }
  const std::uint32_t size = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                             (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
  const std::uint8_t type = bytes[4];
  switch (type) {
    case static_cast<std::uint8_t>(FrameType::kData):
      if (size > max_body_size) {
        return Error("oversized_frame", "frame body of " + std::to_string(size) + " bytes exceeds the limit of " +
                                            std::to_string(max_body_size));
      }
      return FrameHeader{FrameType::kData, size};
    case static_cast<std::uint8_t>(FrameType::kPing):
    case static_cast<std::uint8_t>(FrameType::kPong):
      if (size != 0) return Error("bad_control_frame", "ping/pong frame with a " + std::to_string(size) + "-byte body");
      return FrameHeader{static_cast<FrameType>(type), 0};
    default:
      return Error("unknown_frame_type", "frame type " + std::to_string(type));
  }
}

Bytes encode_frame(FrameType type, ByteSpan body) {
  assert(body.size() <= std::numeric_limits<std::uint32_t>::max());
  const FrameHeaderBytes header = encode_frame_header({type, static_cast<std::uint32_t>(body.size())});
  Bytes out(kFrameHeaderSize + body.size());
  std::copy(header.begin(), header.end(), out.begin());
  std::copy(body.begin(), body.end(), out.begin() + kFrameHeaderSize);
  return out;
}

void FrameDecoder::append(ByteSpan bytes) {
  if (error_) return;  // the stream is dead; keep nothing more
  // Drop the frames already returned before growing, so the buffer holds at most one partial
  // frame plus the new piece.
  if (consumed_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Frame>> FrameDecoder::next() {
  if (error_) return *error_;
  const ByteSpan pending = ByteSpan(buffer_).subspan(consumed_);
  if (pending.size() < kFrameHeaderSize) return std::optional<Frame>();
  Result<FrameHeader> header = decode_frame_header(pending, max_body_size_);
  if (!header.ok()) {
    error_ = header.error();
    buffer_.clear();
    consumed_ = 0;
    return *error_;
  }
  const std::size_t total = kFrameHeaderSize + header->body_size;
  if (pending.size() < total) return std::optional<Frame>();
  const ByteSpan body = pending.subspan(kFrameHeaderSize, header->body_size);
  Frame frame{header->type, Bytes(body.begin(), body.end())};
  consumed_ += total;
  return std::optional<Frame>(std::move(frame));
}

}  // namespace bizra::net
