// Server (src/http/server.hpp) over real sockets on 127.0.0.1: keep-alive, every limit and its
// error envelope, timeouts, connection cap, handler failures, concurrency, stop. No timing
// assertions: short server timeouts, and the test's own safety timeout (raw_socket.hpp) only
// turns a hang into a failure.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "http/client.hpp"
#include "http/server.hpp"
#include "raw_socket.hpp"

namespace bizra::http {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;

std::string get(std::string_view target, std::string_view extra = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n" + std::string(extra) + "\r\n";
}

std::string post(std::string_view target, std::string_view body) {
  return "POST " + std::string(target) + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + std::string(body);
}

bool has_code(const testing::RawResponse& r, std::string_view code) {
  return r.body.find(R"({"error":{"code":")" + std::string(code) + "\"") == 0;
}

// Polls `condition` until it holds or the safety timeout passes.
template <typename Fn>
bool eventually(Fn condition) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(testing::kSafetySeconds);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.add("GET", "/hello", [](const Request&) { return Response::json(200, R"({"hello":"world"})"); });
    router_.add("POST", "/echo", [](const Request& req) { return Response::json(200, req.body); });
    router_.add("POST", "/small", [](const Request& req) { return Response::json(200, req.body); }, 16);
    router_.add("GET", "/boom", [](const Request&) -> Response { throw std::runtime_error("boom"); });
    router_.add("GET", "/items/{id}", [](const Request& req) {
      Response r = Response::json(200, std::string(*req.param("id")) + "|" + std::string(req.query_param("x").value_or("")) +
                                           "|" + std::string(req.header("x-custom").value_or("")) + "|" + req.remote_ip);
      r.headers.emplace_back("X-Reply", "yes");
      r.headers.emplace_back("Content-Length", "999");  // framing belongs to the server: dropped
      return r;
    });
  }

  void start(ServerConfig config = {}) {
    server_ = std::make_unique<Server>(config, router_);
    ASSERT_TRUE(server_->start().ok());
    ASSERT_NE(server_->port(), 0);
  }

  std::uint16_t port() const { return server_->port(); }

  Router router_;  // declared first: outlives the server
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  start();
  RawConnection conn(port());
  ASSERT_TRUE(conn.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(conn.send(get("/hello")));
    auto r = conn.read_response();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"hello":"world"})");
    EXPECT_TRUE(r->has_header("Content-Type: application/json"));
  }
  // Pipelined: two requests in one write are answered in order.
  ASSERT_TRUE(conn.send(post("/echo", "first") + post("/echo", "second")));
  EXPECT_EQ(conn.read_response()->body, "first");
  EXPECT_EQ(conn.read_response()->body, "second");
  const auto counters = server_->counters();
  EXPECT_EQ(counters.connections_accepted, 1u);
  EXPECT_EQ(counters.requests, 5u);
}

TEST_F(ServerTest, HandlerSeesParamsQueryHeadersAndPeer) {
  start();
  RawConnection conn(port());
  ASSERT_TRUE(conn.send(get("/items/a%20b?x=1+2", "X-Custom: hi\r\n")));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->body, "a b|1 2|hi|127.0.0.1");
  EXPECT_TRUE(r->has_header("X-Reply: yes"));
  EXPECT_TRUE(r->has_header("Content-Length: 20"));
  EXPECT_FALSE(r->has_header("999"));
}

TEST_F(ServerTest, RoutingErrorsAreEnvelopes) {
  start();
  RawConnection conn(port());
  ASSERT_TRUE(conn.send(get("/nope")));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 404);
  EXPECT_TRUE(has_code(*r, "not_found"));
  ASSERT_TRUE(conn.send(post("/hello", "")));
  r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 405);
  EXPECT_TRUE(has_code(*r, "method_not_allowed"));
  EXPECT_TRUE(r->has_header("Allow: GET"));
  EXPECT_EQ(server_->counters().responses_4xx, 2u);
}

TEST_F(ServerTest, HugeContentLengthIs413WithoutReadingTheBody) {
  start();
  RawConnection conn(port());
  // 1 GiB announced, 10 bytes sent: an answer can only come before the body was read.
  ASSERT_TRUE(conn.send("POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\n\r\n0123456789"));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(has_code(*r, "payload_too_large"));
  EXPECT_NE(r->body.find("16 bytes"), std::string::npos);  // the route's limit
  EXPECT_TRUE(r->has_header("Connection: close"));
  EXPECT_TRUE(conn.closed_by_peer());
}

