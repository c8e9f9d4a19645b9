// The ACE routes, metrics and WebSocket topic of a real node running the real ACE runtime
// (service::make_node_service with an AceSetup): a multi-step goal end to end, its signed
// receipt, the error answers, and a node without the runtime answering 503.
#include <gtest/gtest.h>

#include "ace/receipt.hpp"
#include "service/node_service.hpp"
#include "test_node.hpp"
#include "ws_client.hpp"

namespace bizra::api_test {
namespace {

const std::string kKey = "ace-test-api-key-0123456789";
const std::vector<std::pair<std::string, std::string>> kAuth = {{"Authorization", "Bearer " + kKey}};

struct AceNode {
  TestNode node{false};
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("bizra-ace-api-" + std::to_string(::getpid()) + "-" +
                               std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::unique_ptr<service::NodeService> surface;
  std::unique_ptr<http::Server> server;

  explicit AceNode(bool with_ace = true, bool attest_receipts = false) {
    std::optional<service::AceSetup> ace;
    if (with_ace) {
      node::AceSettings settings;
      settings.evidence_dir = dir / "evidence";
      settings.backup_dir = dir / "backups";
      settings.health_interval_s = 0;
      settings.attest_receipts = attest_receipts;
      ace = service::AceSetup{fixed_key(7), settings};  // TestNode's validator key
    }
    surface = service::make_node_service(node.node(), "test", "test", {.api_keys = {kKey}}, std::move(ace)).value();
    server = std::make_unique<http::Server>(http::ServerConfig{.websocket = surface->websocket.get()}, surface->router);
    if (!server->start().ok() || !node.node().start().ok()) throw std::runtime_error("start failed");
  }
  ~AceNode() {
    server->stop();
    surface->ace.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  http::Response call(std::string_view method, std::string_view target, std::string_view body = {},
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::Client client("127.0.0.1", server->port(), std::chrono::seconds(30));
    return client.request(method, target, body, "application/json", headers).value();
  }
};

std::string error_code(const http::Response& r) {
  const json::Value body = parse_json(r.body);
  const json::Value* error = body.find("error");
  return error != nullptr ? member(*error, "code") : "<no error>";
}

TEST(AceApi, AGoalRunsAsAPlanAndItsReceiptVerifiesWithTheNodeKey) {
  AceNode n;
  const auto r = n.call("POST", "/ace/orchestrate?wait=20000", R"({"type":"AST","input":{"goal":"health check"}})", kAuth);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::Value task = parse_json(r.body);
  EXPECT_EQ(member(task, "status"), "succeeded") << r.body;
  EXPECT_EQ(member(task, "skill"), "meta.orchestrate");
  // architect.plan, then health ∥ peers ∥ metrics, then meta.synthesize and reflection.evaluate.
  std::multiset<std::string> child_skills;
  for (const json::Value& child : task.find("children")->items())
    child_skills.insert(member(parse_json(n.call("GET", "/ace/tasks/" + child.as_string()).body), "skill"));
  EXPECT_EQ(child_skills, (std::multiset<std::string>{"architect.plan", "operations.health", "operations.peers",
                                                      "operations.metrics_snapshot", "meta.synthesize",
                                                      "reflection.evaluate"}));
  const std::string path = jcs::serialize(*task.find("agent_path"));
  for (const char* agent : {"architect", "operations", "meta", "reflection"})
    EXPECT_NE(path.find(agent), std::string::npos) << path;

  // The stored task answers the same, and each step is a task of its own.
  const auto again = n.call("GET", "/ace/tasks/" + member(task, "id"));
  ASSERT_EQ(again.status, 200);
  const auto step = n.call("GET", "/ace/tasks/" + task.find("children")->items()[0].as_string());
  ASSERT_EQ(step.status, 200);
  EXPECT_EQ(member(parse_json(step.body), "parent_id"), member(task, "id"));

  auto receipt = ace::parse_receipt(jcs::serialize(*task.find("receipt")));
  ASSERT_TRUE(receipt.ok()) << receipt.error().to_string();
  EXPECT_TRUE(ace::verify_receipt(*receipt, fixed_key(7).public_key()).ok());
  EXPECT_EQ(ace::verify_receipt(*receipt, fixed_key(8).public_key()).error().code(), "wrong_key");
  receipt->status = "failed";
  EXPECT_EQ(ace::verify_receipt(*receipt, fixed_key(7).public_key()).error().code(), "bad_signature");
}

// [ace] attest_receipts: a goal that passed the Ihsan gate becomes a PoI attestation by the node
// key, which the chain admits under the ten rules and finalizes (the node's account counts it).
TEST(AceApi, AGoalThatPassedTheGateIsAttestedOnChain) {
  AceNode n(true, true);
  const auto r = n.call("POST", "/ace/orchestrate?wait=20000", R"({"input":{"goal":"health check"}})", kAuth);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::Value task = parse_json(r.body);
  ASSERT_EQ(member(*task.find("output")->find("evaluation"), "pass"), "true") << r.body;
  const std::string account = "/api/v1/accounts/" + crypto::format_public_key(fixed_key(7).public_key());
  std::string attestations;
  for (int i = 0; i < 500 && attestations != "1"; ++i) {
    const auto a = n.call("GET", account);
    attestations = a.status == 200 ? member(parse_json(a.body), "attestations") : "";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(attestations, "1");
  // A single skill is not a goal: nothing more is attested.
  ASSERT_EQ(n.call("POST", "/ace/orchestrate?wait=20000", R"({"skill":"memory.recall","input":{"query":"x"}})", kAuth)
                .status,
            200);
  ASSERT_TRUE(n.node.wait_for_height(n.node.node().status().committed_height + 2));
  EXPECT_EQ(member(parse_json(n.call("GET", account).body), "attestations"), "1");
}

TEST(AceApi, StatusAgentsAndMetricsReportTheRuntime) {
  AceNode n;
  ASSERT_EQ(n.call("POST", "/ace/orchestrate?wait=20000", R"({"skill":"memory.store","input":{"text":"hello"}})", kAuth)
                .status,
            200);
  const json::Value agents = parse_json(n.call("GET", "/ace/agents").body);
  ASSERT_EQ(agents.find("agents")->items().size(), 6u);
  std::set<std::string> levels;
  for (const json::Value& a : agents.find("agents")->items()) {
    levels.insert(member(a, "level"));
    EXPECT_FALSE(a.find("skills")->items().empty()) << member(a, "name");
  }
  EXPECT_EQ(levels, (std::set<std::string>{"L1", "L2", "L3", "L4"}));
  const json::Value status = parse_json(n.call("GET", "/ace/status").body);
  EXPECT_EQ(member(status, "succeeded"), "1");
  EXPECT_EQ(member(status, "node_pubkey"), hex::encode(fixed_key(7).public_key().bytes));
  const std::string metrics = n.call("GET", "/metrics").body;
  EXPECT_NE(metrics.find(R"(bizra_ace_tasks_total{agent="memory",type="APT",status="succeeded"} 1)"), std::string::npos);
  EXPECT_NE(metrics.find("bizra_ace_task_success_rate 1"), std::string::npos);
  EXPECT_NE(metrics.find(R"(bizra_ace_queue_depth{level="L1"} 0)"), std::string::npos);
}

TEST(AceApi, BadRequestsGetStructuredErrors) {
  AceNode n;
  EXPECT_EQ(n.call("POST", "/ace/orchestrate", R"({"input":{"goal":"x"}})").status, 401);
  const auto bad_json = n.call("POST", "/ace/orchestrate", "{", kAuth);
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(error_code(bad_json), "bad_json");
  const auto unknown = n.call("POST", "/ace/orchestrate", R"({"skill":"security.launch_missiles"})", kAuth);
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(error_code(unknown), "unknown_skill");
  EXPECT_EQ(error_code(n.call("POST", "/ace/orchestrate?wait=soon", R"({"input":{"goal":"x"}})", kAuth)), "bad_request");
  EXPECT_EQ(n.call("POST", "/ace/orchestrate", std::string(300 * 1024, ' '), kAuth).status, 413);
  EXPECT_EQ(error_code(n.call("GET", "/ace/tasks/00")), "not_found");
  // A path outside the evidence directory is the Security agent's refusal, recorded as a failed task.
  const auto outside = n.call("POST", "/ace/orchestrate?wait=20000",
                              R"({"skill":"security.hash_evidence","input":{"paths":["../../etc/passwd"]}})", kAuth);
  ASSERT_EQ(outside.status, 200) << outside.body;
  const json::Value task = parse_json(outside.body);
  EXPECT_EQ(member(task, "status"), "failed");
  EXPECT_EQ(member(*task.find("error"), "code"), "path_outside_root");
  const auto finished = n.call("POST", "/ace/tasks/" + member(task, "id") + "/cancel", "", kAuth);
  EXPECT_EQ(finished.status, 409);
  EXPECT_EQ(error_code(finished), "already_finished");
}

TEST(AceApi, WithoutTheRuntimeEveryRouteAnswersUnavailable) {
  AceNode n(false);
  for (const char* target : {"/ace/status", "/ace/agents", "/ace/tasks/42"}) {
    const auto r = n.call("GET", target);
    EXPECT_EQ(r.status, 503) << target;
    EXPECT_EQ(error_code(r), "ace_unavailable") << target;
  }
  EXPECT_EQ(n.call("POST", "/ace/orchestrate", "{}").status, 401);  // auth comes first
  EXPECT_EQ(error_code(n.call("POST", "/ace/orchestrate", "{}", kAuth)), "ace_unavailable");
  EXPECT_NE(n.call("GET", "/metrics").body.find("bizra_ace_agents_active 0"), std::string::npos);
}

TEST(AceApi, TheAceTopicFollowsATaskFromQueuedToFinished) {
  AceNode n;
  WsClient client(n.server->port());
  ASSERT_EQ(client.handshake(), 101u);
  client.subscribe(R"({"op":"subscribe","topics":["ace"]})");
  const auto r = n.call("POST", "/ace/orchestrate", R"({"skill":"memory.recall","input":{"query":"x"}})", kAuth);
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string id = member(parse_json(r.body), "id");
  std::vector<std::string> events;
  while (events.size() < 3) {
    const json::Value event = client.next();
    ASSERT_EQ(member(event, "topic"), "ace");
    const json::Value& data = *event.find("data");
    if (member(data, "id") != id) continue;
    events.push_back(member(data, "event"));
    EXPECT_EQ(member(data, "agent"), "memory");
  }
  EXPECT_EQ(events, (std::vector<std::string>{"queued", "started", "finished"}));
}

TEST(AceApi, TheDashboardIsServedWithAStrictContentSecurityPolicy) {
  AceNode n(false);
  const auto r = n.call("GET", "/dashboard");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_NE(r.body.find("<title>BIZRA NODE0 dashboard</title>"), std::string::npos);
  bool csp = false;
  for (const auto& [name, value] : r.headers)
    if (http::iequals(name, "Content-Security-Policy")) csp = value.find("default-src 'none'") != std::string::npos;
  EXPECT_TRUE(csp);
}

}  // namespace
}  // namespace bizra::api_test
