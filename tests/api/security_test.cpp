// node.toml's [api] security settings applied by service::make_node_service: API keys on the
// routes that need a bearer token, a per-IP rate limit on write/verify routes, CORS.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "service/node_service.hpp"
#include "test_node.hpp"

namespace bizra::api_test {
namespace {

const std::string kKey = "an-api-key-of-20-bytes";

struct Served {
  TestNode node{false};
  std::unique_ptr<service::NodeService> surface;
  std::unique_ptr<http::Server> server;

  // `extra`: routes a test adds to the node's router before it is served.
  explicit Served(service::ApiSecurity security, const std::function<void(http::Router&)>& extra = {}) {
    surface = service::make_node_service(node.node(), "test", "test", std::move(security)).value();
    if (extra) extra(surface->router);
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
  EXPECT_EQ(allowed.status, 503);  // past auth: this node runs without the ACE runtime
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

// JWTs configured from node.toml: [api] jwt_hs256_secret_file and jwt_eddsa_public_keys, read by
// service::api_security, checked on a route that requires auth. The route is the test's own
// (POST /guarded, answering 204), so the verdicts do not depend on what the ACE routes answer
// past authentication; the ACE routes use the same RouteOptions{.requires_auth = true}.
class JwtFromConfig : public ::testing::Test {
 protected:
  const std::string secret_ = "a-shared-hs256-secret-of-at-least-32-bytes";
  const crypto::SecretKey issuer_ = fixed_key(21);
  std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                               ("bizra-jwt-" + std::to_string(::getpid()) + "-" +
                                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));

  void SetUp() override {
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "jwt.secret") << secret_ << "\n";  // as `echo` writes it
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  node::NodeConfig config_text(std::string_view api_lines) const {
    return node::parse_config("[api]\n" + std::string(api_lines), dir_).value();
  }
  node::NodeConfig config() const {
    return config_text("jwt_hs256_secret_file = \"jwt.secret\"\njwt_eddsa_public_keys = [\"" +
                       crypto::format_public_key(issuer_.public_key()) + "\"]\n");
  }
  static std::string claims(std::int64_t exp_offset_s) {
    return "{\"sub\":\"ops\",\"exp\":" + std::to_string(http::Authenticator::system_now() + exp_offset_s) + "}";
  }
  static std::string code_of(const http::Response& r) { return member(*parse_json(r.body).find("error"), "code"); }
};

TEST_F(JwtFromConfig, TokensFromTheConfiguredKeysPassAndOthersAreRefused) {
  const node::NodeConfig c = config();
  EXPECT_EQ(c.jwt_hs256_secret_file, dir_ / "jwt.secret");
  ASSERT_EQ(c.jwt_eddsa_public_keys.size(), 1u);
  Served s(service::api_security(c).value(), [](http::Router& router) {
    router.add(
        "POST", "/guarded",
        [](const http::Request&) { return http::Response{.status = 204, .content_type = "", .body = {}, .headers = {}}; },
        http::RouteOptions{.requires_auth = true});
  });
  const auto call = [&](const std::string& token) {
    return s.call("POST", "/guarded", "{}", {{"Authorization", "Bearer " + token}});
  };
  const auto missing = s.call("POST", "/guarded", "{}");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(code_of(missing), "missing_token");

  EXPECT_EQ(call(http::make_jwt_hs256(claims(600), secret_)).status, 204);
  EXPECT_EQ(call(http::make_jwt_eddsa(claims(600), issuer_)).status, 204);

  const auto expired = call(http::make_jwt_hs256(claims(-3600), secret_));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(code_of(expired), "expired_token");

  const auto wrong_secret = call(http::make_jwt_hs256(claims(600), "another-secret-of-at-least-32-bytes!!"));
  EXPECT_EQ(wrong_secret.status, 401);
  EXPECT_EQ(code_of(wrong_secret), "invalid_token");
  EXPECT_EQ(code_of(call(http::make_jwt_eddsa(claims(600), fixed_key(22)))), "invalid_token");  // unknown issuer

  // alg "none" (no signature) and a claimed algorithm nobody configured are refused alike.
  const std::string body = http::base64url_encode(claims(600));
  const auto none = call(http::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + body + ".");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(code_of(none), "invalid_token");
  const std::string hs256_token = http::make_jwt_hs256(claims(600), secret_);
  const std::string relabelled = http::base64url_encode(R"({"alg":"HS512","typ":"JWT"})") +
                                 hs256_token.substr(hs256_token.find('.'));
  EXPECT_EQ(code_of(call(relabelled)), "invalid_token");
  EXPECT_EQ(none.body.find(secret_), std::string::npos);
}

TEST_F(JwtFromConfig, SecretFileProblemsAreStartupErrorsThatNeverQuoteTheSecret) {
  auto missing = service::api_security(config_text("jwt_hs256_secret_file = \"absent.secret\"\n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), "io_error");
  EXPECT_NE(missing.error().message().find("api.jwt_hs256_secret_file"), std::string::npos);

  std::ofstream(dir_ / "big.secret") << std::string(5000, 's');
  auto big = service::api_security(config_text("jwt_hs256_secret_file = \"big.secret\"\n"));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code(), "too_large");
  EXPECT_EQ(big.error().message().find("sssss"), std::string::npos);

  std::ofstream(dir_ / "short.secret") << "too-short-secret";
  auto short_secret = service::api_security(config_text("jwt_hs256_secret_file = \"short.secret\"\n")).value();
  TestNode idle(false);
  auto refused = service::make_node_service(idle.node(), "t", "t", std::move(short_secret));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), "bad_auth_config");
  EXPECT_EQ(refused.error().message().find("too-short-secret"), std::string::npos);

  EXPECT_EQ(node::parse_config("[api]\njwt_eddsa_public_keys = [\"abc\"]\n", dir_).error().code(), "bad_config");
}

TEST(ApiSecurity, BadKeysAreRefusedAtStartup) {
  TestNode idle(false);
  EXPECT_EQ(service::make_node_service(idle.node(), "t", "t", {.api_keys = {"short"}}).error().code(), "bad_auth_config");
}

}  // namespace
}  // namespace bizra::api_test
