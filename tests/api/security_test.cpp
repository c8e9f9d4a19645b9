// node.toml's [api] security settings applied by service::make_node_service: API keys on the
// routes that need a bearer token, a per-IP rate limit on write/verify routes, CORS.
#include <gtest/gtest.h>

#include "service/node_service.hpp"
#include "test_node.hpp"

namespace bizra::api_test {
namespace {

const std::string kKey = "an-api-key-of-20-bytes";

struct Served {
  TestNode node{false};
  std::unique_ptr<service::NodeService> surface;
  std::unique_ptr<http::Server> server;

  explicit Served(service::ApiSecurity security) {
    surface = service::make_node_service(node.node(), "test", "test", std::move(security)).value();
    server = std::make_unique<http::Server>(http::ServerConfig{}, surface->router);
    if (!server->start().ok()) throw std::runtime_error("server start failed");
  }
  ~Served() { server->stop(); }
  http::Response call(std::string_view method, std::string_view target, std::string_view body = {},
                      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::Client client("127.0.0.1", server->port());
    return client.request(method, target, body, "application/json", headers).value();
  }
};

TEST(ApiSecurity, BearerApiKeysGuardTheRoutesThatNeedThem) {
  Served s({.api_keys = {kKey}});
  EXPECT_EQ(s.call("POST", "/ace/orchestrate", "{}").status, 401);
  EXPECT_EQ(s.call("POST", "/ace/orchestrate", "{}", {{"Authorization", "Bearer wrong-key-of-20-bytes!"}}).status, 401);
  const auto allowed = s.call("POST", "/ace/orchestrate", "{}", {{"Authorization", "Bearer " + kKey}});
  EXPECT_EQ(allowed.status, 503);  // past auth: ACE itself is not built yet
  EXPECT_NE(allowed.body.find("ace_unavailable"), std::string::npos);
  EXPECT_EQ(s.call("GET", "/health").status, 200);  // reads need no token
}

TEST(ApiSecurity, WriteRoutesAreRateLimitedPerClient) {
  Served s({.rate_per_second = 1, .burst = 3});
  int limited = 0;
  for (int i = 0; i < 6; ++i) {
    const auto r = s.call("POST", "/api/v1/poi/verify", "{}");
    if (r.status == 429) {
      ++limited;
      EXPECT_NE(r.body.find("rate_limited"), std::string::npos);
    }
  }
  EXPECT_GE(limited, 2);  // a burst of 3, refilled at 1/s: the rest of six quick calls are refused
  EXPECT_EQ(s.call("GET", "/health").status, 200);  // reads are not limited
}

TEST(ApiSecurity, BadKeysAreRefusedAtStartup) {
  TestNode idle(false);
  EXPECT_EQ(service::make_node_service(idle.node(), "t", "t", {.api_keys = {"short"}}).error().code(), "bad_auth_config");
}

}  // namespace
}  // namespace bizra::api_test
