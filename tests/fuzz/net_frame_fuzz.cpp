// Fuzzes the P2P frame decoder (src/net/frame.hpp), which reads every byte a peer sends after the
// TLS handshake. Input: a limit byte, a chunk-size byte, then the stream. Whatever the bytes: no
// crash, no out-of-bounds read, frames come out in order and re-encode to exactly the bytes they
// were decoded from, no accepted body exceeds the limit, the buffer holds at most one partial
// frame, and the first error is the one decode_frame_header reports for the
// header at that point (and stays).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "net/frame.hpp"

using namespace bizra;
using namespace bizra::net;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t max_body = std::size_t{data[0]} * 4;  // small limits reach "oversized_frame"
  const std::size_t chunk = std::size_t{data[1]} + 1;
  const ByteSpan stream(data + 2, size - 2);

  FrameDecoder decoder(max_body);
  std::size_t consumed = 0;  // stream bytes accounted for by returned frames
  for (std::size_t offset = 0; offset < stream.size(); offset += chunk) {
    decoder.append(stream.subspan(offset, std::min(chunk, stream.size() - offset)));
    for (;;) {
      Result<std::optional<Frame>> next = decoder.next();
      if (!next.ok()) {
        const Result<FrameHeader> header = decode_frame_header(stream.subspan(consumed), max_body);
        if (header.ok() || header.error().code() != next.error().code()) std::abort();
        if (decoder.next().ok() || decoder.buffered() != 0) std::abort();  // sticky, buffer dropped
        return 0;
      }
      if (!next->has_value()) break;
      const Frame& frame = **next;
      if (frame.type == FrameType::kData ? frame.body.size() > max_body : !frame.body.empty()) std::abort();
      const Bytes again = encode_frame(frame.type, frame.body);
      const ByteSpan original = stream.subspan(consumed);
      if (original.size() < again.size() || !std::equal(again.begin(), again.end(), original.begin())) std::abort();
      consumed += again.size();
    }
    if (decoder.buffered() >= kFrameHeaderSize + max_body) std::abort();  // one partial frame at most
  }
  return 0;
}
