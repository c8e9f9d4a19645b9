#include "codec/binary.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "base/hex.hpp"

namespace bizra::codec {
namespace {

// A small message shaped like the ones consensus signs, to test round trips end to end.
struct Sample {
  std::uint8_t kind = 0;
  std::uint16_t flags = 0;
  std::uint32_t round = 0;
  std::uint64_t height = 0;
  std::int64_t delta = 0;
  bool final = false;
  Hash32 id;
  std::string name;
  Bytes payload;
  std::vector<std::uint64_t> list;

  static constexpr std::size_t kMaxName = 16, kMaxPayload = 64, kMaxList = 4;

  Bytes encode() const {
    Writer w;
    w.u8(kind).u16(flags).u32(round).u64(height).i64(delta).boolean(final).fixed(id).string(name).bytes(payload);
    w.count(list.size());
    for (auto v : list) w.u64(v);
    return std::move(w).take();
  }

  static Result<Sample> decode(ByteSpan in) {
    Reader r(in);
    Sample s;
    s.kind = r.u8("kind");
    s.flags = r.u16("flags");
    s.round = r.u32("round");
    s.height = r.u64("height");
    s.delta = r.i64("delta");
    s.final = r.boolean("final");
    s.id = r.fixed<32>("id");
    s.name = r.string("name", kMaxName);
    s.payload = r.bytes("payload", kMaxPayload);
    const std::size_t n = r.count("list", kMaxList, 8);
    for (std::size_t i = 0; i < n; ++i) s.list.push_back(r.u64("list[]"));
    BIZRA_TRY(r.finish());
    return s;
  }

  bool operator==(const Sample&) const = default;
};

Sample example() {
  Sample s;
  s.kind = 7;
  s.flags = 0xbeef;
  s.round = 0x01020304;
  s.height = std::numeric_limits<std::uint64_t>::max();
  s.delta = -2;
  s.final = true;
  s.id.bytes.fill(0xaa);
  s.name = "vote";
  s.payload = {1, 2, 3};
  s.list = {5, 6};
  return s;
}

TEST(Binary, IntegersAreFixedWidthLittleEndian) {
  Writer w;
  w.u16(0x0102).u32(0x03040506).u64(0x0708090a0b0c0d0e).i64(-1).boolean(true);
  EXPECT_EQ(hex::encode(w.data()), "0201" "06050403" "0e0d0c0b0a090807" "ffffffffffffffff" "01");
}

TEST(Binary, VariableFieldsHaveU32LengthPrefix) {
  Writer w;
  w.string("ab").bytes(Bytes{}).count(3);
  EXPECT_EQ(hex::encode(w.data()), "020000006162" "00000000" "03000000");
}

TEST(Binary, RoundTrip) {
  const Sample s = example();
  auto decoded = Sample::decode(s.encode());
  ASSERT_TRUE(decoded.ok()) << decoded.error().to_string();
  EXPECT_EQ(*decoded, s);
  auto empty = Sample::decode(Sample{}.encode());
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, Sample{});
}

TEST(Binary, EveryTruncationIsRejected) {
  const Bytes full = example().encode();
  for (std::size_t len = 0; len < full.size(); ++len) {
    auto r = Sample::decode(ByteSpan(full).first(len));
    ASSERT_FALSE(r.ok()) << "length " << len;
    EXPECT_EQ(r.error().code(), "truncated") << "length " << len << ": " << r.error().message();
  }
}

TEST(Binary, TrailingBytesAreRejected) {
  Bytes full = example().encode();
  full.push_back(0);
  auto r = Sample::decode(full);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "trailing_bytes");
}

TEST(Binary, OversizeLengthsAreRejectedBeforeAllocating) {
  Sample s = example();
  s.name = std::string(Sample::kMaxName + 1, 'x');
  auto r = Sample::decode(s.encode());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "too_long");
  EXPECT_NE(r.error().message().find("'name'"), std::string::npos);

  s = example();
  s.list.assign(Sample::kMaxList + 1, 1);
  EXPECT_EQ(Sample::decode(s.encode()).error().code(), "too_long");

  // A length of 4 GiB on a tiny input: refused by the maximum, never allocated.
  const Bytes four_gib = {0xff, 0xff, 0xff, 0xff};
  Reader huge(four_gib);
  EXPECT_TRUE(huge.bytes("blob", 1u << 20).empty());
  EXPECT_EQ(huge.finish().error().code(), "too_long");
}

TEST(Binary, CountCannotExceedWhatTheInputCouldHold) {
  // 3 elements of >= 8 bytes each cannot fit in 4 remaining bytes.
  const Bytes input = {3, 0, 0, 0, 1, 2, 3, 4};
  Reader r(input);
  EXPECT_EQ(r.count("list", 100, 8), 0u);
  EXPECT_EQ(r.finish().error().code(), "truncated");
}

TEST(Binary, BooleanMustBeZeroOrOne) {
  const Bytes input = {2};
  Reader r(input);
  r.boolean("flag");
  EXPECT_EQ(r.finish().error().code(), "bad_value");
}

TEST(Binary, FirstErrorIsSticky) {
  const Bytes input = {1};
  Reader r(input);
  r.u32("first");
  r.u8("second");
  r.fail("custom", "later error");
  const Status st = r.finish();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), "truncated");
  EXPECT_NE(st.error().message().find("'first'"), std::string::npos);
}

}  // namespace
}  // namespace bizra::codec
