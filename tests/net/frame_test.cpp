// The frame codec (src/net/frame.hpp): header layout, every malformed header, the size limit,
// and the streaming decoder's handling of arbitrary splits and of its first error.

#include "net/frame.hpp"

#include <gtest/gtest.h>

namespace bizra::net {
namespace {

std::string code(const Result<FrameHeader>& r) { return r.ok() ? "ok" : std::string(r.error().code()); }

TEST(FrameHeader, LayoutIsBigEndianLengthThenType) {
  const FrameHeaderBytes bytes = encode_frame_header({FrameType::kData, 0x01020304});
  EXPECT_EQ(bytes, (FrameHeaderBytes{0x01, 0x02, 0x03, 0x04, 0x00}));
  EXPECT_EQ(encode_frame_header({FrameType::kPing, 0}), (FrameHeaderBytes{0, 0, 0, 0, 1}));
  EXPECT_EQ(encode_frame_header({FrameType::kPong, 0}), (FrameHeaderBytes{0, 0, 0, 0, 2}));
}

TEST(FrameHeader, RoundTrips) {
  for (const FrameHeader header : {FrameHeader{FrameType::kData, 0}, FrameHeader{FrameType::kData, 1},
                                   FrameHeader{FrameType::kData, 0xFFFFFFFF}, FrameHeader{FrameType::kPing, 0},
                                   FrameHeader{FrameType::kPong, 0}}) {
    const FrameHeaderBytes bytes = encode_frame_header(header);
    const Result<FrameHeader> decoded = decode_frame_header(bytes, 0xFFFFFFFF);
    ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
    EXPECT_EQ(*decoded, header);
  }
}

TEST(FrameHeader, TruncatedHeaders) {
  const Bytes full{0, 0, 0, 1, 0};
  for (std::size_t n = 0; n < kFrameHeaderSize; ++n) {
    EXPECT_EQ(code(decode_frame_header(ByteSpan(full.data(), n), 100)), "truncated") << n;
  }
  EXPECT_EQ(code(decode_frame_header(full, 100)), "ok");
}

TEST(FrameHeader, EveryUnknownTypeIsRejected) {
  for (int type = 3; type <= 255; ++type) {
    const Bytes header{0, 0, 0, 0, static_cast<std::uint8_t>(type)};
    EXPECT_EQ(code(decode_frame_header(header, 100)), "unknown_frame_type") << type;
  }
}

TEST(FrameHeader, ControlFramesMustBeEmpty) {
  EXPECT_EQ(code(decode_frame_header(Bytes{0, 0, 0, 1, 1}, 100)), "bad_control_frame");
  EXPECT_EQ(code(decode_frame_header(Bytes{0x80, 0, 0, 0, 2}, 100)), "bad_control_frame");
}

TEST(FrameHeader, SizeLimitIsInclusive) {
  EXPECT_EQ(code(decode_frame_header(encode_frame_header({FrameType::kData, 1000}), 1000)), "ok");
  EXPECT_EQ(code(decode_frame_header(encode_frame_header({FrameType::kData, 1001}), 1000)), "oversized_frame");
  EXPECT_EQ(code(decode_frame_header(encode_frame_header({FrameType::kData, 0xFFFFFFFF}), 4 << 20)),
            "oversized_frame");
  EXPECT_EQ(code(decode_frame_header(encode_frame_header({FrameType::kData, 1}), 0)), "oversized_frame");
}

TEST(FrameCodec, EncodeFramePrefixesTheHeader) {
  const Bytes frame = encode_frame(FrameType::kData, to_bytes("abc"));
  EXPECT_EQ(frame, (Bytes{0, 0, 0, 3, 0, 'a', 'b', 'c'}));
}

Bytes three_frames() {
  Bytes stream = encode_frame(FrameType::kData, to_bytes("hello"));
  const Bytes ping = encode_frame(FrameType::kPing, {});
  const Bytes empty = encode_frame(FrameType::kData, {});
  stream.insert(stream.end(), ping.begin(), ping.end());
  stream.insert(stream.end(), empty.begin(), empty.end());
  return stream;
}

void expect_three_frames(const std::vector<Frame>& frames) {
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].type, FrameType::kData);
  EXPECT_EQ(frames[0].body, to_bytes("hello"));
  EXPECT_EQ(frames[1].type, FrameType::kPing);
  EXPECT_TRUE(frames[1].body.empty());
  EXPECT_EQ(frames[2].type, FrameType::kData);
  EXPECT_TRUE(frames[2].body.empty());
}

std::vector<Frame> drain(FrameDecoder& decoder) {
  std::vector<Frame> out;
  for (;;) {
    Result<std::optional<Frame>> next = decoder.next();
    EXPECT_TRUE(next.ok());
    if (!next.ok() || !next->has_value()) return out;
    out.push_back(std::move(**next));
  }
}

TEST(FrameDecoder, WholeStreamAtOnce) {
  FrameDecoder decoder(100);
  decoder.append(three_frames());
  expect_three_frames(drain(decoder));
  EXPECT_EQ(decoder.buffered(), 0u);
}

TEST(FrameDecoder, OneByteAtATime) {
  const Bytes stream = three_frames();
  FrameDecoder decoder(100);
  std::vector<Frame> frames;
  for (const std::uint8_t b : stream) {
    decoder.append(ByteSpan(&b, 1));
    for (Frame& f : drain(decoder)) frames.push_back(std::move(f));
    EXPECT_LT(decoder.buffered(), kFrameHeaderSize + 5);  // never more than one partial frame
  }
  expect_three_frames(frames);
}

TEST(FrameDecoder, PartialFrameWaitsForMore) {
  const Bytes frame = encode_frame(FrameType::kData, to_bytes("hello"));
  FrameDecoder decoder(100);
  decoder.append(ByteSpan(frame).first(7));
  Result<std::optional<Frame>> next = decoder.next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  EXPECT_EQ(decoder.buffered(), 7u);
  decoder.append(ByteSpan(frame).subspan(7));
  next = decoder.next();
  ASSERT_TRUE(next.ok());
  ASSERT_TRUE(next->has_value());
  EXPECT_EQ((*next)->body, to_bytes("hello"));
}

TEST(FrameDecoder, OversizedHeaderFailsBeforeTheBodyArrives) {
  FrameDecoder decoder(1024);
  decoder.append(encode_frame_header({FrameType::kData, 1025}));
  Result<std::optional<Frame>> next = decoder.next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().code(), "oversized_frame");
}

TEST(FrameDecoder, FirstErrorIsStickyAndDropsTheBuffer) {
  FrameDecoder decoder(100);
  Bytes stream = encode_frame(FrameType::kData, to_bytes("ok"));
  const Bytes bad{0, 0, 0, 0, 9};
  stream.insert(stream.end(), bad.begin(), bad.end());
  decoder.append(stream);
  Result<std::optional<Frame>> first = decoder.next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  for (int i = 0; i < 2; ++i) {
    Result<std::optional<Frame>> next = decoder.next();
    ASSERT_FALSE(next.ok());
    EXPECT_EQ(next.error().code(), "unknown_frame_type");
    decoder.append(encode_frame(FrameType::kData, to_bytes("later")));  // ignored: the stream is dead
    EXPECT_EQ(decoder.buffered(), 0u);
  }
}

}  // namespace
}  // namespace bizra::net
