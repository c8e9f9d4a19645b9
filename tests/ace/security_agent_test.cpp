// The Security agent's verify_attestation, verify_signature and check_policy skills.

#include <string>

#include <gtest/gtest.h>

#include "ace/security_agent.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/identity.hpp"
#include "poi/fixture.hpp"
#include "security_fixture.hpp"

namespace bizra::ace {
namespace {

using testing::FakeContext;
using testing::parse_json;
namespace poi_t = poi::testing;

Result<json::Value> run(const SecurityOptions& options, std::string_view skill, const json::Value& input,
                        const FakeContext& ctx = FakeContext()) {
  return make_security_agent(options)->run(skill, input, ctx);
}

std::string error_code_of(const json::Value& output) {
  const json::Value* error = output.find("error");
  return error == nullptr ? "" : error->find("code")->as_string();
}

TEST(SecurityAgent, NamesItsSkills) {
  auto agent = make_security_agent({});
  EXPECT_EQ(agent->kind(), AgentKind::kSecurity);
  EXPECT_EQ(agent->skills(), (std::vector<std::string>{"security.check_policy", "security.hash_evidence",
                                                       "security.verify_attestation", "security.verify_signature"}));
  auto result = agent->run("security.nope", json::Value::object({}), FakeContext());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), "unknown_skill");
}

// ---- verify_attestation ------------------------------------------------------------------------

class VerifyAttestationTest : public ::testing::Test {
 protected:
  VerifyAttestationTest() { stateless_.unix_now = [] { return poi_t::kWindowEnd; }; }

  json::Value verify(const SecurityOptions& options, const json::Value& attestation) const {
    auto out = run(options, "security.verify_attestation", json::Value::object({{"attestation", attestation}}));
    EXPECT_TRUE(out.ok()) << out.error().to_string();
    return out ? *out : json::Value::null();
  }
  static json::Value signed_doc(const json::Value& doc) { return parse_json(poi_t::signed_text(doc)); }

  SecurityOptions stateless_;
};

TEST_F(VerifyAttestationTest, AcceptsAValidDocumentAsObjectOrText) {
  const std::string text = poi_t::signed_text(poi_t::document());
  auto expected = poi::validate(text, poi_t::context());
  ASSERT_TRUE(expected.ok());
  for (const json::Value& given : {parse_json(text), json::Value::string(text)}) {
    const json::Value out = verify(stateless_, given);
    EXPECT_TRUE(out.find("valid")->as_bool()) << jcs::serialize(out);
    EXPECT_EQ(out.find("id")->as_string(), expected->id);
    EXPECT_EQ(out.find("checks")->as_string(), "stateless");
    EXPECT_EQ(out.find("attester")->as_string(), crypto::account_id(poi_t::key().public_key()));
    EXPECT_EQ(out.find("error"), nullptr);
  }
}

TEST_F(VerifyAttestationTest, ReportsEachRuleFailureWithTheDocumentId) {
  const json::Value doc = poi_t::document();
  struct Case {
    json::Value document;
    std::string code;
  };
  const Case cases[] = {
      {poi_t::with(signed_doc(doc), "evidence.methodology_ref", json::Value::string("tampered")), "bad_signature"},
      {signed_doc(poi_t::with(doc, "version", json::Value::string("poi-2.0"))), "bad_version"},
      {signed_doc(poi_t::with(doc, "extra", json::Value::boolean(true))), "malformed"},
      {signed_doc(poi_t::with(doc, "anchor.genesis_root", json::Value::string("XYZ"))), "wrong_chain"},
      {signed_doc(poi_t::with(doc, "anchor.block_ref", json::Value::string("1234"))), "unknown_block_ref"},
      {signed_doc(poi_t::with(doc, "attester.id", json::Value::string("bz00"))), "bad_attester"},
      {signed_doc(poi_t::with(doc, "evidence.pack_sha256", json::Value::string("ABC"))), "bad_evidence"},
      {signed_doc(poi_t::with(doc, "nonce", json::Value::string("abc"))), "bad_nonce"},
      {signed_doc(poi_t::with(doc, "measurement.impact_score", json::Value::number("0.9", 0.9))), "bad_measurement"},
      {signed_doc(poi_t::with(doc, "benchmarks.delta.performance", json::Value::number("0.2", 0.2))),
       "bad_benchmarks"},
  };
  for (const Case& c : cases) {
    const json::Value out = verify(stateless_, c.document);
    EXPECT_FALSE(out.find("valid")->as_bool()) << c.code;
    EXPECT_EQ(error_code_of(out), c.code) << jcs::serialize(out);
    EXPECT_EQ(out.find("id")->as_string(), hex::encode(poi::digest_of(poi::canonical_form(c.document)))) << c.code;
  }
}

