#include "ace/receipt.hpp"

#include <gtest/gtest.h>

#include "base/hex.hpp"
#include "engine_test_support.hpp"

namespace bizra::ace {
namespace {

Receipt sample() {
  Receipt r;
  r.task_id = std::string(32, 'a');
  r.inputs_digest.bytes.fill(1);
  r.outputs_digest.bytes.fill(2);
  r.agent_path = {"meta", "architect", "security"};
  r.status = "succeeded";
  r.submitted_unix_ms = 1000;
  r.started_unix_ms = 1001;
  r.finished_unix_ms = 1010;
  return sign_receipt(r, testing::test_key());
}

TEST(Receipt, SignsVerifiesAndRoundTrips) {
  const Receipt r = sample();
  EXPECT_EQ(r.node_pubkey, testing::test_key().public_key());
  ASSERT_TRUE(verify_receipt(r, testing::test_key().public_key()));
  auto parsed = parse_receipt(receipt_json(r));
  ASSERT_TRUE(parsed) << parsed.error().to_string();
  EXPECT_EQ(receipt_json(*parsed), receipt_json(r));
  EXPECT_TRUE(verify_receipt(*parsed, testing::test_key().public_key()));
}

TEST(Receipt, EveryTamperedFieldFailsVerification) {
  const Receipt good = sample();
  const crypto::PublicKey trusted = testing::test_key().public_key();
  std::vector<std::function<void(Receipt&)>> tampers = {
      [](Receipt& r) { r.task_id[0] = 'b'; },
      [](Receipt& r) { r.inputs_digest.bytes[0] ^= 1; },
      [](Receipt& r) { r.outputs_digest.bytes[31] ^= 1; },
      [](Receipt& r) { r.agent_path.pop_back(); },
      [](Receipt& r) { r.agent_path[0] = "memory"; },
      [](Receipt& r) { r.status = "failed"; },
      [](Receipt& r) { r.submitted_unix_ms += 1; },
      [](Receipt& r) { r.started_unix_ms += 1; },
      [](Receipt& r) { r.finished_unix_ms -= 1; },
      [](Receipt& r) { r.signature.bytes.bytes[5] ^= 1; },
  };
  for (std::size_t i = 0; i < tampers.size(); ++i) {
    Receipt bad = good;
    tampers[i](bad);
    const Status s = verify_receipt(bad, trusted);
    ASSERT_FALSE(s) << "tamper " << i;
    EXPECT_EQ(s.error().code(), "bad_signature") << "tamper " << i;
  }
}

TEST(Receipt, TrustsOnlyTheGivenKey) {
  const Receipt r = sample();
  const crypto::PublicKey other = testing::test_key(9).public_key();
  EXPECT_EQ(verify_receipt(r, other).error().code(), "wrong_key");
  // A receipt re-signed by another key and claiming it is still refused under the trusted key.
  const Receipt forged = sign_receipt(r, testing::test_key(9));
  EXPECT_EQ(verify_receipt(forged, testing::test_key().public_key()).error().code(), "wrong_key");
  Receipt swapped = forged;
  swapped.node_pubkey = testing::test_key().public_key();
  EXPECT_EQ(verify_receipt(swapped, testing::test_key().public_key()).error().code(), "bad_signature");
}

std::string parse_error(const std::string& text) {
  auto r = parse_receipt(text);
  return r ? "ok" : r.error().to_string();
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(Receipt, ParseIsStrict) {
  const std::string good = receipt_json(sample());
  EXPECT_EQ(parse_error(good), "ok");
  EXPECT_NE(parse_error("{").find("bad_json"), std::string::npos);
  EXPECT_NE(parse_error("[]").find("bad_receipt"), std::string::npos);
  EXPECT_NE(parse_error(replace(good, "{", R"({"extra":1,)")).find("extra: unknown"), std::string::npos);
  EXPECT_NE(parse_error(replace(good, R"("status":"succeeded",)", "")).find("status"), std::string::npos);
  EXPECT_NE(parse_error(replace(good, R"("status":"succeeded")", R"("status":"running")")).find("status"),
            std::string::npos);
  EXPECT_NE(parse_error(replace(good, std::string(32, 'a'), std::string(31, 'a'))).find("task_id"), std::string::npos);
  EXPECT_NE(parse_error(replace(good, hex::encode(sample().inputs_digest), std::string(64, 'A'))).find("inputs_digest"),
            std::string::npos);
  EXPECT_NE(parse_error(replace(good, hex::encode(sample().outputs_digest), "00")).find("outputs_digest"),
            std::string::npos);
  EXPECT_NE(parse_error(replace(good, R"("architect")", R"("wizard")")).find("agent_path"), std::string::npos);
  EXPECT_NE(parse_error(replace(good, R"("finished_unix_ms":1010)", R"("finished_unix_ms":-1)")).find("timings"),
            std::string::npos);
  EXPECT_NE(
      parse_error(replace(good, R"("finished_unix_ms":1010)", R"("finished_unix_ms":1010,"x":1)")).find("timings.x"),
      std::string::npos);
  const std::string sig = hex::encode(sample().signature.bytes);
  EXPECT_NE(parse_error(replace(good, sig, sig.substr(2))).find("signature"), std::string::npos);
  EXPECT_NE(parse_error(std::string(kMaxReceiptBytes + 1, ' ')).find("bad_json"), std::string::npos);
}

}  // namespace
}  // namespace bizra::ace
