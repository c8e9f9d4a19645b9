// JSON-RPC 2.0 conformance of POST /rpc against a real in-process node.

#include "test_node.hpp"

namespace bizra::api_test {
namespace {

class RpcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node_.serve();
    client_ = node_.client();
  }
  http::Response raw(const std::string& body) { return client_->request("POST", "/rpc", body).value(); }
  json::Value call(const std::string& method, const std::string& params, const std::string& id = "1") {
    const auto r = raw("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}");
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_json(r.body);
  }
  static int error_code(const json::Value& response) {
    return std::stoi(member(*response.find("error"), "code"));
  }
  static std::string data_code(const json::Value& response) {
    return member(*response.find("error")->find("data"), "code");
  }

  TestNode node_;
  std::unique_ptr<http::Client> client_;
};

TEST_F(RpcTest, BlockNumberAndBlocksByNumberOrHashWithPositionalAndNamedParams) {
  ASSERT_TRUE(node_.wait_for_height(1));
  const json::Value number = call("bizra_blockNumber", "[]");
  EXPECT_EQ(member(number, "jsonrpc"), "2.0");
  EXPECT_EQ(member(number, "id"), "1");
  EXPECT_GE(std::stoull(member(number, "result")), 2u);

  const json::Value positional = call("bizra_getBlockByNumber", "[1]");
  const json::Value named = call("bizra_getBlockByNumber", "{\"height\":1}");
  const std::string id = member(*positional.find("result"), "id");
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(member(*named.find("result"), "id"), id);
  EXPECT_EQ(member(*call("bizra_getBlockByHash", "[\"" + id + "\"]").find("result"), "height"), "1");
  EXPECT_EQ(member(call("bizra_getBlockByNumber", "[99999999]"), "result"), "null");
  EXPECT_EQ(member(call("bizra_getBlockByHash", "{\"hash\":\"" + std::string(64, '0') + "\"}"), "result"), "null");
}