TEST_F(VerifyAttestationTest, StatelessModeChecksTheClockButNotTheChain) {
  const json::Value other_chain = signed_doc(poi_t::with(poi_t::document(), "anchor.chain_id", json::Value::string("x")));
  EXPECT_TRUE(verify(stateless_, other_chain).find("valid")->as_bool());

  SecurityOptions early = stateless_;
  early.unix_now = [] { return poi_t::kWindowEnd - 301; };
  EXPECT_EQ(error_code_of(verify(early, signed_doc(poi_t::document()))), "bad_time_window");
}

TEST_F(VerifyAttestationTest, FullModeAppliesTheChainContext) {
  poi_t::State state;
  SecurityOptions full;
  full.validation_context = [&state] { return poi_t::context(state); };
  const json::Value doc = signed_doc(poi_t::document());
  const json::Value ok = verify(full, doc);
  EXPECT_TRUE(ok.find("valid")->as_bool()) << jcs::serialize(ok);
  EXPECT_EQ(ok.find("checks")->as_string(), "full");

  const json::Value other_chain = signed_doc(poi_t::with(poi_t::document(), "anchor.chain_id", json::Value::string("x")));
  EXPECT_EQ(error_code_of(verify(full, other_chain)), "wrong_chain");
  const json::Value unknown_block =
      signed_doc(poi_t::with(poi_t::document(), "anchor.block_ref", json::Value::string(std::string(64, 'a'))));
  EXPECT_EQ(error_code_of(verify(full, unknown_block)), "unknown_block_ref");

  state.used_nonces.insert({poi_t::key().public_key(), doc.find("nonce")->as_string()});
  EXPECT_EQ(error_code_of(verify(full, doc)), "replay");
}

TEST_F(VerifyAttestationTest, UnparseableTextHasNoId) {
  const json::Value out = verify(stateless_, json::Value::string("{not json"));
  EXPECT_FALSE(out.find("valid")->as_bool());
  EXPECT_EQ(error_code_of(out), "malformed");
  EXPECT_TRUE(out.find("id")->is_null());
}

TEST_F(VerifyAttestationTest, BadInputs) {
  for (const char* input : {R"({})", R"({"attestation": 5})", R"({"attestation": {}, "other": 1})", R"("x")"}) {
    auto result = run(stateless_, "security.verify_attestation", parse_json(input));
    ASSERT_FALSE(result.ok()) << input;
    EXPECT_EQ(result.error().code(), "bad_input") << input;
  }
}

// ---- verify_signature --------------------------------------------------------------------------

class VerifySignatureTest : public ::testing::Test {
 protected:
  Result<json::Value> verify(const std::string& pubkey, const std::string& message_member, const std::string& signature) {
    return run({}, "security.verify_signature",
               parse_json(R"({"pubkey": ")" + pubkey + R"(", )" + message_member + R"(, "signature": ")" + signature +
                          R"("})"));
  }
  const crypto::SecretKey& key_ = poi_t::key();
  const std::string pubkey_ = hex::encode(key_.public_key().bytes);
  const std::string signature_ = hex::encode(key_.sign(as_bytes("hello")).bytes);
};

TEST_F(VerifySignatureTest, AcceptsAGoodSignatureInEveryKeyAndMessageForm) {
  for (const std::string& key : {pubkey_, "ed25519:" + pubkey_}) {
    for (const std::string& message : {std::string(R"("message": "hello")"), std::string(R"("message_hex": "68656c6c6f")")}) {
      auto out = verify(key, message, signature_);
      ASSERT_TRUE(out.ok()) << out.error().to_string();
      EXPECT_TRUE(out->find("valid")->as_bool()) << key << " " << message;
    }
  }
}