TEST_F(ServerTest, ServerBodyLimitCapsTheRoutes) {
  ServerConfig config;
  config.max_body_bytes = 100;  // /echo's own limit is 1 MiB
  start(config);
  RawConnection conn(port());
  ASSERT_TRUE(conn.send(post("/echo", std::string(101, 'x'))));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(r->body.find("100 bytes"), std::string::npos);
  RawConnection ok(port());
  ASSERT_TRUE(ok.send(post("/echo", std::string(100, 'x'))));
  EXPECT_EQ(ok.read_response()->status, 200);
}

TEST_F(ServerTest, ChunkedBodiesAreLimitedToo) {
  start();
  RawConnection small(port());
  ASSERT_TRUE(small.send("POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "8\r\n01234567\r\n8\r\n89abcdef\r\n0\r\n\r\n"));
  auto r = small.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "0123456789abcdef");

  RawConnection big(port());
  ASSERT_TRUE(big.send("POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "20\r\n0123456789abcdef0123456789abcdef\r\n"));  // 32 bytes, no end chunk
  r = big.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
  EXPECT_TRUE(has_code(*r, "payload_too_large"));
  EXPECT_TRUE(big.closed_by_peer());
}

TEST_F(ServerTest, ExpectContinueIsAnsweredOnlyWhenTheBodyFits) {
  start();
  RawConnection conn(port());
  ASSERT_TRUE(conn.send("POST /small HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 100);
  ASSERT_TRUE(conn.send("hello"));
  r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");

  RawConnection big(port());
  ASSERT_TRUE(big.send("POST /small HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 500\r\n\r\n"));
  r = big.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, OversizedHeaderIs431) {
  ServerConfig config;
  config.max_header_bytes = 1024;
  start(config);
  RawConnection conn(port());
  ASSERT_TRUE(conn.send(get("/hello", "X-Big: " + std::string(2000, 'a') + "\r\n")));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 431);
  EXPECT_TRUE(has_code(*r, "header_too_large"));
  EXPECT_TRUE(conn.closed_by_peer());
  // A header under the limit is fine.
  RawConnection ok(port());
  ASSERT_TRUE(ok.send(get("/hello", "X-Big: " + std::string(500, 'a') + "\r\n")));
  EXPECT_EQ(ok.read_response()->status, 200);
}

TEST_F(ServerTest, SlowlorisHeaderGets408AndClose) {
  ServerConfig config;
  config.request_timeout = 200ms;
  start(config);
  RawConnection conn(port());
  ASSERT_TRUE(conn.send("GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: "));  // and nothing more
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(has_code(*r, "request_timeout"));
  EXPECT_TRUE(conn.closed_by_peer());
  EXPECT_EQ(server_->counters().timeouts, 1u);
}

TEST_F(ServerTest, SlowBodyGets408) {
  ServerConfig config;
  config.request_timeout = 200ms;
  start(config);
  RawConnection conn(port());
  ASSERT_TRUE(conn.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc"));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(conn.closed_by_peer());
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosedQuietly) {
  ServerConfig config;
  config.idle_timeout = 200ms;
  start(config);
  RawConnection conn(port());
  ASSERT_TRUE(conn.send(get("/hello")));
  ASSERT_EQ(conn.read_response()->status, 200);
  EXPECT_TRUE(conn.closed_by_peer());  // no 408: nothing was being requested
  EXPECT_TRUE(eventually([&] { return server_->counters().idle_closes == 1; }));
  EXPECT_EQ(server_->counters().timeouts, 0u);
}

TEST_F(ServerTest, ConnectionsOverTheLimitGet503AndSlotsAreReused) {
  ServerConfig config;
  config.max_connections = 2;
  start(config);
  auto first = std::make_unique<RawConnection>(port());
  RawConnection second(port());
  for (RawConnection* conn : {first.get(), &second}) {
    ASSERT_TRUE(conn->send(get("/hello")));
    ASSERT_EQ(conn->read_response()->status, 200);
  }
  RawConnection third(port());
  ASSERT_TRUE(third.connected());
  third.send(get("/hello"));  // may fail if the server has answered and closed already
  auto r = third.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 503);
  EXPECT_TRUE(has_code(*r, "too_many_connections"));
  EXPECT_TRUE(third.closed_by_peer());
  EXPECT_EQ(server_->counters().connections_rejected, 1u);
  EXPECT_EQ(server_->counters().responses_5xx, 1u);

  first.reset();  // frees a slot once the server has seen the close
  EXPECT_TRUE(eventually([&] {
    RawConnection next(port());
    next.send(get("/hello"));
    auto answer = next.read_response();
    return answer && answer->status == 200;
  }));
}

TEST_F(ServerTest, MalformedRequestsAre400AndClose) {
  start();
  for (const std::string bad : {"GARBAGE\r\n\r\n", "GET /hello HTTP/9.9\r\nHost: t\r\n\r\n",
                                "GET http://example.com/hello HTTP/1.1\r\nHost: t\r\n\r\n",
                                "GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n",
                                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
                                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                                // Request smuggling shapes: ambiguous framing is refused, not guessed.
                                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
                                "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"}) {
    RawConnection conn(port());
    ASSERT_TRUE(conn.send(bad));
    auto r = conn.read_response();
    ASSERT_TRUE(r.has_value()) << bad;
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_TRUE(has_code(*r, "bad_request")) << bad;
    EXPECT_TRUE(conn.closed_by_peer()) << bad;
  }
}

TEST_F(ServerTest, HandlerExceptionIs500AndTheServerKeepsServing) {
  start();
  RawConnection conn(port());
  ASSERT_TRUE(conn.send(get("/boom")));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 500);
  EXPECT_TRUE(has_code(*r, "internal"));
  ASSERT_TRUE(conn.send(get("/hello")));  // same connection still works
  EXPECT_EQ(conn.read_response()->status, 200);
  RawConnection other(port());
  ASSERT_TRUE(other.send(get("/hello")));
  EXPECT_EQ(other.read_response()->status, 200);
  EXPECT_EQ(server_->counters().responses_5xx, 1u);
}

TEST_F(ServerTest, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
  start();
  RawConnection conn(port());
  ASSERT_TRUE(conn.send("GET /hello HTTP/1.0\r\n\r\n"));
  auto r = conn.read_response();
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(conn.closed_by_peer());
}

TEST_F(ServerTest, HandlersOfDifferentConnectionsRunConcurrently) {
  // Each handler waits until both are inside; with one thread at a time this would time out.
  std::mutex mutex;
  std::condition_variable changed;
  int inside = 0;
  router_.add("GET", "/meet", [&](const Request&) {
    std::unique_lock lock(mutex);
    ++inside;
    changed.notify_all();
    const bool met = changed.wait_for(lock, std::chrono::seconds(testing::kSafetySeconds), [&] { return inside >= 2; });
    return Response::json(200, met ? "met" : "alone");
  });
  ServerConfig config;
  config.threads = 2;
  start(config);
  std::string answers[2];
  std::thread callers[2];
  for (int i = 0; i < 2; ++i) {
    callers[i] = std::thread([&, i] {
      Client client("127.0.0.1", port());
      auto r = client.request("GET", "/meet");
      answers[i] = r.ok() ? r->body : r.error().to_string();
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(answers[0], "met");
  EXPECT_EQ(answers[1], "met");
}

TEST_F(ServerTest, ManyClientsOnManyThreads) {
  ServerConfig config;
  config.threads = 4;
  start(config);
  constexpr int kClients = 8, kRequests = 50;
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client("127.0.0.1", port());
      for (int i = 0; i < kRequests; ++i) {
        const std::string body = std::to_string(c) + ":" + std::to_string(i);
        auto r = client.request("POST", "/echo", body);
        if (r.ok() && r->status == 200 && r->body == body) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), kClients * kRequests);
  const auto counters = server_->counters();
  EXPECT_EQ(counters.requests, std::uint64_t{kClients * kRequests});
  EXPECT_EQ(counters.connections_accepted, std::uint64_t{kClients});
}

TEST_F(ServerTest, StopClosesOpenConnectionsAndIsIdempotent) {
  start();
  RawConnection idle(port());
  ASSERT_TRUE(idle.send(get("/hello")));
  ASSERT_EQ(idle.read_response()->status, 200);
  RawConnection partial(port());
  ASSERT_TRUE(partial.send("GET /hello HTTP/1.1\r\n"));
  server_->stop();
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_TRUE(partial.closed_by_peer());
  server_->stop();
  RawConnection refused(port());
  EXPECT_FALSE(refused.connected());
}

TEST(Server, StopWithoutStartAndDestructionAreFine) {
  Router router;
  Server never_started(ServerConfig{}, router);
  never_started.stop();
  EXPECT_EQ(never_started.port(), 0);
}

TEST(Server, BindFailures) {
  Router router;
  Server first(ServerConfig{}, router);
  ASSERT_TRUE(first.start().ok());
  ServerConfig same_port;
  same_port.port = first.port();
  Server second(same_port, router);
  auto status = second.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), "bind_failed");

  ServerConfig bad_host;
  bad_host.host = "not-an-address";
  Server third(bad_host, router);
  status = third.start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), "bind_failed");
}

}  // namespace
}  // namespace bizra::http
