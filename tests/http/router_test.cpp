// Router (src/http/router.hpp): matching, captures, precedence, 404/405, handler failures.
#include <gtest/gtest.h>

#include <stdexcept>

#include "http/router.hpp"

namespace bizra::http {
namespace {

HandlerFn answer(std::string name) {
  return [name](const Request& req) {
    std::string body = name;
    for (const auto& [k, v] : req.params) body += " " + k + "=" + v;
    return Response::json(200, body);
  };
}

Response call(const Router& router, std::string method, std::string path) {
  Request req;
  req.method = std::move(method);
  req.path = std::move(path);
  return router.dispatch(req);
}

std::optional<std::string> header(const Response& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (iequals(k, name)) return v;
  }
  return std::nullopt;
}

TEST(Router, MatchesExactPathsAndCaptures) {
  Router router;
  router.add("GET", "/health", answer("health"));
  router.add("GET", "/api/v1/poi/attestation/{id}", answer("att"));
  router.add("GET", "/a/{x}/b/{y}", answer("two"));
  router.add("GET", "/", answer("root"));

  EXPECT_EQ(call(router, "GET", "/health").body, "health");
  EXPECT_EQ(call(router, "GET", "/api/v1/poi/attestation/abc123").body, "att id=abc123");
  EXPECT_EQ(call(router, "GET", "/a/1/b/2").body, "two x=1 y=2");
  EXPECT_EQ(call(router, "GET", "/").body, "root");
  EXPECT_EQ(call(router, "GET", "/api/v1/poi/attestation/a%2Fb%20c").body, "att id=a/b c");  // decoded
  EXPECT_EQ(call(router, "GET", "/%68ealth").body, "health");  // literals compare decoded
}

TEST(Router, SegmentCountsMustMatch) {
  Router router;
  router.add("GET", "/a/{id}", answer("a"));
  EXPECT_EQ(call(router, "GET", "/a").status, 404);
  EXPECT_EQ(call(router, "GET", "/a/").body, "a id=");  // an empty capture is still a segment
  EXPECT_EQ(call(router, "GET", "/a/1/2").status, 404);
  EXPECT_EQ(call(router, "GET", "/a/1/").status, 404);
}

TEST(Router, LiteralBeatsCapture) {
  Router router;
  router.add("GET", "/blocks/{id}", answer("by-id"));
  router.add("GET", "/blocks/latest", answer("latest"));
  router.add("GET", "/{kind}/latest", answer("kind"));
  EXPECT_EQ(call(router, "GET", "/blocks/latest").body, "latest");
  EXPECT_EQ(call(router, "GET", "/blocks/7").body, "by-id id=7");
  EXPECT_EQ(call(router, "GET", "/tx/latest").body, "kind kind=tx");
}

TEST(Router, UnknownPathIs404Envelope) {
  Router router;
  router.add("GET", "/health", answer("health"));
  const Response r = call(router, "GET", "/nope");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no route for GET /nope"}})");
}

TEST(Router, KnownPathWrongMethodIs405WithAllow) {
  Router router;
  router.add("POST", "/items/{id}", answer("post"));
  router.add("GET", "/items/{id}", answer("get"));
  router.add("DELETE", "/items/special", answer("delete"));
  const Response r = call(router, "PUT", "/items/special");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(header(r, "Allow"), "DELETE, GET, POST");
  EXPECT_NE(r.body.find(R"("code":"method_not_allowed")"), std::string::npos);
  EXPECT_EQ(header(call(router, "PUT", "/items/1"), "Allow"), "GET, POST");
  EXPECT_EQ(call(router, "get", "/items/1").status, 405);  // methods are case-sensitive
}

TEST(Router, MalformedPathIs400) {
  Router router;
  router.add("GET", "/a/{id}", answer("a"));
  const Response r = call(router, "GET", "/a/%zz");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find(R"("code":"bad_request")"), std::string::npos);
}

TEST(Router, HandlerExceptionIs500WithoutItsText) {
  Router router;
  router.add("GET", "/boom", [](const Request&) -> Response { throw std::runtime_error("secret detail"); });
  router.add("GET", "/int", [](const Request&) -> Response { throw 42; });
  router.add("GET", "/bad-status", [](const Request&) { return Response::json(1000, "{}"); });
  for (const char* path : {"/boom", "/int", "/bad-status"}) {
    const Response r = call(router, "GET", path);
    EXPECT_EQ(r.status, 500) << path;
    EXPECT_NE(r.body.find(R"("code":"internal")"), std::string::npos);
    EXPECT_EQ(r.body.find("secret"), std::string::npos);
  }
}

TEST(Router, BodyLimitIsTheRoutesOrTheFallback) {
  Router router;
  router.add("POST", "/small/{id}", answer("s"), 64);
  router.add("POST", "/default", answer("d"));
  EXPECT_EQ(router.body_limit("POST", "/small/x", 999), 64u);
  EXPECT_EQ(router.body_limit("POST", "/default", 999), std::size_t{1} << 20);
  EXPECT_EQ(router.body_limit("GET", "/small/x", 999), 999u);
  EXPECT_EQ(router.body_limit("POST", "/unknown", 999), 999u);
  EXPECT_EQ(router.body_limit("POST", "/%zz", 999), 999u);
}

TEST(Router, RejectsBadPatternsAndDuplicates) {
  Router router;
  for (const char* pattern : {"", "noslash", "/a/{}", "/a/{id", "/a/x{id}", "/a/{i-d}", "/{id}/{id}", "/a%20b", "/a?b"}) {
    EXPECT_THROW(router.add("GET", pattern, answer("x")), std::invalid_argument) << pattern;
  }
  EXPECT_THROW(router.add("", "/a", answer("x")), std::invalid_argument);
  EXPECT_THROW(router.add("G ET", "/a", answer("x")), std::invalid_argument);
  EXPECT_THROW(router.add("GET", "/a", HandlerFn()), std::invalid_argument);
  router.add("GET", "/a/{id}", answer("x"));
  EXPECT_THROW(router.add("GET", "/a/{other}", answer("y")), std::logic_error);
  router.add("POST", "/a/{id}", answer("z"));  // another method is another route
}

}  // namespace
}  // namespace bizra::http