TEST_F(VerifySignatureTest, RejectsAWrongMessageKeyOrSignature) {
  auto wrong_message = verify(pubkey_, R"("message": "hellO")", signature_);
  ASSERT_TRUE(wrong_message.ok());
  EXPECT_FALSE(wrong_message->find("valid")->as_bool());
  auto wrong_key = verify(hex::encode(poi_t::other_key().public_key().bytes), R"("message": "hello")", signature_);
  ASSERT_TRUE(wrong_key.ok());
  EXPECT_FALSE(wrong_key->find("valid")->as_bool());
  std::string flipped = signature_;
  flipped[0] = flipped[0] == '0' ? '1' : '0';
  auto bad_signature = verify(pubkey_, R"("message": "hello")", flipped);
  ASSERT_TRUE(bad_signature.ok());
  EXPECT_FALSE(bad_signature->find("valid")->as_bool());
}

TEST_F(VerifySignatureTest, MalformedInputsAreBadInput) {
  const std::string both = R"("message": "hello", "message_hex": "00")";
  const std::string cases[][3] = {
      {"zz" + pubkey_.substr(2), R"("message": "hello")", signature_},
      {pubkey_.substr(2), R"("message": "hello")", signature_},
      {pubkey_, R"("message": "hello")", signature_.substr(2)},
      {pubkey_, R"("message_hex": "6")", signature_},
      {pubkey_, R"("message": 5)", signature_},
      {pubkey_, both, signature_},
      {pubkey_, R"("other": 1)", signature_},
  };
  for (const auto& c : cases) {
    auto out = verify(c[0], c[1], c[2]);
    ASSERT_FALSE(out.ok()) << c[1];
    EXPECT_EQ(out.error().code(), "bad_input") << c[1];
  }
}

// ---- check_policy ------------------------------------------------------------------------------

std::vector<std::string> reason_codes(const json::Value& output) {
  std::vector<std::string> codes;
  for (const json::Value& reason : output.find("reasons")->items()) codes.push_back(reason.find("code")->as_string());
  return codes;
}

class CheckPolicyTest : public ::testing::Test {
 protected:
  CheckPolicyTest() {
    options_.policy.denied_requesters["security.hash_evidence"] = {"bob"};
    options_.policy.denied_requesters["memory.consolidate"] = {"*"};
    options_.policy.max_input_bytes["memory.store"] = 100;
  }
  std::vector<std::string> check(std::string_view input, const FakeContext& ctx = FakeContext()) const {
    auto out = run(options_, "security.check_policy", parse_json(input), ctx);
    EXPECT_TRUE(out.ok()) << out.error().to_string();
    if (!out) return {"<error>"};
    EXPECT_EQ(out->find("allowed")->as_bool(), out->find("reasons")->items().empty());
    return reason_codes(*out);
  }
  SecurityOptions options_;
};

using Codes = std::vector<std::string>;

TEST_F(CheckPolicyTest, OrdinarySkillsAreAllowed) {
  EXPECT_EQ(check(R"({"skill": "memory.recall", "requester": "alice"})"), Codes{});
  EXPECT_EQ(check(R"({"skill": "security.hash_evidence", "requester": "alice", "type": "APT"})"), Codes{});
}

TEST_F(CheckPolicyTest, NodeOnlySkillsNeedTheNodeAsSat) {
  EXPECT_EQ(check(R"({"skill": "operations.backup", "requester": "alice"})"), Codes{"node_only"});
  EXPECT_EQ(check(R"({"skill": "operations.compact", "requester": "node", "type": "SAT"})"), Codes{});
  EXPECT_EQ(check(R"({"skill": "operations.compact", "requester": "node"})"), Codes{});
  EXPECT_EQ(check(R"({"skill": "operations.backup", "requester": "node", "type": "AST"})"), Codes{"node_only"});
  EXPECT_EQ(check(R"({"skill": "operations.backup", "requester": "alice", "type": "SAT"})"),
            (Codes{"node_only", "sat_requires_node"}));
  EXPECT_EQ(check(R"({"skill": "operations.health", "requester": "alice", "type": "SAT"})"),
            Codes{"sat_requires_node"});
}

