#include <gtest/gtest.h>

#include "base/error.hpp"
#include "base/hex.hpp"
#include "base/quorum.hpp"

#include <limits>

namespace bizra {
namespace {

TEST(Hex, EncodesLowercaseAndRoundTrips) {
  const Bytes data = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
  EXPECT_EQ(hex::encode(data), "00017f80abff");
  EXPECT_EQ(hex::decode("00017f80abff").value(), data);
  EXPECT_EQ(hex::decode("00017F80ABFF").value(), data);
  EXPECT_EQ(hex::encode(Bytes{}), "");
  EXPECT_TRUE(hex::decode("").value().empty());
}

TEST(Hex, RejectsOddLengthAndNonHexDigits) {
  for (const char* bad : {"0", "abc", "0g", "zz", " 00", "00 ", "0x00"}) {
    auto r = hex::decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), "bad_hex");
  }
}

TEST(Hex, IsLowerHex) {
  EXPECT_TRUE(hex::is_lower_hex(""));
  EXPECT_TRUE(hex::is_lower_hex("0123456789abcdef"));
  EXPECT_FALSE(hex::is_lower_hex("ABCDEF"));
  EXPECT_FALSE(hex::is_lower_hex("abc"));
  EXPECT_FALSE(hex::is_lower_hex("gg"));
}

TEST(Hex, DecodeFixedChecksLength) {
  EXPECT_TRUE(hex::decode_fixed<2>("abcd").ok());
  EXPECT_EQ(hex::decode_fixed<2>("abcd").value().bytes[1], 0xcd);
  EXPECT_EQ(hex::decode_fixed<2>("abcdef").error().code(), "bad_hex");
  EXPECT_EQ(hex::decode_fixed<2>("ab").error().code(), "bad_hex");
}

Result<int> parse_positive(int x) {
  if (x <= 0) return Error("not_positive", "x must be > 0, got " + std::to_string(x));
  return x;
}

Status twice_positive(int x) {
  BIZRA_TRY(parse_positive(x));
  BIZRA_TRY(parse_positive(x - 1));
  return ok_status();
}

TEST(Result, CarriesValueOrError) {
  auto good = parse_positive(3);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), "not_positive");
  EXPECT_EQ(bad.error().to_string(), "not_positive: x must be > 0, got -1");
  EXPECT_EQ(bad.error().with_context("reading x").message(), "reading x: x must be > 0, got -1");
}

TEST(Result, TryPropagatesTheFirstError) {
  EXPECT_TRUE(twice_positive(2).ok());
  const Status s = twice_positive(1);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message(), "x must be > 0, got 0");
}

TEST(FixedBytes, OrderAndZero) {
  FixedBytes<2> a{{1, 2}}, b{{1, 3}};
  EXPECT_LT(a, b);
  EXPECT_FALSE(a.is_zero());
  EXPECT_TRUE(FixedBytes<4>{}.is_zero());
}

TEST(Quorum, ExactBoundary) {
  EXPECT_TRUE(is_quorum(6'667, 10'000));   // 66670000 >= 66670000
  EXPECT_FALSE(is_quorum(6'666, 10'000));  // 66660000 <  66670000
  EXPECT_FALSE(is_quorum(2, 3));           // 20000 < 20001: two of three equal votes are not enough
  EXPECT_TRUE(is_quorum(3, 4));            // 30000 >= 26668
  EXPECT_TRUE(is_quorum(3, 3));
  EXPECT_FALSE(is_quorum(0, 0));           // no validators, no quorum
}

TEST(Quorum, WideTotals) {
  // ceil((2^64-1) * 6667 / 10000) = 12298444273942158062; the products need 128 bits.
  const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  EXPECT_TRUE(is_quorum(12'298'444'273'942'158'062u, max));
  EXPECT_FALSE(is_quorum(12'298'444'273'942'158'061u, max));
  EXPECT_TRUE(is_quorum(max, max));
}

}  // namespace
}  // namespace bizra
