// WebSocketHub (src/http/websocket.hpp) behind a real Server, driven by a real Beast WebSocket
// client on 127.0.0.1. Every client operation is bounded by a safety timeout, so a server that
// hangs fails the test instead of hanging it. No timing assertions: where the server must act on
// its own (heartbeat, slow consumer) the test polls its counters for a generous while.
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <thread>

#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "codec/json.hpp"
#include "http/server.hpp"
#include "http/websocket.hpp"

namespace bizra::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

constexpr auto kSafety = 10s;

// Polls `done` for up to kSafety.
bool eventually(const std::function<bool()>& done) {
  for (auto deadline = std::chrono::steady_clock::now() + kSafety; std::chrono::steady_clock::now() < deadline;) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

// A blocking client made of async operations run for at most kSafety each.
class Client {
 public:
  // Connects and performs the handshake; handshake_status() tells how it went.
  explicit Client(std::uint16_t port, int receive_buffer = 0) {
    tcp::socket& socket = ws_.next_layer();
    socket.open(tcp::v4());
    if (receive_buffer > 0) socket.set_option(net::socket_base::receive_buffer_size(receive_buffer));
    socket.connect(tcp::endpoint(net::ip::address_v4::loopback(), port));
    error_code result = net::error::would_block;
    ws_.async_handshake(response_, "127.0.0.1", "/ws", [&](error_code ec) { result = ec; });
    handshake_error_ = run(result);
  }

  bool open() const { return !handshake_error_; }
  unsigned handshake_status() const { return response_.result_int(); }

  void send(std::string_view text) {
    error_code result = net::error::would_block;
    ws_.async_write(net::buffer(text.data(), text.size()), [&](error_code ec, std::size_t) { result = ec; });
    ASSERT_FALSE(run(result)) << "send failed";
  }

  // The next message, or nullopt once the connection is closed or broken (error() says how).
  std::optional<std::string> read() {
    beast::flat_buffer buffer;
    error_code result = net::error::would_block;
    ws_.async_read(buffer, [&](error_code ec, std::size_t) { result = ec; });
    if ((error_ = run(result))) return std::nullopt;
    return beast::buffers_to_string(buffer.data());
  }

  // The next message parsed; fails the test when there is none.
  json::Value next() {
    auto text = read();
    EXPECT_TRUE(text.has_value()) << "no message: " << error_.message();
    auto value = json::parse(text.value_or("null"));
    EXPECT_TRUE(static_cast<bool>(value)) << *text;
    return value ? *value : json::Value::null();
  }

  // Reads (and drops) messages until the connection ends; returns how many there were.
  std::size_t read_until_closed() {
    std::size_t count = 0;
    while (read()) ++count;
    return count;
  }

  const error_code& error() const { return error_; }
  websocket::close_reason close_reason() const { return ws_.reason(); }

 private:
  // Runs the pending operation for at most kSafety; past that the socket is closed, which makes
  // the operation fail.
  error_code run(const error_code& result) {
    io_.restart();
    io_.run_for(kSafety);
    if (result == net::error::would_block) {
      error_code ignored;
      ws_.next_layer().close(ignored);
      io_.restart();
      io_.run();
      return net::error::timed_out;
    }
    return result;
  }

  net::io_context io_;
  websocket::stream<tcp::socket> ws_{io_};
  websocket::response_type response_;
  error_code handshake_error_, error_;
};

std::string type_of(const json::Value& message) {
  const json::Value* type = message.find("type");
  return type != nullptr ? type->as_string() : "";
}

std::string string_at(const json::Value& message, std::string_view key) {
  const json::Value* value = message.find(key);
  return value != nullptr ? value->as_string() : "";
}

std::vector<std::string> topics_of(const json::Value& message) {
  std::vector<std::string> out;
  if (const json::Value* topics = message.find("topics")) {
    for (const auto& t : topics->items()) out.push_back(t.as_string());
  }
  return out;
}

class WebSocketTest : public ::testing::Test {
 protected:
  void start(WebSocketConfig config = {}) {
    hub_.emplace(config);
    router_.add("GET", "/health", [](const Request&) { return Response::json(200, "{}"); });
    server_.emplace(ServerConfig{.threads = 2, .websocket = &*hub_}, router_);
    ASSERT_TRUE(server_->start());
  }

  // A client past its welcome message.
  std::unique_ptr<Client> connect() {
    auto client = std::make_unique<Client>(server_->port());
    EXPECT_TRUE(client->open());
    EXPECT_EQ(type_of(client->next()), "welcome");
    return client;
  }

  // A client subscribed to `request`'s topics (the "subscribed" answer consumed).
  std::unique_ptr<Client> subscriber(std::string_view request) {
    auto client = connect();
    client->send(request);
    EXPECT_EQ(type_of(client->next()), "subscribed");
    return client;
  }

  WebSocketHub& hub() { return *hub_; }

  // Destroyed in reverse order: the server detaches from the hub before the hub goes.
  Router router_;
  std::optional<WebSocketHub> hub_;
  std::optional<Server> server_;
};

TEST_F(WebSocketTest, WelcomeListsTopicsAndHeartbeat) {
  start({.heartbeat = 1234ms});
  Client client(server_->port());
  ASSERT_TRUE(client.open());
  EXPECT_EQ(client.handshake_status(), 101U);
  const json::Value welcome = client.next();
  EXPECT_EQ(type_of(welcome), "welcome");
  EXPECT_EQ(topics_of(welcome), (std::vector<std::string>{"blocks", "finality", "attestations", "peers", "ace"}));
  ASSERT_NE(welcome.find("heartbeat_ms"), nullptr);
  EXPECT_EQ(welcome.find("heartbeat_ms")->number_text(), "1234");
  EXPECT_TRUE(eventually([&] { return hub().counters().connections_open == 1; }));
  EXPECT_EQ(hub().counters().connections_accepted, 1U);
}

TEST_F(WebSocketTest, PlainHttpStillServedAndPlainGetOfPathIsNotUpgraded) {
  start();
  Client client(server_->port());  // the server keeps serving HTTP next to WebSockets
  ASSERT_TRUE(client.open());
  // Without upgrade headers /ws is an ordinary route lookup: 404 here.
  net::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(net::ip::address_v4::loopback(), server_->port()));
  const std::string request = "GET /ws HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  net::write(socket, net::buffer(request));
  std::string answer;
  error_code ec;
  std::array<char, 1024> chunk{};
  while (!ec) answer.append(chunk.data(), socket.read_some(net::buffer(chunk), ec));
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 404")) << answer;
}

