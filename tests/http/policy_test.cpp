// Router policy (src/http/router.hpp RouteOptions/Policy): rate limiting, bearer auth and CORS as
// the router applies them, in order, plus one real server flooded on 127.0.0.1.
#include <gtest/gtest.h>

#include <atomic>

#include "http/client.hpp"
#include "http/router.hpp"
#include "http/server.hpp"

namespace bizra::http {
namespace {

const std::string kSecret = "0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1'700'000'000;

HandlerFn ok_handler() {
  return [](const Request&) { return Response::json(200, R"({"ok":true})"); };
}

Response call(const Router& router, std::string method, std::string path, Pairs headers = {},
              std::string ip = "10.0.0.1") {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  req.headers = std::move(headers);
  req.remote_ip = std::move(ip);
  return router.dispatch(req);
}

std::optional<std::string> header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

bool has_code(const Response& r, std::string_view code) {
  return r.body.rfind(R"({"error":{"code":")" + std::string(code) + "\"", 0) == 0;
}

struct ManualClock {
  std::chrono::steady_clock::time_point now{};
};

class PolicyTest : public ::testing::Test {
 protected:
  PolicyTest() {
    router_.add("GET", "/public", ok_handler());
    router_.add("GET", "/limited", ok_handler(), RouteOptions{.rate_limited = true});
    router_.add("POST", "/admin", ok_handler(), RouteOptions{.max_body_bytes = 4096, .requires_auth = true, .rate_limited = true});
    router_.add("GET", "/items/{id}", ok_handler());
    router_.add("DELETE", "/items/{id}", ok_handler(), RouteOptions{.requires_auth = true});
  }

  void set_policy(CorsConfig cors = {}) {
    auto auth = Authenticator::create({.hs256_secret = kSecret}, [] { return kNow; });
    ASSERT_TRUE(auth.ok());
    router_.set_policy({.authenticator = std::make_shared<const Authenticator>(std::move(auth).value()),
                        .rate_limiter = std::make_shared<RateLimiter>(RateLimitConfig{.rate_per_second = 1, .burst = 3},
                                                                      [this] { return clock_.now; }),
                        .cors = std::move(cors)});
  }

  static Pairs bearer(std::string token) { return {{"Authorization", "Bearer " + token}}; }
  static std::string good_token() { return make_jwt_hs256(R"({"sub":"op","exp":)" + std::to_string(kNow + 60) + "}", kSecret); }