TEST_F(RpcTest, StandardErrors) {
  const json::Value parse_error = parse_json(raw("{\"jsonrpc\":").body);
  EXPECT_EQ(error_code(parse_error), -32700);
  EXPECT_EQ(member(parse_error, "id"), "null");

  EXPECT_EQ(error_code(parse_json(raw("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"bizra_blockNumber\"}").body)), -32600);
  EXPECT_EQ(error_code(parse_json(raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}").body)), -32600);
  EXPECT_EQ(error_code(parse_json(raw("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"bizra_blockNumber\"}").body)), -32600);
  EXPECT_EQ(error_code(parse_json(raw("\"hello\"").body)), -32600);

  const json::Value missing = call("bizra_nope", "[]", "\"abc\"");
  EXPECT_EQ(error_code(missing), -32601);
  EXPECT_EQ(member(missing, "id"), "abc");

  const json::Value count = call("bizra_getTransaction", "[]");
  EXPECT_EQ(error_code(count), -32602);
  EXPECT_EQ(data_code(count), "invalid_params");
  EXPECT_EQ(error_code(call("bizra_getTransaction", "{\"tx\":\"00\"}")), -32602);
  EXPECT_EQ(error_code(call("bizra_getBlockByNumber", "[\"1\"]")), -32602);
  EXPECT_EQ(error_code(call("bizra_getBlockByNumber", "[-1]")), -32602);
  const json::Value bad_id = call("bizra_getTransaction", "[\"XYZ\"]");
  EXPECT_EQ(error_code(bad_id), -32602);
  EXPECT_EQ(data_code(bad_id), "bad_id");
  EXPECT_EQ(data_code(call("bizra_getAccount", "[\"bz00\"]")), "bad_id");
}

TEST_F(RpcTest, BatchRules) {
  const json::Value empty = parse_json(raw("[]").body);
  ASSERT_TRUE(empty.is_object());
  EXPECT_EQ(error_code(empty), -32600);

  std::string big = "[";
  for (int i = 0; i <= 100; ++i) big += std::string(i ? "," : "") + "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"bizra_blockNumber\"}";
  const json::Value too_big = parse_json(raw(big + "]").body);
  ASSERT_TRUE(too_big.is_object());
  EXPECT_EQ(error_code(too_big), -32600);

  // A call, a notification (no answer) and an invalid member: two answers, in order.
  const json::Value mixed = parse_json(raw("[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"bizra_blockNumber\"},"
                                           "{\"jsonrpc\":\"2.0\",\"method\":\"bizra_blockNumber\"},1]")
                                           .body);
  ASSERT_TRUE(mixed.is_array());
  ASSERT_EQ(mixed.items().size(), 2u);
  EXPECT_EQ(member(mixed.items()[0], "id"), "7");
  EXPECT_NE(mixed.items()[0].find("result"), nullptr);
  EXPECT_EQ(error_code(mixed.items()[1]), -32600);
  EXPECT_EQ(member(mixed.items()[1], "id"), "null");
}

TEST_F(RpcTest, NotificationsGetNoResponse) {
  const auto single = raw("{\"jsonrpc\":\"2.0\",\"method\":\"bizra_blockNumber\"}");
  EXPECT_EQ(single.status, 204);
  EXPECT_TRUE(single.body.empty());
  const auto batch = raw("[{\"jsonrpc\":\"2.0\",\"method\":\"bizra_blockNumber\"},{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}]");
  EXPECT_EQ(batch.status, 204);
  EXPECT_TRUE(batch.body.empty());
}

TEST_F(RpcTest, BodyOverOneMebibyteIsRefused) {
  EXPECT_EQ(raw(std::string(api::kMaxRpcBodyBytes + 1, ' ')).status, 413);
}

TEST_F(RpcTest, SubmitAttestationThenFollowItToFinalAndReadTheState) {
  const crypto::SecretKey attester = fixed_key(11);
  const std::string doc = node_.attestation(1, attester);
  const json::Value submitted = call("bizra_submitAttestation", "{\"document\":" + doc + "}");
  ASSERT_NE(submitted.find("result"), nullptr) << jcs::serialize(submitted);
  const std::string tx_id = member(*submitted.find("result"), "tx_id");
  const std::string id = member(*submitted.find("result"), "id");
  EXPECT_EQ(member(*submitted.find("result"), "status"), "pending");

  std::string status;
  for (int i = 0; i < 500 && status != "final"; ++i) {
    const json::Value tx = call("bizra_getTransaction", "[\"" + tx_id + "\"]");
    status = member(*tx.find("result"), "status");
    if (status != "final") std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(status, "final");
  const json::Value attestation = call("bizra_getAttestation", "{\"id\":\"" + id + "\"}");
  EXPECT_EQ(member(*attestation.find("result"), "tx_id"), tx_id);
  const json::Value account = call("bizra_getAccount", "[\"" + crypto::account_id(attester.public_key()) + "\"]");
  EXPECT_EQ(member(*account.find("result"), "attestations"), "1");
  const json::Value validator =
      call("bizra_getValidator", "[\"" + crypto::format_public_key(node_.validator_key().public_key()) + "\"]");
  EXPECT_EQ(member(*validator.find("result"), "status"), "active");
  EXPECT_EQ(member(call("bizra_getValidator", "[\"" + crypto::account_id(attester.public_key()) + "\"]"), "result"),
            "null");

  // The same document again, now as JSON text: a replay, an application error with our code.
  const json::Value again = call("bizra_submitAttestation", "[" + http::json_quote(doc) + "]");
  EXPECT_EQ(error_code(again), -32000);
  EXPECT_EQ(data_code(again), "replay");
  const json::Value wrong = call("bizra_submitAttestation", "[42]");
  EXPECT_EQ(error_code(wrong), -32602);
}

}  // namespace
}  // namespace bizra::api_test