TEST_F(WebSocketTest, EventsOnlyForSubscribedTopics) {
  start();
  auto client = subscriber(R"({"op":"subscribe","topics":["blocks"]})");
  EXPECT_TRUE(eventually([&] { return hub().counters().subscribers[0] == 1; }));
  hub().publish("finality", R"({"height":1})");  // not subscribed: never arrives
  hub().publish("blocks", R"({"height":2})");
  const json::Value event = client->next();
  EXPECT_EQ(type_of(event), "event");
  EXPECT_EQ(string_at(event, "topic"), "blocks");
  ASSERT_NE(event.find("data"), nullptr);
  EXPECT_EQ(event.find("data")->find("height")->number_text(), "2");
  EXPECT_TRUE(eventually([&] { return hub().counters().messages_delivered == 1; }));
}

TEST_F(WebSocketTest, SubscribeAccumulatesAndUnsubscribeRemoves) {
  start();
  auto client = subscriber(R"({"op":"subscribe","topics":["blocks"]})");
  client->send(R"({"op":"subscribe","topics":["finality","peers"]})");
  const json::Value subscribed = client->next();
  EXPECT_EQ(type_of(subscribed), "subscribed");
  EXPECT_EQ(topics_of(subscribed), (std::vector<std::string>{"blocks", "finality", "peers"}));
  client->send(R"({"op":"unsubscribe","topics":["blocks","peers"]})");
  const json::Value unsubscribed = client->next();
  EXPECT_EQ(type_of(unsubscribed), "unsubscribed");
  EXPECT_EQ(topics_of(unsubscribed), (std::vector<std::string>{"finality"}));
  const auto counters = hub().counters();
  EXPECT_EQ(counters.subscribers[0], 0U);
  EXPECT_EQ(counters.subscribers[1], 1U);
  hub().publish("blocks", "1");
  hub().publish("finality", "2");
  const json::Value event = client->next();
  EXPECT_EQ(string_at(event, "topic"), "finality");
}