  ManualClock clock_;
  Router router_;
};

TEST_F(PolicyTest, RouteOptionsKeepBodyLimits) {
  set_policy();
  EXPECT_EQ(router_.body_limit("POST", "/admin", 1), 4096u);
  EXPECT_EQ(router_.body_limit("GET", "/public", 1), 1u << 20);
  EXPECT_EQ(router_.body_limit("GET", "/nope", 7), 7u);
}

TEST_F(PolicyTest, BurstBeyondTheBucketGets429WithHeaders) {
  set_policy();
  for (const char* remaining : {"2", "1", "0"}) {
    const Response r = call(router_, "GET", "/limited");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(header(r, "X-RateLimit-Limit"), "3");
    EXPECT_EQ(header(r, "X-RateLimit-Remaining"), remaining);
    EXPECT_TRUE(header(r, "X-RateLimit-Reset"));
  }
  const Response refused = call(router_, "GET", "/limited");
  EXPECT_EQ(refused.status, 429);
  EXPECT_TRUE(has_code(refused, "rate_limited"));
  EXPECT_EQ(header(refused, "Retry-After"), "1");
  EXPECT_EQ(header(refused, "X-RateLimit-Limit"), "3");
  EXPECT_EQ(header(refused, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(header(refused, "X-RateLimit-Reset"), "3");

  EXPECT_EQ(call(router_, "GET", "/limited", {}, "10.0.0.2").status, 200);  // another IP, another bucket
  EXPECT_EQ(call(router_, "GET", "/public").status, 200);                   // not rate limited
  EXPECT_FALSE(header(call(router_, "GET", "/public"), "X-RateLimit-Limit"));
  clock_.now += std::chrono::seconds(1);  // one token back
  EXPECT_EQ(call(router_, "GET", "/limited").status, 200);
  EXPECT_EQ(call(router_, "GET", "/limited").status, 429);
}

TEST_F(PolicyTest, NoLimiterMeansNoLimit) {
  for (int i = 0; i < 10; ++i) EXPECT_EQ(call(router_, "GET", "/limited").status, 200);
}

TEST_F(PolicyTest, AuthRequiredRoutes) {
  set_policy();
  const Response missing = call(router_, "DELETE", "/items/1");
  EXPECT_EQ(missing.status, 401);
  EXPECT_TRUE(has_code(missing, "missing_token"));
  EXPECT_EQ(header(missing, "WWW-Authenticate"), "Bearer");

  const Response bad = call(router_, "DELETE", "/items/1", bearer(good_token() + "x"));
  EXPECT_EQ(bad.status, 401);
  EXPECT_TRUE(has_code(bad, "invalid_token"));
  EXPECT_EQ(header(bad, "WWW-Authenticate"), R"(Bearer error="invalid_token")");

  const Response expired =
      call(router_, "DELETE", "/items/1", bearer(make_jwt_hs256(R"({"exp":)" + std::to_string(kNow - 3600) + "}", kSecret)));
  EXPECT_EQ(expired.status, 401);
  EXPECT_TRUE(has_code(expired, "expired_token"));

  EXPECT_EQ(call(router_, "DELETE", "/items/1", bearer(good_token())).status, 200);
  EXPECT_EQ(call(router_, "GET", "/items/1").status, 200);  // same path, open method
}

TEST_F(PolicyTest, RateLimitComesBeforeAuth) {
  set_policy();
  for (int i = 0; i < 3; ++i) {
    const Response r = call(router_, "POST", "/admin", bearer("wrong-key-wrong-key"));
    EXPECT_EQ(r.status, 401);
    EXPECT_TRUE(header(r, "X-RateLimit-Remaining"));  // every response of the route carries them
  }
  EXPECT_EQ(call(router_, "POST", "/admin", bearer(good_token())).status, 429);  // guessing spent the bucket
}

TEST_F(PolicyTest, AuthRouteWithoutAuthenticatorFailsClosed) {
  const Response r = call(router_, "DELETE", "/items/1", bearer(good_token()));
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(has_code(r, "invalid_token"));
}

TEST_F(PolicyTest, PreflightForAllowedOrigin) {
  set_policy({.allowed_origins = {"https://app.example"}, .max_age = std::chrono::seconds(300)});
  const Response r = call(router_, "OPTIONS", "/items/7",
                          {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "DELETE"},
                           {"Access-Control-Request-Headers", "authorization"}});
  EXPECT_EQ(r.status, 204);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_EQ(header(r, "Access-Control-Allow-Methods"), "DELETE, GET");
  EXPECT_EQ(header(r, "Access-Control-Allow-Headers"), "Authorization, Content-Type");
  EXPECT_EQ(header(r, "Access-Control-Max-Age"), "300");
  EXPECT_EQ(header(r, "Vary"), "Origin");
  EXPECT_EQ(header(r, "Allow"), "DELETE, GET");
}

TEST_F(PolicyTest, PreflightForDisallowedOriginOrMethodHasNoCorsHeaders) {
  set_policy({.allowed_origins = {"https://app.example"}, .allowed_methods = {"GET"}});
  for (const Pairs& headers : {Pairs{{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "GET"}},
                               Pairs{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "DELETE"}},
                               Pairs{{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "PUT"}},
                               Pairs{{"Origin", "https://app.example"}}}) {
    const Response r = call(router_, "OPTIONS", "/items/7", headers);
    EXPECT_EQ(r.status, 204);
    EXPECT_FALSE(header(r, "Access-Control-Allow-Origin"));
    EXPECT_FALSE(header(r, "Access-Control-Allow-Methods"));
  }
  const Response allowed =
      call(router_, "OPTIONS", "/items/7", {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}});
  EXPECT_EQ(header(allowed, "Access-Control-Allow-Methods"), "GET");
  // Unknown paths stay 404.
  EXPECT_EQ(call(router_, "OPTIONS", "/nope", {{"Origin", "https://app.example"}}).status, 404);
}