TEST_F(CheckPolicyTest, RequesterDefaultsToTheTasksRequester) {
  EXPECT_EQ(check(R"({"skill": "operations.backup"})", FakeContext("node")), Codes{});
  EXPECT_EQ(check(R"({"skill": "operations.backup"})", FakeContext("mallory")), Codes{"node_only"});
}

TEST_F(CheckPolicyTest, DeniedRequestersAndWildcards) {
  EXPECT_EQ(check(R"({"skill": "security.hash_evidence", "requester": "bob"})"), Codes{"denied"});
  EXPECT_EQ(check(R"({"skill": "memory.consolidate", "requester": "node"})"), Codes{"denied"});
}

TEST_F(CheckPolicyTest, InputSizeBounds) {
  EXPECT_EQ(check(R"({"skill": "memory.store", "requester": "a", "input_bytes": 100})"), Codes{});
  EXPECT_EQ(check(R"({"skill": "memory.store", "requester": "a", "input_bytes": 101})"), Codes{"input_too_large"});
  EXPECT_EQ(check(R"({"skill": "memory.recall", "requester": "a", "input_bytes": 262144})"), Codes{});
  EXPECT_EQ(check(R"({"skill": "memory.recall", "requester": "a", "input_bytes": 262145})"), Codes{"input_too_large"});
}

TEST_F(CheckPolicyTest, UnknownSkills) {
  EXPECT_EQ(check(R"({"skill": "foo.bar", "requester": "a"})"), Codes{"unknown_skill"});
  EXPECT_EQ(check(R"({"skill": "memory", "requester": "a"})"), Codes{"unknown_skill"});
}

TEST_F(CheckPolicyTest, EnforceTurnsADenialIntoAnError) {
  auto denied = run(options_, "security.check_policy",
                    parse_json(R"({"skill": "operations.backup", "requester": "alice", "enforce": true})"));
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().code(), "policy_denied");
  EXPECT_NE(denied.error().message().find("operations.backup"), std::string::npos);
  auto allowed = run(options_, "security.check_policy",
                     parse_json(R"({"skill": "memory.recall", "enforce": true, "deps": {}})"));
  ASSERT_TRUE(allowed.ok()) << allowed.error().to_string();
  EXPECT_TRUE(allowed->find("allowed")->as_bool());
  EXPECT_EQ(allowed->find("requester")->as_string(), "alice");
}

TEST_F(CheckPolicyTest, MalformedInputsAreBadInput) {
  for (const char* input :
       {R"({})", R"({"skill": 1})", R"({"skill": "memory.recall", "type": "XYZ"})",
        R"({"skill": "memory.recall", "type": 1})", R"({"skill": "memory.recall", "input_bytes": -1})",
        R"({"skill": "memory.recall", "input_bytes": 1.5})", R"({"skill": "memory.recall", "enforce": "yes"})",
        R"({"skill": "memory.recall", "requester": 7})", R"({"skill": "memory.recall", "what": 7})"}) {
    auto result = run(options_, "security.check_policy", parse_json(input));
    ASSERT_FALSE(result.ok()) << input;
    EXPECT_EQ(result.error().code(), "bad_input") << input;
  }
}

TEST(CheckPolicyFunction, ListsEveryViolationInRuleOrder) {
  SecurityPolicy policy;
  policy.denied_requesters["operations.backup"] = {"eve"};
  policy.max_input_bytes["operations.backup"] = 1;
  const auto violations = check_policy(policy, {"operations.backup", "eve", 2, TaskType::kSat});
  std::vector<std::string_view> codes;
  for (const auto& v : violations) codes.push_back(v.code);
  EXPECT_EQ(codes, (std::vector<std::string_view>{"denied", "node_only", "sat_requires_node", "input_too_large"}));
}

}  // namespace
}  // namespace bizra::ace