TEST_F(WebSocketTest, AttestationFilterById) {
  start();
  const std::string wanted(64, 'a'), other(64, 'b');
  auto client = subscriber(R"({"op":"subscribe","topics":["attestations"],"filter":{"attestations":{"id":")" +
                           wanted + R"("}}})");
  hub().publish("attestations", R"("other")", {.attestation_id = other});
  hub().publish("attestations", R"("wanted")", {.attestation_id = wanted});
  EXPECT_EQ(client->next().find("data")->as_string(), "wanted");
}

TEST_F(WebSocketTest, AttestationFilterByAttester) {
  start();
  const std::string wanted = "bz" + std::string(40, '1'), other = "bz" + std::string(40, '2');
  auto client = subscriber(R"({"op":"subscribe","topics":["attestations"],"filter":{"attestations":{"attester":")" +
                           wanted + R"("}}})");
  auto unfiltered = subscriber(R"({"op":"subscribe","topics":["attestations"]})");
  hub().publish("attestations", R"("other")", {.attester = other});
  hub().publish("attestations", R"("wanted")", {.attester = wanted});
  EXPECT_EQ(client->next().find("data")->as_string(), "wanted");
  EXPECT_EQ(unfiltered->next().find("data")->as_string(), "other");
  EXPECT_EQ(unfiltered->next().find("data")->as_string(), "wanted");
}

TEST_F(WebSocketTest, PingPong) {
  start();
  auto client = connect();
  client->send(R"({"op":"ping"})");
  EXPECT_EQ(type_of(client->next()), "pong");
}

TEST_F(WebSocketTest, BadRequestsGetErrorsAndTheConnectionStays) {
  start();
  auto client = connect();
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"{nope", "bad_json"},
      {R"({"op":"dance"})", "unknown_op"},
      {R"({"topics":["blocks"]})", "bad_request"},
      {R"({"op":"subscribe","topics":"blocks"})", "bad_request"},
      {R"({"op":"subscribe","topics":["blocks","weather"]})", "unknown_topic"},
      {R"({"op":"subscribe","topics":["attestations"],"filter":{"attestations":{"id":"XYZ"}}})", "bad_filter"},
      {R"({"op":"subscribe","topics":["attestations"],"filter":{"blocks":{}}})", "bad_filter"},
  };
  for (const auto& [request, code] : cases) {
    client->send(request);
    const json::Value answer = client->next();
    EXPECT_EQ(type_of(answer), "error") << request;
    EXPECT_EQ(string_at(answer, "code"), code) << request;
    EXPECT_FALSE(string_at(answer, "message").empty());
  }
  // A refused subscribe changed nothing, and the connection still works.
  EXPECT_EQ(hub().counters().subscribers[0], 0U);
  client->send(R"({"op":"ping"})");
  EXPECT_EQ(type_of(client->next()), "pong");
}

TEST_F(WebSocketTest, ErrorFloodClosesWithPolicyError) {
  start({.heartbeat = 60s});  // no sweep resets the error count during the test
  auto client = connect();
  for (int i = 0; i < 40; ++i) client->send("garbage");
  client->read_until_closed();
  EXPECT_EQ(client->error(), websocket::error::closed) << client->error().message();
  EXPECT_EQ(client->close_reason().code, websocket::close_code::policy_error);
  EXPECT_EQ(client->close_reason().reason, "too many errors");
}

TEST_F(WebSocketTest, OversizedMessageClosesWith1009) {
  start();
  auto client = connect();
  client->send(std::string(5000, ' '));
  EXPECT_FALSE(client->read());
  EXPECT_EQ(client->error(), websocket::error::closed) << client->error().message();
  EXPECT_EQ(client->close_reason().code, websocket::close_code::too_big);
  EXPECT_TRUE(eventually([&] { return hub().counters().connections_open == 0; }));
}

