// The node publishes its commits and peer changes on GET /ws, which the router's policy guards:
// real WebSocket clients (Boost.Beast) subscribe, filter attestations by attester, see a peer
// connect and disconnect, and are refused by the rate limit and the CORS origins.
#include <sys/socket.h>
#include <sys/time.h>

#include <set>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "api/queries.hpp"
#include "service/node_service.hpp"
#include "test_node.hpp"
#include "ws_client.hpp"

namespace bizra::api_test {
namespace {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;

TEST(WebSocketEvents, AttestationsCanBeFilteredByAttester) {
  TestNode idle(false);
  auto surface = service::make_node_service(idle.node(), "test", "test").value();
  http::Server server(http::ServerConfig{.websocket = surface->websocket.get()}, surface->router);
  ASSERT_TRUE(server.start().ok());
  ASSERT_TRUE(idle.node().start().ok());
  const crypto::SecretKey alice = fixed_key(31), bob = fixed_key(32);
  const std::string alice_id = crypto::account_id(alice.public_key());

  WsClient client(server.port());
  ASSERT_EQ(client.handshake(), 101u);
  client.subscribe(R"({"op":"subscribe","topics":["attestations"],"filter":{"attestations":{"attester":")" + alice_id +
                   R"("}}})");
  // Bob's attestation is final before Alice's is submitted: were the filter ignored, Bob's event
  // would arrive first.
  const auto bobs = api::submit_attestation(idle.node(), idle.attestation(1, bob)).value();
  for (int i = 0; i < 500 && idle.node().transaction_status(bobs.id).state != node::TxState::kFinal; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(idle.node().transaction_status(bobs.id).state, node::TxState::kFinal);
  const auto alices = api::submit_attestation(idle.node(), idle.attestation(2, alice)).value();

  const json::Value event = client.next();
  EXPECT_EQ(member(event, "topic"), "attestations");
  const json::Value& data = *event.find("data");
  EXPECT_EQ(member(data, "id"), alices.attestation_id.value());
  EXPECT_EQ(member(data, "attester"), alice_id);
  EXPECT_EQ(member(data, "status"), "final");
  server.stop();
}

