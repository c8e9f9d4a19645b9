// The REST routes added for the complete API, against a real in-process node.

#include <set>

#include "loadgen/loadgen.hpp"
#include "test_node.hpp"

namespace bizra::api_test {
namespace {

class RestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.serve();
    client_ = node_.client();
  }
  http::Response get(const std::string& target) { return client_->request("GET", target).value(); }
  http::Response post(const std::string& target, const std::string& body) {
    return client_->request("POST", target, body).value();
  }
  static std::string error_code(const http::Response& r) { return member(*parse_json(r.body).find("error"), "code"); }

  // Submits an attestation and waits (bounded) until it is final.
  void submit_until_final(const std::string& doc) {
    const auto submitted = post("/api/v1/poi/attestation", doc);
    ASSERT_EQ(submitted.status, 202) << submitted.body;
    const std::string id = member(parse_json(submitted.body), "id");
    for (int i = 0; i < 500; ++i) {
      const auto s = get("/api/v1/poi/attestation/" + id);
      if (s.status == 200 && member(parse_json(s.body), "status") == "final") return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "attestation " << id << " did not become final";
  }

  TestNode node_;
  std::unique_ptr<http::Client> client_;
};

// The documents `node0 attest batch` writes (and bench/api_bench.py --attestations posts): each is
// admitted with 202 and has its own id; a second copy is refused (409 duplicate while the first is
// pending, 400 replay once it is final: the node commits on its own, so either may be seen).
TEST_F(RestTest, LoadGeneratorDocumentsAreDistinctAndAdmitted) {
  loadgen::AttestationFactory factory(node_.node().genesis().chain_id, node_.node().genesis_root(), 5, 2);
  std::set<std::string> ids;
  std::string first;
  for (int i = 0; i < 4; ++i) {
    const std::string doc = factory.next_document();
    if (first.empty()) first = doc;
    const auto r = post("/api/v1/poi/attestation", doc);
    ASSERT_EQ(r.status, 202) << r.body;
    ids.insert(member(parse_json(r.body), "id"));
  }
  EXPECT_EQ(ids.size(), 4u);
  const auto again = post("/api/v1/poi/attestation", first);
  const std::string code = error_code(again);
  EXPECT_TRUE((again.status == 409 && code == "duplicate") || (again.status == 400 && code == "replay")) << again.body;
}

TEST_F(RestTest, ValidatorsListTheGenesisValidatorWithItsWeight) {
  const auto r = get("/api/v1/validators");
  ASSERT_EQ(r.status, 200) << r.body;
  const json::Value v = parse_json(r.body);
  EXPECT_EQ(member(v, "count"), "1");
  const json::Value& first = v.find("validators")->items().at(0);
  EXPECT_EQ(member(first, "id"), crypto::account_id(node_.validator_key().public_key()));
  EXPECT_EQ(member(first, "status"), "active");
  EXPECT_EQ(member(first, "poi_weight"), "1");
}

TEST_F(RestTest, ValidatorByIdOrPubkeyAndItsErrors) {
  const auto key = node_.validator_key().public_key();
  for (const std::string& ref : {crypto::account_id(key), crypto::format_public_key(key)}) {
    const auto r = get("/api/v1/validators/" + ref);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(member(parse_json(r.body), "pubkey"), crypto::format_public_key(key));
  }
  const auto unknown = get("/api/v1/validators/" + crypto::account_id(fixed_key(1).public_key()));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code(unknown), "not_found");
  const auto bad = get("/api/v1/validators/bz1234");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_code(bad), "bad_id");
  EXPECT_EQ(post("/api/v1/validators", "{}").status, 405);
}

TEST_F(RestTest, VerifyAcceptsAValidAttestationWithoutSubmittingIt) {
  const std::string doc = node_.attestation(1, fixed_key(9));
  const auto r = post("/api/v1/poi/verify", doc);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::Value v = parse_json(r.body);
  EXPECT_EQ(member(v, "valid"), "true");
  EXPECT_EQ(member(v, "id").size(), 64u);
  EXPECT_EQ(v.find("error"), nullptr);
  EXPECT_EQ(get("/api/v1/poi/attestation/" + member(v, "id")).status, 404);  // not submitted
}

TEST_F(RestTest, VerifyNamesTheFailedRule) {
  std::string wrong_chain = node_.attestation(2, fixed_key(9));
  wrong_chain.replace(wrong_chain.find("bizra-api-test"), 14, "bizra-api-tesx");
  const json::Value v = parse_json(post("/api/v1/poi/verify", wrong_chain).body);
  EXPECT_EQ(member(v, "valid"), "false");
  EXPECT_EQ(member(v, "id").size(), 64u);  // it parses, so it has an id
  EXPECT_EQ(member(*v.find("error"), "code"), "wrong_chain");

  const json::Value garbage = parse_json(post("/api/v1/poi/verify", "{not json").body);
  EXPECT_EQ(member(garbage, "valid"), "false");
  EXPECT_EQ(member(garbage, "id"), "<absent>");
  EXPECT_EQ(member(*garbage.find("error"), "code"), "malformed");

  EXPECT_EQ(post("/api/v1/poi/verify", std::string(poi::kMaxDocumentBytes + 1, ' ')).status, 413);
}

TEST_F(RestTest, AccountsAppearOnceAnAttestationIsFinalAndVerifyThenSeesTheReplay) {
  const crypto::SecretKey attester = fixed_key(9);
  const std::string doc = node_.attestation(3, attester);
  const std::string pubkey = crypto::format_public_key(attester.public_key());
  EXPECT_EQ(get("/api/v1/accounts/" + pubkey).status, 404);
  submit_until_final(doc);
  for (const std::string& ref : {pubkey, crypto::account_id(attester.public_key())}) {
    const auto r = get("/api/v1/accounts/" + ref);
    ASSERT_EQ(r.status, 200) << r.body;
    const json::Value v = parse_json(r.body);
    EXPECT_EQ(member(v, "pubkey"), pubkey);
    EXPECT_EQ(member(v, "attestations"), "1");
  }
  const auto bad = get("/api/v1/accounts/ed25519:xyz");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_code(bad), "bad_id");
  const json::Value replay = parse_json(post("/api/v1/poi/verify", doc).body);
  EXPECT_EQ(member(replay, "valid"), "false");
  EXPECT_EQ(member(*replay.find("error"), "code"), "replay");
}

TEST_F(RestTest, FinalityOfACommittedBlockAndErrors) {
  ASSERT_TRUE(node_.wait_for_height(1));
  const json::Value block = parse_json(get("/api/v1/consensus/block/1").body);
  const std::string id = member(block, "id");
  EXPECT_EQ(member(block, "final"), "true");
  const auto r = get("/api/v1/consensus/finality/" + id);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::Value v = parse_json(r.body);
  EXPECT_EQ(member(v, "final"), "true");
  EXPECT_EQ(member(v, "height"), "1");
  EXPECT_EQ(member(v, "id"), id);

  const auto unknown = get("/api/v1/consensus/finality/" + std::string(64, 'a'));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(error_code(unknown), "not_found");
  const auto upper = get("/api/v1/consensus/finality/" + std::string(64, 'A'));
  EXPECT_EQ(upper.status, 400);
  EXPECT_EQ(error_code(upper), "bad_id");
  EXPECT_EQ(get("/api/v1/consensus/block/12x").status, 400);
}

}  // namespace
}  // namespace bizra::api_test