TEST_F(WebSocketTest, SlowConsumerIsClosedAndItsQueueStaysBounded) {
  constexpr std::size_t kQueue = 64 << 10;
  start({.max_queue_bytes = kQueue, .heartbeat = 60s});
  Client slow(server_->port(), /*receive_buffer=*/4096);
  ASSERT_TRUE(slow.open());
  slow.send(R"({"op":"subscribe","topics":["blocks"]})");
  // Waits for the subscription without reading: the client stops reading from here on.
  ASSERT_TRUE(eventually([&] { return hub().counters().subscribers[0] == 1; }));
  const std::string payload = "\"" + std::string(4000, 'x') + "\"";
  for (int i = 0; i < 100000 && hub().counters().slow_consumer_closes == 0; ++i) {
    hub().publish("blocks", payload);
    if (i % 64 == 0) std::this_thread::yield();
  }
  const auto counters = hub().counters();
  EXPECT_EQ(counters.slow_consumer_closes, 1U);
  EXPECT_LE(counters.max_queued_bytes, kQueue);
  EXPECT_GT(counters.messages_dropped, 0U);
  // Reading again, the client gets what was already sent, then the close frame.
  EXPECT_GT(slow.read_until_closed(), 0U);
  EXPECT_EQ(slow.error(), websocket::error::closed) << slow.error().message();
  EXPECT_EQ(slow.close_reason().code, websocket::close_code::policy_error);
  EXPECT_EQ(slow.close_reason().reason, "slow consumer");
  EXPECT_TRUE(eventually([&] { return hub().counters().subscribers[0] == 0; }));
}

TEST_F(WebSocketTest, SilentClientIsClosedByHeartbeat) {
  start({.heartbeat = 50ms});
  auto client = connect();
  // Not reading means not answering the server's pings either.
  EXPECT_TRUE(eventually([&] { return hub().counters().heartbeat_closes == 1; }));
  client->read_until_closed();
  EXPECT_NE(client->error(), net::error::timed_out);  // ended by the server, not by our safety limit
  EXPECT_TRUE(eventually([&] { return hub().counters().connections_open == 0; }));
}

TEST_F(WebSocketTest, ClientAnsweringPingsSurvivesHeartbeats) {
  start({.heartbeat = 200ms});
  auto client = subscriber(R"({"op":"subscribe","topics":["blocks"]})");
  // The client never sends a request; only its pongs (sent by Beast while a read is pending) show
  // it is alive. About four heartbeat intervals pass.
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(20ms);
    hub().publish("blocks", std::to_string(i));
    ASSERT_EQ(type_of(client->next()), "event");
  }
  EXPECT_EQ(hub().counters().heartbeat_closes, 0U);
}

TEST_F(WebSocketTest, ConnectionCapAnswers503) {
  start({.max_connections = 2});
  auto first = connect();
  auto second = connect();
  Client third(server_->port());
  EXPECT_FALSE(third.open());
  EXPECT_EQ(third.handshake_status(), 503U);
  EXPECT_EQ(hub().counters().connections_rejected, 1U);
  first.reset();  // a closed connection frees its slot
  EXPECT_TRUE(eventually([&] { return hub().counters().connections_open == 1; }));
  auto fourth = connect();
}

TEST_F(WebSocketTest, PublishFromManyThreadsWhileClientsComeAndGo) {
  // A queue far larger than what the paced publishers can fill while `steady` is not reading: this
  // test is about concurrency, not about slow consumers.
  start({.max_queue_bytes = 64 << 20});
  auto steady = subscriber(R"({"op":"subscribe","topics":["peers"]})");
  std::atomic<bool> stop{false};
  std::vector<std::thread> publishers;
  for (int t = 0; t < 3; ++t) {
    publishers.emplace_back([&] {
      while (!stop.load()) {
        hub().publish("peers", "{}");
        std::this_thread::sleep_for(50us);
      }
    });
  }
  for (int i = 0; i < 5; ++i) subscriber(R"({"op":"subscribe","topics":["peers"]})");
  EXPECT_EQ(type_of(steady->next()), "event");
  stop.store(true);
  for (auto& thread : publishers) thread.join();
  server_->stop();  // with connections open and events queued
  EXPECT_EQ(hub().counters().subscribers[3], 0U);
}

TEST_F(WebSocketTest, UnknownTopicPublishIsAProgrammingError) {
  start();
  EXPECT_THROW(hub().publish("weather", "{}"), std::invalid_argument);
}

}  // namespace
}  // namespace bizra::http