// Two validators (no quorum without both, which does not matter here): the first serves /ws and
// reports the second connecting and, once it stops, disconnecting.
TEST(WebSocketEvents, PeersTopicReportsConnectionsAndDisconnections) {
  const crypto::SecretKey key_a = fixed_key(41), key_b = fixed_key(42);
  const auto base = std::filesystem::temp_directory_path() /
                    ("bizra-ws-peers-" + std::to_string(::getpid()) + "-" +
                     std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  node::Genesis genesis;
  genesis.chain_id = "bizra-ws-peers";
  genesis.genesis_time_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  const std::string p2p_a = "127.0.0.1:" + std::to_string(free_port()), p2p_b = "127.0.0.1:" + std::to_string(free_port());
  genesis.validators = {{"a", key_a.public_key(), 1, 0, p2p_a, ""}, {"b", key_b.public_key(), 1, 0, p2p_b, ""}};
  const auto open = [&](const std::string& name, const std::string& p2p, const crypto::SecretKey& key) {
    node::NodeConfig config;
    config.data_dir = base / name;
    config.p2p_listen = p2p;
    return node::Node::open(config, genesis, crypto::SecretKey::from_seed(key.seed()).value()).value();
  };
  auto a = open("a", p2p_a, key_a);
  auto b = open("b", p2p_b, key_b);
  auto surface = service::make_node_service(*a, "test", "test").value();
  http::Server server(http::ServerConfig{.websocket = surface->websocket.get()}, surface->router);
  ASSERT_TRUE(server.start().ok());
  ASSERT_TRUE(a->start().ok());

  WsClient client(server.port());
  ASSERT_EQ(client.handshake(), 101u);
  client.subscribe(R"({"op":"subscribe","topics":["peers"]})");
  ASSERT_TRUE(b->start().ok());
  const json::Value up = client.next();
  EXPECT_EQ(member(up, "topic"), "peers");
  EXPECT_EQ(member(*up.find("data"), "event"), "connected");
  const json::Value& peer = *up.find("data")->find("peer");
  EXPECT_EQ(member(peer, "pubkey"), crypto::format_public_key(key_b.public_key()));
  EXPECT_EQ(member(peer, "connected"), "true");
  EXPECT_EQ(member(peer, "banned"), "false");
  b->stop();
  const json::Value down = client.next();
  EXPECT_EQ(member(*down.find("data"), "event"), "disconnected");
  EXPECT_EQ(member(*down.find("data")->find("peer"), "pubkey"), crypto::format_public_key(key_b.public_key()));
  server.stop();
  a->stop();
  b.reset();
  a.reset();
  std::filesystem::remove_all(base);
}

// GET /ws goes through the router's policy: a plain GET is 426, upgrades take rate-limit tokens,
// and with CORS on a browser origin that is not listed is refused (403) while non-browser
// clients (no Origin) and listed origins connect.
TEST(WebSocketEvents, UpgradesFollowTheRouterPolicy) {
  TestNode idle(false);
  auto surface = service::make_node_service(idle.node(), "test", "test",
                                            {.rate_per_second = 1, .burst = 4, .cors_origins = {"https://good.example"}})
                     .value();
  http::Server server(http::ServerConfig{.websocket = surface->websocket.get()}, surface->router);
  ASSERT_TRUE(server.start().ok());

  http::Client plain("127.0.0.1", server.port());
  const auto not_upgraded = plain.request("GET", "/ws").value();
  EXPECT_EQ(not_upgraded.status, 426);
  EXPECT_NE(not_upgraded.body.find("upgrade_required"), std::string::npos);

  WsClient evil(server.port(), "https://evil.example");
  EXPECT_EQ(evil.handshake(), 403u);
  WsClient good(server.port(), "https://good.example");
  EXPECT_EQ(good.handshake(), 101u);
  EXPECT_EQ(member(good.next(), "type"), "welcome");

  // Four tokens are spent (426, 403, 101 and this loop's first); a fast loop cannot refill many.
  int limited = 0;
  for (int i = 0; i < 6; ++i) {
    WsClient more(server.port());
    if (more.handshake() == 429) ++limited;
  }
  EXPECT_GE(limited, 3);
  server.stop();
}

TEST(WebSocketEvents, SubscribersReceiveTheNodesCommits) {
  TestNode idle(false);
  auto surface = service::make_node_service(idle.node(), "test", "test").value();
  http::ServerConfig config;
  config.websocket = surface->websocket.get();
  http::Server server(config, surface->router);
  ASSERT_TRUE(server.start().ok());
  ASSERT_TRUE(idle.node().start().ok());

  net::io_context io;
  websocket::stream<net::ip::tcp::socket> ws(io);
  ws.next_layer().connect({net::ip::make_address("127.0.0.1"), server.port()});
  const timeval timeout{10, 0};  // a read that gets nothing fails instead of hanging the test
  ASSERT_EQ(::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout), 0);
  ws.handshake("127.0.0.1", "/ws");
  const auto next = [&] {
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
    return parse_json(boost::beast::buffers_to_string(buffer.data()));
  };
  EXPECT_EQ(next().find("type")->as_string(), "welcome");
  const std::string subscribe = R"({"op":"subscribe","topics":["blocks","finality"]})";
  ws.write(net::buffer(subscribe));
  EXPECT_EQ(next().find("type")->as_string(), "subscribed");
  std::set<std::string> topics;
  for (int i = 0; i < 6; ++i) {
    const json::Value event = next();
    ASSERT_EQ(event.find("type")->as_string(), "event");
    const std::string topic = event.find("topic")->as_string();
    topics.insert(topic);
    EXPECT_TRUE(topic == "blocks" || topic == "finality") << topic;
    const json::Value* data = event.find("data");
    ASSERT_NE(data, nullptr);
    EXPECT_GT(data->find("height")->number(), 0);
    EXPECT_EQ(data->find("id")->as_string().size(), 64u);
  }
  EXPECT_EQ(topics, (std::set<std::string>{"blocks", "finality"}));
  ws.close(websocket::close_code::normal);
  server.stop();
}

}  // namespace
}  // namespace bizra::api_test
