// Rule 1 (structure), exact decimals, RFC 3339 instants, canonical form, digest and signing.
#include "poi/attestation.hpp"

#include <gtest/gtest.h>

#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"
#include "fixture.hpp"
#include "poi/decimal.hpp"

namespace bizra::poi {
namespace {

using testing::document;
using testing::J;
using testing::signed_text;
using testing::with;
using testing::without;

// The error of parse(text); fails the test when parsing succeeds.
Error parse_error(std::string_view text) {
  auto parsed = parse(text);
  EXPECT_FALSE(parsed.ok()) << "parsed: " << text.substr(0, 200);
  return parsed ? Error("", "") : parsed.error();
}

void expect_malformed_text(std::string_view text, std::string_view message_prefix) {
  const Error e = parse_error(text);
  EXPECT_EQ(e.code(), "malformed");
  EXPECT_TRUE(e.message().starts_with(message_prefix)) << e.message();
}

// `doc` signed: signing replaces the signature member, so defects there need the text form.
void expect_malformed(const json::Value& doc, std::string_view message_prefix) {
  expect_malformed_text(signed_text(doc), message_prefix);
}

// --- exact decimals --------------------------------------------------------------------------

TEST(Decimal, ReadsExactMicroUnits) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"0.74", 740'000},
      {"0.90", 900'000},
      {"9e-1", 900'000},
      {"90E-2", 900'000},
      {"0.1000000", 100'000},
      {"1E+2", 100'000'000},
      {"1.5e2", 150'000'000},
      {"0.000001", 1},
      {"-0.5", -500'000},
      {"-0", 0},
      {"0e-99", 0},
      {"0.0000000", 0},
      {"1", 1'000'000},
      {"100000e-11", 1},
      {"0e999999999999999999999", 0},
      {"999999999999.999999", decimal::kMaxScaled},
      {"-999999999999.999999", -decimal::kMaxScaled},
  };
  for (const auto& [text, micro] : cases) {
    auto value = decimal::to_micro(text);
    ASSERT_TRUE(value.ok()) << text << ": " << value.error().to_string();
    EXPECT_EQ(*value, micro) << text;
  }
}

TEST(Decimal, RefusesSeventhFractionalDigit) {
  for (const char* text : {"1e-7", "0.0000001", "0.1234567", "1.0000001", "123e-9", "1e-999999999999999"}) {
    auto value = decimal::to_micro(text);
    ASSERT_FALSE(value.ok()) << text;
    EXPECT_EQ(value.error().code(), "too_precise") << text;
  }
}

TEST(Decimal, RefusesMagnitudesThatDoNotFit) {
  for (const char* text :
       {"1000000000000", "1e12", "-1e12", "1e999999999999999999", "123456789012345678901234567890"}) {
    auto value = decimal::to_micro(text);
    ASSERT_FALSE(value.ok()) << text;
    EXPECT_EQ(value.error().code(), "out_of_range") << text;
  }
}

TEST(Decimal, RefusesWhatIsNotAJsonNumber) {
  for (const char* text : {"", "-", "01", "1.", ".5", "+1", "1e", "1e+", "0x10", "1 ", " 1", "NaN", "1.2.3", "--1"}) {
    auto value = decimal::to_micro(text);
    ASSERT_FALSE(value.ok()) << "'" << text << "'";
    EXPECT_EQ(value.error().code(), "bad_decimal") << text;
  }
}

TEST(Decimal, ScaleZeroReadsIntegers) {
  EXPECT_EQ(decimal::to_scaled("8.0", 0).value(), 8);
  EXPECT_EQ(decimal::to_scaled("0.8e1", 0).value(), 8);
  EXPECT_EQ(decimal::to_scaled("8.5", 0).error().code(), "too_precise");
}

TEST(Decimal, FormatsShortestAndReadsBack) {
  EXPECT_EQ(decimal::format_micro(740'000), "0.74");
  EXPECT_EQ(decimal::format_micro(0), "0");
  EXPECT_EQ(decimal::format_micro(1), "0.000001");
  EXPECT_EQ(decimal::format_micro(-1'500'000), "-1.5");
  EXPECT_EQ(decimal::format_micro(3'000'000), "3");
  EXPECT_EQ(decimal::format_micro(INT64_MIN), "-9223372036854.775808");
  for (std::int64_t micro : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::int64_t{999'999},
                             std::int64_t{1'000'001}, std::int64_t{-123'456'789}, decimal::kMaxScaled})
    EXPECT_EQ(decimal::to_micro(decimal::format_micro(micro)).value(), micro) << micro;
}

// --- RFC 3339 instants -----------------------------------------------------------------------

TEST(UtcTime, ParsesWithCalendarArithmetic) {
  const std::pair<const char*, std::int64_t> cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-01-01T00:00:00Z", 1'767'225'600},
      {"2000-02-29T12:34:56Z", 951'827'696},
      {"1969-12-31T23:59:59Z", -1},
      {"0000-01-01T00:00:00Z", -62'167'219'200},
      {"9999-12-31T23:59:59Z", 253'402'300'799},
  };
  for (const auto& [text, seconds] : cases) {
    auto instant = parse_utc(text);
    ASSERT_TRUE(instant.ok()) << text << ": " << instant.error().to_string();
    EXPECT_EQ(instant->unix_seconds, seconds) << text;
    EXPECT_EQ(instant->nanos, 0u);
    EXPECT_EQ(format_utc(seconds).value(), text);
  }
}

TEST(UtcTime, ParsesFractionalSeconds) {
  EXPECT_EQ(parse_utc("2026-01-01T00:00:00.5Z").value(), (UtcInstant{1'767'225'600, 500'000'000}));
  EXPECT_EQ(parse_utc("2026-01-01T00:00:00.000Z").value(), (UtcInstant{1'767'225'600, 0}));
  EXPECT_EQ(parse_utc("2026-01-01T00:00:00.123456789Z").value(), (UtcInstant{1'767'225'600, 123'456'789}));
}

TEST(UtcTime, RefusesAnythingButStrictUtc) {
  for (const char* text : {"2026-01-01T00:00:00",
                           "2026-01-01T00:00:00+00:00",
                           "2026-01-01t00:00:00Z",
                           "2026-01-01T00:00:00z",
                           "2026-01-01 00:00:00Z",
                           "2026-1-01T00:00:00Z",
                           "2026-01-01T00:00:00.Z",
                           "2026-01-01T00:00:00.1234567890Z",
                           "2026-01-01T00:00:60Z",
                           "2026-01-01T24:00:00Z",
                           "2026-01-01T00:60:00Z",
                           "2026-13-01T00:00:00Z",
                           "2026-00-01T00:00:00Z",
                           "2026-01-00T00:00:00Z",
                           "2025-02-29T00:00:00Z",
                           "1900-02-29T00:00:00Z",
                           "2026-04-31T00:00:00Z",
                           "+2026-01-01T00:00:00Z",
                           "2026-01-01T00:00:00,5Z",
                           "20a6-01-01T00:00:00Z",
                           ""}) {
    auto instant = parse_utc(text);
    EXPECT_FALSE(instant.ok()) << text;
  }
  EXPECT_TRUE(parse_utc("2024-02-29T00:00:00Z").ok());
  EXPECT_TRUE(parse_utc("2000-02-29T00:00:00Z").ok());
}

TEST(UtcTime, FormatRefusesYearsOutsideFourDigits) {
  EXPECT_FALSE(format_utc(-62'167'219'201).ok());
  EXPECT_FALSE(format_utc(253'402'300'800).ok());
}

// --- structure (rule 1) ----------------------------------------------------------------------

TEST(Parse, ReadsEveryMember) {
  auto parsed = parse(signed_text(document()));
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  const Attestation& a = *parsed;
  EXPECT_EQ(a.version, "poi-1.0");
  EXPECT_EQ(a.anchor.chain_id, "bizra-devnet");
  EXPECT_EQ(a.anchor.block_ref, hex::encode(testing::finalized_block()));
  ASSERT_TRUE(a.resources.has_value());
  EXPECT_EQ(a.resources->cpu_cores, 8u);
  EXPECT_EQ(a.resources->ram_gb, 32u);
  EXPECT_EQ(a.resources->gpu_vram_gb, 0u);
  EXPECT_EQ(a.resources->wallclock_sec, 3600u);
  EXPECT_EQ(a.evidence.pack_bytes, 123456u);
  EXPECT_EQ(a.evidence.files_processed, 42u);
  EXPECT_EQ(a.evidence.redactions_count, 0u);
  EXPECT_EQ(a.evidence.methodology_ref, "https://example.org/methodology/v1");
  EXPECT_EQ(a.measurement.dimensions, (NumberMap{{"quality", "0.9"}, {"reach", "0.5"}}));
  EXPECT_EQ(a.measurement.impact_score, "0.74");
  ASSERT_TRUE(a.benchmarks.has_value());
  EXPECT_EQ(a.benchmarks->delta, (NumberMap{{"performance", "0.3"}}));
  EXPECT_EQ(a.time_window, (std::vector<std::string>{"2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"}));
  EXPECT_EQ(a.signature.alg, "ed25519");
  EXPECT_EQ(a.signature.sig_base16.size(), 128u);
}

TEST(Parse, KeepsNumberLiteralsAsWritten) {
  auto text = signed_text(document());
  const std::string from = "\"impact_score\":0.74";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(), "\"impact_score\":7.40e-1");
  EXPECT_EQ(parse(text).value().measurement.impact_score, "7.40e-1");
}

TEST(Parse, OptionalMembersMayBeAbsent) {
  json::Value doc = document();
  for (const char* path : {"resources", "benchmarks", "anchor.block_ref", "evidence.pack_bytes",
                           "evidence.files_processed", "evidence.redactions_count", "evidence.methodology_ref"})
    doc = without(doc, path);
  auto parsed = parse(signed_text(doc));
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_FALSE(parsed->resources || parsed->benchmarks || parsed->anchor.block_ref || parsed->evidence.pack_bytes ||
               parsed->evidence.methodology_ref);
}

class RequiredMember : public ::testing::TestWithParam<const char*> {};

TEST_P(RequiredMember, IsMalformedWhenMissing) {
  const std::string path = GetParam();
  expect_malformed(without(document(), path), path + ": missing");
}

INSTANTIATE_TEST_SUITE_P(Parse, RequiredMember,
                         ::testing::Values("version", "anchor", "anchor.chain_id", "anchor.genesis_root", "attester",
                                           "attester.id", "attester.pubkey", "resources.cpu_cores", "resources.ram_gb",
                                           "resources.gpu_vram_gb", "resources.wallclock_sec", "evidence",
                                           "evidence.pack_sha256", "measurement", "measurement.dimensions",
                                           "measurement.weights", "measurement.impact_score", "benchmarks.pre",
                                           "benchmarks.post", "benchmarks.delta", "time_window", "nonce"));

TEST(Parse, SignatureIsRequired) {
  const Error e = parse_error(jcs::serialize(document()));
  EXPECT_EQ(e.code(), "malformed");
  EXPECT_EQ(e.message(), "signature: missing");
  const auto signed_doc = J(signed_text(document()));
  expect_malformed_text(jcs::serialize(without(signed_doc, "signature.alg")), "signature.alg: missing");
}

TEST(Parse, RefusesUnknownMembersAtEveryDepth) {
  for (const char* path : {"extra", "anchor.extra", "attester.extra", "resources.extra", "evidence.extra",
                           "measurement.extra", "benchmarks.extra"})
    expect_malformed(with(document(), path, J("1")), std::string(path) + ": unknown member");
  expect_malformed_text(jcs::serialize(with(J(signed_text(document())), "signature.extra", J("true"))),
                        "signature.extra: unknown member");
}

TEST(Parse, NamesTheMemberOfTheWrongType) {
  const std::pair<const char*, const char*> cases[] = {
      {"version", "1"},
      {"anchor", "[]"},
      {"anchor.block_ref", "null"},
      {"attester.pubkey", "{}"},
      {"measurement.weights.reach", "\"0.4\""},
      {"measurement.dimensions", "[0.9]"},
      {"measurement.impact_score", "\"0.74\""},
      {"benchmarks.post.performance", "true"},
      {"time_window", "\"2026-01-01T00:00:00Z\""},
      {"nonce", "12345678901234567890123456789012"},
      {"evidence.methodology_ref", "7"},
  };
  for (const auto& [path, value] : cases)
    expect_malformed(with(document(), path, J(value)), std::string(path) + ": expected ");
  expect_malformed(with(document(), "measurement.weights.reach", J("\"0.4\"")),
                   "measurement.weights.reach: expected a number, got string");
  expect_malformed(with(document(), "time_window", J(R"(["2026-01-01T00:00:00Z", 5])")),
                   "time_window[1]: expected a string, got number");
}

TEST(Parse, ReadsIntegersByValue) {
  for (const char* ok : {"8", "8.0", "0.8e1", "-0", "9007199254740991"})
    EXPECT_TRUE(parse(signed_text(with(document(), "resources.cpu_cores", J(ok)))).ok()) << ok;
  for (const char* bad : {"-1", "1.5", "9007199254740992", "1e300"})
    expect_malformed(with(document(), "evidence.pack_bytes", J(bad)),
                     "evidence.pack_bytes: expected an integer in [0, 2^53-1]");
}

TEST(Parse, AllowsThirtyTwoDimensionsNotThirtyThree) {
  std::string dims = "{";
  for (int i = 0; i < 33; ++i) {
    if (i == 32) {
      ASSERT_TRUE(parse(signed_text(with(document(), "measurement.dimensions", J(dims + "}")))).ok());
      expect_malformed(with(document(), "measurement.dimensions", J(dims + ", \"d32\": 0}")),
                       "measurement.dimensions: more than 32 dimensions");
    }
    dims += (i == 0 ? "" : ", ") + std::string("\"d") + std::to_string(i) + "\": 0";
  }
}

TEST(Parse, AllowsSixtyFourKibibytesNotOneByteMore) {
  std::string text = signed_text(document());
  text.append(kMaxDocumentBytes - text.size(), ' ');
  ASSERT_EQ(text.size(), 65536u);
  EXPECT_TRUE(parse(text).ok());
  text += ' ';
  const Error e = parse_error(text);
  EXPECT_EQ(e.code(), "malformed");
  EXPECT_EQ(e.message(), "document: 65537 bytes exceeds the limit of 65536");
}

TEST(Parse, RefusesDuplicateKeysAtAnyDepth) {
  const std::string text = signed_text(document());
  for (const auto& [from, to] : std::initializer_list<std::pair<std::string, std::string>>{
           {"\"nonce\":", "\"nonce\":\"00\",\"nonce\":"},
           {"\"reach\":0.5", "\"reach\":0.5,\"reach\":0.5"},
           {"\"cpu_cores\":8", "\"cpu_cores\":8,\"cpu_cores\":9"}}) {
    std::string dup = text;
    ASSERT_NE(dup.find(from), std::string::npos) << from;
    dup.replace(dup.find(from), from.size(), to);
    const Error e = parse_error(dup);
    EXPECT_EQ(e.code(), "malformed");
    EXPECT_NE(e.message().find("duplicate_key"), std::string::npos) << e.message();
  }
}

TEST(Parse, RefusesWhatIsNotAJsonObject) {
  for (const char* text : {"", "[]", "\"poi\"", "{", "{\"version\": \"poi-1.0\",}", "{} {}", "\xff"})
    EXPECT_EQ(parse_error(text).code(), "malformed") << text;
  EXPECT_EQ(parse_error("[]").message(), "document: expected an object, got array");
}

// --- canonical form, digest, signature --------------------------------------------------------

TEST(Canonical, DropsSignatureAndSortsMembers) {
  const auto doc =
      J(R"({"version": "poi-1.0", "signature": {"alg": "x"}, "nonce": "ab", "anchor": {"z": 1, "a": 2.50}})");
  EXPECT_EQ(canonical_form(doc), R"({"anchor":{"a":2.5,"z":1},"nonce":"ab","version":"poi-1.0"})");
}

TEST(Canonical, DigestIsBlake3OfCanonicalForm) {
  const auto doc = J(signed_text(document()));
  const std::string canonical = canonical_form(doc);
  EXPECT_EQ(digest_of(canonical), crypto::blake3(canonical));
  EXPECT_EQ(canonical.find("signature"), std::string::npos);
}

TEST(Canonical, IdIgnoresSpellingOfTheSameDocument) {
  const auto a = J(R"({"nonce": "ab", "measurement": {"impact_score": 0.74}})");
  const auto b = J(R"( { "measurement" : { "impact_score" : 7.4e-1 } , "nonce" : "ab" } )");
  EXPECT_EQ(canonical_form(a), canonical_form(b));
  EXPECT_NE(canonical_form(a), canonical_form(J(R"({"nonce": "ac", "measurement": {"impact_score": 0.74}})")));
}

TEST(Signature, MessageIsDomainTagZeroAndDigest) {
  Hash32 digest;
  for (std::size_t i = 0; i < digest.size(); ++i) digest.bytes[i] = static_cast<std::uint8_t>(0xa0 + i);
  const SignedMessage m = signed_message(digest);
  ASSERT_EQ(m.size(), 45u);
  EXPECT_EQ(as_chars(m.span().first(12)), "BIZRA/PoI/v1");
  EXPECT_EQ(m.bytes[12], 0x00);
  EXPECT_TRUE(std::equal(digest.bytes.begin(), digest.bytes.end(), m.bytes.begin() + 13));
}

TEST(Signature, SignProducesAVerifyingCanonicalDocument) {
  const std::string text = signed_text(document());
  const auto doc = J(text);
  EXPECT_EQ(jcs::serialize(doc), text);  // the output is itself canonical
  const auto& sig = doc.find("signature")->find("sig_base16")->as_string();
  const auto signature = crypto::Signature{hex::decode_fixed<64>(sig).value()};
  const Hash32 digest = digest_of(canonical_form(doc));
  EXPECT_TRUE(crypto::verify(testing::key().public_key(), signed_message(digest).span(), signature));
  EXPECT_FALSE(crypto::verify(testing::other_key().public_key(), signed_message(digest).span(), signature));
  EXPECT_EQ(doc.find("signature")->find("alg")->as_string(), "ed25519");
}

TEST(Signature, SignReplacesAnExistingSignatureAndIsDeterministic) {
  const std::string once = signed_text(document());
  EXPECT_EQ(sign(once, testing::key()).value(), once);
  EXPECT_NE(sign(once, testing::other_key()).value(), once);
}

TEST(Signature, SignRefusesNonObjects) {
  EXPECT_EQ(sign("[1]", testing::key()).error().code(), "malformed");
  EXPECT_EQ(sign("{", testing::key()).error().code(), "malformed");
  EXPECT_EQ(sign(std::string(kMaxDocumentBytes + 1, ' '), testing::key()).error().code(), "malformed");
}

}  // namespace
}  // namespace bizra::poi