TEST_F(PolicyTest, WithoutCorsOptionsIsJustAMethod) {
  set_policy();
  const Response r = call(router_, "OPTIONS", "/items/7", {{"Origin", "https://app.example"}});
  EXPECT_EQ(r.status, 405);
  EXPECT_FALSE(header(r, "Access-Control-Allow-Origin"));
  EXPECT_FALSE(header(r, "Vary"));
}

TEST_F(PolicyTest, SimpleRequestsGetCorsHeadersOnlyForAllowedOrigins) {
  set_policy({.allowed_origins = {"https://app.example"}});
  const Response plain = call(router_, "GET", "/public");
  const Response allowed = call(router_, "GET", "/public", {{"Origin", "https://app.example"}});
  const Response denied = call(router_, "GET", "/public", {{"Origin", "https://evil.example"}});
  EXPECT_EQ(header(allowed, "Access-Control-Allow-Origin"), "https://app.example");
  EXPECT_TRUE(header(allowed, "Access-Control-Expose-Headers"));
  EXPECT_FALSE(header(denied, "Access-Control-Allow-Origin"));
  EXPECT_FALSE(header(plain, "Access-Control-Allow-Origin"));
  for (const Response* r : {&plain, &allowed, &denied}) {
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, R"({"ok":true})");  // the origin never changes the answer itself
    EXPECT_EQ(header(*r, "Vary"), "Origin");
  }
  // Errors carry them too, so a page can read a 401 or 429.
  const Response unauthorized = call(router_, "DELETE", "/items/1", {{"Origin", "https://app.example"}});
  EXPECT_EQ(unauthorized.status, 401);
  EXPECT_EQ(header(unauthorized, "Access-Control-Allow-Origin"), "https://app.example");
}

TEST_F(PolicyTest, WildcardAllowsAnyOrigin) {
  set_policy({.allowed_origins = {"*"}});
  EXPECT_EQ(header(call(router_, "GET", "/public", {{"Origin", "https://any.example"}}), "Access-Control-Allow-Origin"),
            "https://any.example");
  EXPECT_FALSE(header(call(router_, "GET", "/public", {{"Origin", ""}}), "Access-Control-Allow-Origin"));
}

// The 429 flood through a real server on 127.0.0.1: the limiter keys on the connection's IP.
TEST(PolicyServer, FloodGets429WithHeaders) {
  Router router;
  std::atomic<int> served{0};
  router.add("GET", "/limited", [&](const Request&) {
    served.fetch_add(1);
    return Response::json(200, "{}");
  }, RouteOptions{.rate_limited = true});
  router.set_policy({.rate_limiter = std::make_shared<RateLimiter>(RateLimitConfig{.rate_per_second = 0.001, .burst = 5})});
  Server server({.host = "127.0.0.1", .port = 0, .threads = 2}, router);
  ASSERT_TRUE(server.start().ok());
  Client client("127.0.0.1", server.port(), std::chrono::seconds(10));
  int ok = 0;
  int limited = 0;
  for (int i = 0; i < 20; ++i) {
    auto r = client.request("GET", "/limited");
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ(header(*r, "X-RateLimit-Limit"), "5");
    EXPECT_TRUE(header(*r, "X-RateLimit-Remaining"));
    EXPECT_TRUE(header(*r, "X-RateLimit-Reset"));
    if (r->status == 200) {
      ++ok;
    } else {
      ++limited;
      EXPECT_EQ(r->status, 429);
      EXPECT_TRUE(has_code(*r, "rate_limited"));
      EXPECT_EQ(header(*r, "Retry-After"), "1000");
    }
  }
  EXPECT_EQ(ok, 5);
  EXPECT_EQ(limited, 15);
  EXPECT_EQ(served.load(), 5);  // refused requests never reach the handler
}

}  // namespace
}  // namespace bizra::http
