// The ten validation rules: each passing and failing at its boundaries, and their order.
#include "poi/validate.hpp"

#include <gtest/gtest.h>

#include <climits>

#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "fixture.hpp"

namespace bizra::poi {
namespace {

using testing::context;
using testing::document;
using testing::J;
using testing::signed_text;
using testing::with;
using testing::without;

Result<ValidatedAttestation> check(const json::Value& doc, const ValidationContext& ctx = context()) {
  return validate(signed_text(doc), ctx);
}

// Expects `result` to fail with `code` and a message that starts with `path`.
void expect_error(const Result<ValidatedAttestation>& result, std::string_view code, std::string_view path) {
  ASSERT_FALSE(result.ok()) << "expected " << code;
  EXPECT_EQ(result.error().code(), code) << result.error().to_string();
  EXPECT_TRUE(result.error().message().starts_with(std::string(path) + ":")) << result.error().to_string();
}

void expect_ok(const Result<ValidatedAttestation>& result) { EXPECT_TRUE(result.ok()) << result.error().to_string(); }

json::Value str(std::string_view s) { return json::Value::string(std::string(s)); }

json::Value window(std::int64_t start, std::int64_t end) {
  return json::Value::array({str(format_utc(start).value()), str(format_utc(end).value())});
}

TEST(Validate, AcceptsTheFullDocumentAndDecodesIt) {
  const std::string text = signed_text(document());
  auto v = validate(text, context());
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  const std::string canonical = canonical_form(J(text));
  EXPECT_EQ(v->digest, crypto::blake3(canonical));
  EXPECT_EQ(v->id, hex::encode(v->digest));
  EXPECT_EQ(v->pubkey, testing::key().public_key());
  EXPECT_EQ(v->attester_id, crypto::account_id(testing::key().public_key()));
  EXPECT_EQ(v->block_ref, testing::finalized_block());
  EXPECT_EQ(v->pack_sha256, crypto::blake3("evidence pack"));
  EXPECT_EQ(v->nonce, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  EXPECT_EQ(v->window_start, (UtcInstant{1'767'225'600, 0}));
  EXPECT_EQ(v->window_end, (UtcInstant{1'767'312'000, 0}));
  EXPECT_EQ(v->dimensions, (MicroMap{{"quality", 900'000}, {"reach", 500'000}}));
  EXPECT_EQ(v->weights, (MicroMap{{"quality", 600'000}, {"reach", 400'000}}));
  EXPECT_EQ(v->impact_micro, 740'000);
  ASSERT_TRUE(v->benchmarks.has_value());
  EXPECT_EQ(v->benchmarks->delta, (MicroMap{{"performance", 300'000}}));
}

TEST(Validate, AcceptsTheMinimalDocument) {
  json::Value doc = document();
  for (const char* path : {"resources", "benchmarks", "anchor.block_ref", "evidence.pack_bytes",
                           "evidence.files_processed", "evidence.redactions_count", "evidence.methodology_ref"})
    doc = without(doc, path);
  ValidationContext offline = context();
  offline.is_finalized_block = nullptr;
  auto v = check(doc, offline);
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_FALSE(v->block_ref.has_value());
  EXPECT_FALSE(v->benchmarks.has_value());
}

TEST(Validate, StagesComposeToValidate) {
  const std::string text = signed_text(document());
  const Attestation doc = parse(text).value();
  auto rules = check_rules(doc, context());
  ASSERT_TRUE(rules.ok());
  const Hash32 digest = digest_of(canonical_form(doc.json));
  auto signature = check_signature(doc, rules->pubkey, digest);
  ASSERT_TRUE(signature.ok());
  EXPECT_EQ(*signature, validate(text, context())->signature);
  EXPECT_EQ(check_signature(doc, testing::other_key().public_key(), digest).error().code(), "bad_signature");
}

// Rule 1 is parse()'s (attestation_test.cpp); validate() reports it too.
TEST(Rule1, MalformedComesFromParse) {
  expect_error(check(with(document(), "anchor.extra", J("1"))), "malformed", "anchor.extra");
  expect_error(validate("{\"version\":", context()), "malformed", "document");
}

TEST(Rule2, VersionMustBePoi10) {
  for (const char* version : {"poi-1.1", "POI-1.0", "poi-1.0 ", ""})
    expect_error(check(with(document(), "version", str(version))), "bad_version", "version");
}

TEST(Rule3, AnchorMustBeThisNetwork) {
  expect_error(check(with(document(), "anchor.chain_id", str("bizra-mainnet"))), "wrong_chain", "anchor.chain_id");
  expect_error(check(with(document(), "anchor.genesis_root", str(hex::encode(crypto::blake3("other"))))), "wrong_chain",
               "anchor.genesis_root");
  std::string upper = hex::encode(testing::genesis_root());
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, hex::encode(testing::genesis_root()));
  expect_error(check(with(document(), "anchor.genesis_root", str(upper))), "wrong_chain", "anchor.genesis_root");
  expect_error(check(with(document(), "anchor.genesis_root", str("00"))), "wrong_chain", "anchor.genesis_root");
}

TEST(Rule3, BlockRefMustBeFinalized) {
  expect_error(check(with(document(), "anchor.block_ref", str(hex::encode(crypto::blake3("block 2"))))),
               "unknown_block_ref", "anchor.block_ref");
  expect_error(check(with(document(), "anchor.block_ref", str("abc"))), "unknown_block_ref", "anchor.block_ref");
  ValidationContext offline = context();
  offline.is_finalized_block = nullptr;  // knows no block
  expect_error(check(document(), offline), "unknown_block_ref", "anchor.block_ref");
  expect_ok(check(without(document(), "anchor.block_ref"), offline));
}

TEST(Rule4, AttesterMustBeAWellFormedMatchingKey) {
  const std::string pubkey = crypto::format_public_key(testing::key().public_key());
  for (const std::string& bad : {pubkey.substr(8), "ed448:" + pubkey.substr(8), pubkey.substr(0, pubkey.size() - 1),
                                 pubkey + "0", "ED25519:" + pubkey.substr(8)})
    expect_error(check(with(document(), "attester.pubkey", str(bad))), "bad_attester", "attester.pubkey");
  const std::string other_id = crypto::account_id(testing::other_key().public_key());
  expect_error(check(with(document(), "attester.id", str(other_id))), "bad_attester", "attester.id");
  expect_error(check(with(document(), "attester.id", str(""))), "bad_attester", "attester.id");
}

TEST(Rule5, PackDigestMustBe64LowercaseHex) {
  const std::string good = hex::encode(crypto::blake3("evidence pack"));
  std::string upper = good;
  upper[upper.find_first_of("abcdef")] = 'A';
  for (const std::string& bad : {upper, good.substr(1), good + "00", std::string(64, 'g'), std::string()})
    expect_error(check(with(document(), "evidence.pack_sha256", str(bad))), "bad_evidence", "evidence.pack_sha256");
}

TEST(Rule6, NonceLengthBoundaries) {
  const auto nonce = [](std::size_t n) { return str(std::string(n, 'a')); };
  expect_error(check(with(document(), "nonce", nonce(31))), "bad_nonce", "nonce");
  expect_ok(check(with(document(), "nonce", nonce(32))));
  expect_ok(check(with(document(), "nonce", nonce(33))));  // hex digits, not bytes: odd counts are fine
  expect_ok(check(with(document(), "nonce", nonce(128))));
  expect_error(check(with(document(), "nonce", nonce(129))), "bad_nonce", "nonce");
  expect_ok(check(with(document(), "nonce", str("0123456789ABCDEFabcdef0123456789"))));
  expect_error(check(with(document(), "nonce", str("0123456789abcdefg123456789abcdef"))), "bad_nonce", "nonce");
  expect_error(check(with(document(), "nonce", str(""))), "bad_nonce", "nonce");
}

TEST(Rule6, ReplayIsPerAttesterAndNonce) {
  testing::State state;
  const std::string nonce = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
  expect_ok(check(document(), context(state)));
  state.used_nonces.insert({testing::key().public_key(), nonce});
  expect_error(check(document(), context(state)), "replay", "nonce");
  expect_ok(check(with(document(), "nonce", str(nonce + "00")), context(state)));

  // The same nonce from another attester is not a replay.
  const auto& other = testing::other_key().public_key();
  json::Value theirs = with(document(), "attester.pubkey", str(crypto::format_public_key(other)));
  theirs = with(theirs, "attester.id", str(crypto::account_id(other)));
  expect_ok(validate(signed_text(theirs, testing::other_key()), context(state)));
}

TEST(Rule7, WindowLengthBoundaries) {
  constexpr std::int64_t end = testing::kWindowEnd;
  expect_ok(check(with(document(), "time_window", window(end - kMaxWindowSeconds, end))));
  expect_error(check(with(document(), "time_window", window(end - kMaxWindowSeconds - 1, end))), "bad_time_window",
               "time_window");
  expect_ok(check(with(document(), "time_window", window(end, end))));
  expect_error(check(with(document(), "time_window", window(end, end - 1))), "bad_time_window", "time_window");
  // 30 days and one nanosecond.
  expect_error(
      check(with(document(), "time_window", J(R"(["2025-12-03T00:00:00Z", "2026-01-02T00:00:00.000000001Z"])"))),
      "bad_time_window", "time_window");
  expect_ok(
      check(with(document(), "time_window", J(R"(["2025-12-03T00:00:00.5Z", "2026-01-02T00:00:00.5Z"])")), context()));
}

TEST(Rule7, EndMayBeAtMost300SecondsAfterReferenceTime) {
  ValidationContext ctx = context();
  ctx.now = testing::kWindowEnd - 300;
  expect_ok(check(document(), ctx));
  ctx.now = testing::kWindowEnd - 301;
  expect_error(check(document(), ctx), "bad_time_window", "time_window[1]");
  ctx.now = testing::kWindowEnd - 300;
  expect_error(check(with(document(), "time_window", J(R"(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00.1Z"])")), ctx),
               "bad_time_window", "time_window[1]");
  ctx.now = INT64_MAX;  // no overflow either way
  expect_ok(check(document(), ctx));
  ctx.now = INT64_MIN;
  expect_error(check(document(), ctx), "bad_time_window", "time_window[1]");
}

TEST(Rule7, NeedsExactlyTwoUtcInstants) {
  for (const char* bad : {R"([])", R"(["2026-01-01T00:00:00Z"])",
                          R"(["2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"])"})
    expect_error(check(with(document(), "time_window", J(bad))), "bad_time_window", "time_window");
  expect_error(check(with(document(), "time_window", J(R"(["2026-01-01T00:00:00+00:00", "2026-01-02T00:00:00Z"])"))),
               "bad_time_window", "time_window[0]");
  expect_error(check(with(document(), "time_window", J(R"(["2026-01-01T00:00:00Z", "yesterday"])"))), "bad_time_window",
               "time_window[1]");
}

// measurement replaced by `text`.
json::Value measured(std::string_view text) { return with(document(), "measurement", J(text)); }

TEST(Rule8, WeightsMustSumToExactlyOne) {
  expect_ok(check(measured(R"({"dimensions": {"a": 1, "b": 1}, "weights": {"a": 0.5, "b": 0.5}, "impact_score": 1})")));
  expect_error(check(measured(R"({"dimensions": {"a": 1, "b": 1}, "weights": {"a": 0.5, "b": 0.499999},
                                  "impact_score": 0.999999})")),
               "bad_measurement", "measurement.weights");
  expect_error(check(measured(R"({"dimensions": {"a": 1, "b": 1}, "weights": {"a": 0.5, "b": 0.500001},
                                  "impact_score": 1.000001})")),
               "bad_measurement", "measurement.weights");
}

TEST(Rule8, ImpactScoreWithinOneMicroUnit) {
  const auto with_score = [](const char* score) {
    return measured(std::string(R"({"dimensions": {"q": 0.9, "r": 0.5}, "weights": {"q": 0.6, "r": 0.4},
                                    "impact_score": )") +
                    score + "}");
  };
  expect_ok(check(with_score("0.74")));
  expect_ok(check(with_score("0.740001")));
  expect_ok(check(with_score("0.739999")));
  expect_error(check(with_score("0.740002")), "bad_measurement", "measurement.impact_score");
  expect_error(check(with_score("0.739998")), "bad_measurement", "measurement.impact_score");
  expect_ok(check(with_score("7.4e-1")));
}

TEST(Rule8, ScoreUsesIntegerDivision) {
  // Σ d·w = 3 · 500000 = 1.5e6, / 1e6 = 1 (floor): 0, 1 and 2 micro-units pass, 3 and -1 fail.
  const auto with_score = [](const char* score) {
    return measured(std::string(R"({"dimensions": {"a": 0.000003, "b": 0}, "weights": {"a": 0.5, "b": 0.5},
                                    "impact_score": )") +
                    score + "}");
  };
  for (const char* ok : {"0", "0.000001", "0.000002"}) expect_ok(check(with_score(ok)));
  for (const char* bad : {"0.000003", "-0.000001"})
    expect_error(check(with_score(bad)), "bad_measurement", "measurement.impact_score");
}

TEST(Rule8, NumbersMustBeExactMicroUnitsInRange) {
  const std::pair<const char*, const char*> bad[] = {
      {R"({"dimensions": {"a": 0.9000001}, "weights": {"a": 1}, "impact_score": 0.9})", "measurement.dimensions.a"},
      {R"({"dimensions": {"a": 1e-7}, "weights": {"a": 1}, "impact_score": 0})", "measurement.dimensions.a"},
      {R"({"dimensions": {"a": 1.000001}, "weights": {"a": 1}, "impact_score": 1})", "measurement.dimensions.a"},
      {R"({"dimensions": {"a": -0.1}, "weights": {"a": 1}, "impact_score": 0})", "measurement.dimensions.a"},
      {R"({"dimensions": {"a": 1, "b": 1}, "weights": {"a": 1.5, "b": -0.5}, "impact_score": 1})",
       "measurement.weights.a"},
      {R"({"dimensions": {"a": 1, "b": 1}, "weights": {"a": -0.5, "b": 1.5}, "impact_score": 1})",
       "measurement.weights.a"},
      {R"({"dimensions": {"a": 1}, "weights": {"a": 0.5, "z": 0.5}, "impact_score": 0.5})", "measurement.weights.z"},
      {R"({"dimensions": {"a": 1}, "weights": {"a": 1}, "impact_score": 0.9999995})", "measurement.impact_score"},
      {R"({"dimensions": {"a": 1}, "weights": {"a": 1}, "impact_score": 1e300})", "measurement.impact_score"},
  };
  for (const auto& [measurement, path] : bad) expect_error(check(measured(measurement)), "bad_measurement", path);
  expect_ok(check(measured(R"({"dimensions": {"a": 9e-1, "b": 0.30}, "weights": {"a": 1}, "impact_score": 0.9})")));
  expect_ok(check(measured(R"({"dimensions": {"a": 1.0000000}, "weights": {"a": 1E0}, "impact_score": 1})")));
  expect_error(check(measured(R"({"dimensions": {}, "weights": {}, "impact_score": 0})")), "bad_measurement",
               "measurement.weights");
  // A dimension without a weight counts zero.
  expect_ok(check(measured(R"({"dimensions": {"a": 1, "b": 0.5}, "weights": {"a": 1}, "impact_score": 1})")));
}

TEST(Rule8, ThirtyTwoDimensionsValidate) {
  std::string dims, weights;
  for (int i = 0; i < 32; ++i) {
    dims += (i ? ", " : "") + std::string("\"d") + std::to_string(i) + "\": 1";
    weights += (i ? ", " : "") + std::string("\"d") + std::to_string(i) + "\": 0.03125";
  }
  expect_ok(check(measured("{\"dimensions\": {" + dims + "}, \"weights\": {" + weights + "}, \"impact_score\": 1}")));
}

json::Value benchmarked(std::string_view text) { return with(document(), "benchmarks", J(text)); }

TEST(Rule9, DeltaMustBePostMinusPreExactly) {
  expect_ok(check(benchmarked(R"({"pre": {"p": 0.5}, "post": {"p": 0.8}, "delta": {"p": 0.3}})")));
  expect_ok(check(benchmarked(R"({"pre": {"p": 1.5, "only_pre": 3}, "post": {"p": 0.25}, "delta": {"p": -1.25}})")));
  expect_ok(check(benchmarked(R"({"pre": {}, "post": {}, "delta": {}})")));
  expect_error(check(benchmarked(R"({"pre": {"p": 0.5}, "post": {"p": 0.8}, "delta": {"p": 0.300001}})")),
               "bad_benchmarks", "benchmarks.delta.p");
  expect_error(check(benchmarked(R"({"pre": {"p": 0.5}, "post": {"p": 0.8}, "delta": {}})")), "bad_benchmarks",
               "benchmarks.delta.p");
  expect_error(check(benchmarked(R"({"pre": {"p": 0.5}, "post": {"p": 0.8}, "delta": {"p": 0.3000001}})")),
               "bad_benchmarks", "benchmarks.delta.p");
  expect_error(check(benchmarked(R"({"pre": {"p": 0.0000005}, "post": {}, "delta": {}})")), "bad_benchmarks",
               "benchmarks.pre.p");
}

TEST(Rule9, MagnitudeStaysBelowOneBillion) {
  expect_ok(
      check(benchmarked(R"({"pre": {"p": -999999999.999999}, "post": {"p": 0}, "delta": {"p": 999999999.999999}})")));
  expect_error(check(benchmarked(R"({"pre": {"p": 1e9}, "post": {}, "delta": {}})")), "bad_benchmarks",
               "benchmarks.pre.p");
  // post − pre itself may be out of range: then no delta can match.
  expect_error(
      check(benchmarked(R"({"pre": {"p": -999999999}, "post": {"p": 999999999}, "delta": {"p": 999999999.999999}})")),
      "bad_benchmarks", "benchmarks.delta.p");
}

TEST(Rule10, SignatureMustVerify) {
  const std::string text = signed_text(document());
  expect_ok(validate(text, context()));

  std::string tampered = text;
  const std::string from = "https://example.org/methodology/v1";
  tampered.replace(tampered.find(from), from.size(), "https://example.org/methodology/v2");
  expect_error(validate(tampered, context()), "bad_signature", "signature.sig_base16");

  expect_error(validate(signed_text(document(), testing::other_key()), context()), "bad_signature",
               "signature.sig_base16");

  const auto doc = J(text);
  const std::string sig = doc.find("signature")->find("sig_base16")->as_string();
  std::string upper = sig;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::pair<const char*, json::Value> bad[] = {
      {"signature.alg", str("Ed25519")},
      {"signature.alg", str("ed448")},
      {"signature.sig_base16", str(upper)},
      {"signature.sig_base16", str(sig.substr(2))},
      {"signature.sig_base16", str(std::string(128, '0'))},
  };
  for (const auto& [path, value] : bad)
    expect_error(validate(jcs::serialize(with(doc, path, value)), context()), "bad_signature", path);
}

TEST(Rule10, SignatureCoversTheCanonicalFormNotTheSpelling) {
  // Reordered members and extra whitespace: same canonical form, same signature.
  const auto doc = J(signed_text(document()));
  std::string reordered = "{\n";
  for (auto it = doc.members().rbegin(); it != doc.members().rend(); ++it)
    reordered +=
        "  \"" + it->first + "\" : " + jcs::serialize(it->second) + (it + 1 == doc.members().rend() ? "\n" : ",\n");
  reordered += "}\n";
  auto v = validate(reordered, context());
  ASSERT_TRUE(v.ok()) << v.error().to_string();
  EXPECT_EQ(v->id, validate(signed_text(document()), context())->id);
}

// A document with one fault for each of rules 2–10, in rule order. Repairing them one at a time
// must report each rule's code in turn: the first failing rule always wins.
TEST(Order, FirstFailingRuleWins) {
  const json::Value good = document();
  const std::pair<const char*, json::Value> faults[] = {
      {"version", str("poi-2.0")},
      {"anchor.chain_id", str("other-chain")},
      {"anchor.block_ref", str(hex::encode(crypto::blake3("unknown block")))},
      {"attester.id", str("bz00")},
      {"evidence.pack_sha256", str("not hex")},
      {"nonce", str("abc")},
      {"time_window", J(R"(["2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"])")},
      {"measurement.impact_score", J("0.9")},
      {"benchmarks.delta.performance", J("0.31")},
  };
  const char* codes[] = {"bad_version", "wrong_chain",     "unknown_block_ref", "bad_attester",  "bad_evidence",
                         "bad_nonce",   "bad_time_window", "bad_measurement",   "bad_benchmarks"};
  json::Value doc = good;
  for (const auto& [path, value] : faults) doc = with(doc, path, value);

  const auto unknown_member = with(doc, "anchor.extra", J("0"));
  expect_error(validate(signed_text(unknown_member, testing::other_key()), context()), "malformed", "anchor.extra");
  for (std::size_t i = 0; i < std::size(faults); ++i) {
    SCOPED_TRACE(codes[i]);
    ASSERT_FALSE(check(doc).ok());
    EXPECT_EQ(validate(signed_text(doc, testing::other_key()), context()).error().code(), codes[i]);
    // repair fault i
    const std::string path = faults[i].first;
    const json::Value* original = &good;
    for (std::size_t start = 0; original != nullptr;) {
      const std::size_t dot = path.find('.', start);
      original = original->find(path.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    ASSERT_NE(original, nullptr);
    doc = with(doc, path, *original);
  }
  expect_error(validate(signed_text(doc, testing::other_key()), context()), "bad_signature", "signature.sig_base16");
  expect_ok(check(doc));
}

TEST(Order, ReplayBeforeTimeWindow) {
  testing::State state;
  state.used_nonces.insert({testing::key().public_key(), document().find("nonce")->as_string()});
  expect_error(check(with(document(), "time_window", J("[]")), context(state)), "replay", "nonce");
}

}  // namespace
}  // namespace bizra::poi
