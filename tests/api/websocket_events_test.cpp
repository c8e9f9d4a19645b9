// The node publishes its commits on GET /ws: a real WebSocket client subscribed to "blocks" and
// "finality" receives events for blocks the node commits, and nothing for topics it did not ask for.
#include <sys/socket.h>
#include <sys/time.h>

#include <set>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "service/node_service.hpp"
#include "test_node.hpp"

namespace bizra::api_test {
namespace {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;

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
