// Client (src/http/client.hpp): keep-alive, reconnect after the server closed the connection, its
// error codes against closed ports, silent peers and broken servers.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "http/client.hpp"
#include "http/server.hpp"
#include "raw_socket.hpp"

namespace bizra::http {
namespace {

using namespace std::chrono_literals;

// A listening socket on an ephemeral 127.0.0.1 port, closed on destruction.
class Listener {
 public:
  explicit Listener(bool listen) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    socklen_t size = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    if (listen) ::listen(fd_, 8);
  }
  ~Listener() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// Accepts connections on `listener` and runs `script` on each, in a thread; for servers that
// misbehave in ways the real one never does.
class ScriptedServer {
 public:
  using Script = std::function<void(int connection, int index)>;
  ScriptedServer(int connections, Script script) : listener_(true) {
    thread_ = std::thread([this, connections, script = std::move(script)] {
      for (int i = 0; i < connections; ++i) {
        const int fd = ::accept(listener_.fd(), nullptr, nullptr);
        if (fd < 0) return;
        const timeval limit{testing::kSafetySeconds, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        script(fd, i);
        ::close(fd);
      }
    });
  }
  ~ScriptedServer() { thread_.join(); }
  std::uint16_t port() const { return listener_.port(); }

  // Reads one request without a body; false if the client closed first.
  static bool read_request(int fd) {
    std::string seen;
    char c;
    while (seen.find("\r\n\r\n") == std::string::npos) {
      if (::recv(fd, &c, 1, 0) != 1) return false;
      seen.push_back(c);
    }
    return true;
  }
  static void write(int fd, std::string_view data) { ::send(fd, data.data(), data.size(), MSG_NOSIGNAL); }

 private:
  Listener listener_;
  std::thread thread_;
};

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() {
    router_.add("GET", "/hello", [](const Request&) { return Response::json(200, R"({"hello":"world"})"); });
    router_.add("POST", "/echo", [](const Request& req) {
      Response r = Response::json(201, req.body);
      r.content_type = std::string(req.header("content-type").value_or(""));
      return r;
    });
  }
  void start(ServerConfig config = {}) {
    server_ = std::make_unique<Server>(config, router_);
    ASSERT_TRUE(server_->start().ok());
  }
  Router router_;
  std::unique_ptr<Server> server_;
};

TEST_F(ClientTest, KeepsOneConnectionForManyRequests) {
  start();
  Client client("127.0.0.1", server_->port());
  for (int i = 0; i < 5; ++i) {
    auto r = client.request("GET", "/hello");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->content_type, "application/json");
    EXPECT_EQ(r->body, R"({"hello":"world"})");
  }
  EXPECT_EQ(server_->counters().connections_accepted, 1u);
}

TEST_F(ClientTest, SendsBodyAndContentTypeAndReturnsErrorsAsResponses) {
  start();
  Client client("localhost", server_->port());  // a name, resolved
  auto r = client.request("POST", "/echo", "payload", "text/plain");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->content_type, "text/plain");
  EXPECT_EQ(r->body, "payload");
  r = client.request("DELETE", "/echo");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 405);
  bool allow = false;
  for (const auto& [name, value] : r->headers) allow |= iequals(name, "allow") && value == "POST";
  EXPECT_TRUE(allow);
}

TEST_F(ClientTest, ReconnectsAfterTheServerClosedAnIdleConnection) {
  ServerConfig config;
  config.idle_timeout = 100ms;
  start(config);
  Client client("127.0.0.1", server_->port());
  ASSERT_TRUE(client.request("GET", "/hello").ok());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(testing::kSafetySeconds);
  while (server_->counters().idle_closes == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(server_->counters().idle_closes, 1u);
  auto r = client.request("POST", "/echo", "again");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->body, "again");
  EXPECT_EQ(server_->counters().connections_accepted, 2u);
}

TEST(Client, ResendsOnceWhenAReusedConnectionClosesWithoutAnswer) {
  int requests_seen = 0;
  {
    // The first connection answers one request, then reads the next and closes without an
    // answer, as a server does that times out an idle connection just as a request arrives.
    ScriptedServer server(2, [&](int fd, int index) {
      if (!ScriptedServer::read_request(fd)) return;
      ++requests_seen;
      ScriptedServer::write(fd, kOk);
      if (index == 0 && ScriptedServer::read_request(fd)) ++requests_seen;
    });
    Client client("127.0.0.1", server.port());
    ASSERT_TRUE(client.request("GET", "/a").ok());
    auto r = client.request("GET", "/b");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(r->body, "ok");
  }  // the client goes first, then the server thread is joined
  EXPECT_EQ(requests_seen, 3);
}

TEST(Client, ConnectFailedOnAClosedPort) {
  Listener bound(false);  // bound, never listening: connections are refused
  Client client("127.0.0.1", bound.port());
  auto r = client.request("GET", "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "connect_failed");
}

TEST(Client, TimeoutAgainstAPeerThatNeverAnswers) {
  Listener silent(true);  // the kernel completes the handshake; nobody ever reads or answers
  Client client("127.0.0.1", silent.port(), 300ms);
  auto r = client.request("GET", "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "timeout");
}

TEST(Client, BadResponseFromANonHttpPeer) {
  ScriptedServer server(1, [](int fd, int) {
    if (ScriptedServer::read_request(fd)) ScriptedServer::write(fd, "SSH-2.0-OpenSSH\r\n\r\n");
  });
  Client client("127.0.0.1", server.port());
  auto r = client.request("GET", "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "bad_response");
}

TEST(Client, IoErrorWhenAFreshConnectionClosesWithoutAnswer) {
  ScriptedServer server(1, [](int fd, int) { ScriptedServer::read_request(fd); });
  Client client("127.0.0.1", server.port());
  auto r = client.request("GET", "/");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "io_error");
}

TEST(Client, RejectsInvalidMethodsAndTargets) {
  Client client("127.0.0.1", 1);
  EXPECT_THROW((void)client.request("G T", "/"), std::invalid_argument);
  EXPECT_THROW((void)client.request("GET", "/a b\r\nX: y"), std::invalid_argument);
  EXPECT_THROW((void)client.request("GET", "relative"), std::invalid_argument);
}

}  // namespace
}  // namespace bizra::http
