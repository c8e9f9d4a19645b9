// Request-target parsing (src/http/target.hpp) and the JSON error envelope (message.hpp).
#include <gtest/gtest.h>

#include "codec/json.hpp"
#include "http/message.hpp"
#include "http/target.hpp"

namespace bizra::http {
namespace {

TEST(Target, SplitsPathSegmentsAndQuery) {
  auto t = parse_target("/api/v1/x?a=1&b=two&flag");
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_EQ(t->path, "/api/v1/x");
  EXPECT_EQ(t->segments, (std::vector<std::string>{"api", "v1", "x"}));
  EXPECT_EQ(t->query, (Pairs{{"a", "1"}, {"b", "two"}, {"flag", ""}}));
}

TEST(Target, RootAndTrailingSlashHaveEmptySegments) {
  EXPECT_EQ(parse_target("/")->segments, (std::vector<std::string>{""}));
  EXPECT_EQ(parse_target("/a/")->segments, (std::vector<std::string>{"a", ""}));
  EXPECT_EQ(parse_target("/a//b")->segments, (std::vector<std::string>{"a", "", "b"}));
}

TEST(Target, DecodesSegmentsAfterSplitting) {
  auto t = parse_target("/a%2Fb/c%20d+e");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/a%2Fb/c%20d+e");  // the raw path is kept as sent
  EXPECT_EQ(t->segments, (std::vector<std::string>{"a/b", "c d+e"}));  // '+' is literal in paths
}

TEST(Target, DecodesQueryWithPlusAsSpace) {
  auto t = parse_target("/q?name=a+b%26c&=empty&&x=%3D");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->query, (Pairs{{"name", "a b&c"}, {"", "empty"}, {"x", "="}}));
}

TEST(Target, RejectsMalformedTargets) {
  for (const char* bad : {"", "x", "http://host/a", "*", "/a b", "/a#frag", "/%", "/%4", "/%zz", "/a?x=%g0",
                          "/%00", "/\x7f", "/caf\xc3\xa9"}) {
    auto t = parse_target(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.error().code(), "bad_target") << bad;
  }
}

TEST(Target, SplitPathRejectsQueryAndRelativePaths) {
  EXPECT_FALSE(split_path("/a?b").ok());
  EXPECT_FALSE(split_path("a/b").ok());
  EXPECT_EQ(*split_path("/a/%41"), (std::vector<std::string>{"a", "A"}));
}

TEST(ErrorEnvelope, IsExactJson) {
  const Response r = Response::error(404, "not_found", "no route");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"error":{"code":"not_found","message":"no route"}})");
}

TEST(ErrorEnvelope, EscapesQuotesBackslashesAndControlCharacters) {
  const Response r = Response::error(400, "bad_request", std::string("say \"hi\" \\ \n\t\x01 end"));
  EXPECT_EQ(r.body, R"({"error":{"code":"bad_request","message":"say \"hi\" \\ \n\t\u0001 end"}})");
  auto parsed = json::parse(r.body);  // the strict parser accepts it and gets the text back
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(parsed->find("error")->find("message")->as_string(), std::string("say \"hi\" \\ \n\t\x01 end"));
}

TEST(ErrorEnvelope, ReplacesInvalidUtf8SoTheBodyStaysValidJson) {
  const std::string message = "ok \xc3\xa9, bad \xff, truncated \xe2\x82, surrogate \xed\xa0\x80, overlong \xc0\xaf";
  const Response r = Response::error(400, "bad_request", message);
  auto parsed = json::parse(r.body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  const std::string replacement = "\xef\xbf\xbd";
  EXPECT_EQ(parsed->find("error")->find("message")->as_string(),
            "ok \xc3\xa9, bad " + replacement + ", truncated " + replacement + replacement + ", surrogate " +
                replacement + replacement + replacement + ", overlong " + replacement + replacement);
}

TEST(Request, HeaderLookupIgnoresCaseParamsAndQueryDoNot) {
  Request req;
  req.headers = {{"Content-Type", "text/plain"}, {"X-A", "1"}, {"x-a", "2"}};
  req.params = {{"id", "7"}};
  req.query = {{"k", "v"}};
  EXPECT_EQ(req.header("content-type"), "text/plain");
  EXPECT_EQ(req.header("X-a"), "1");  // the first one
  EXPECT_FALSE(req.header("missing").has_value());
  EXPECT_EQ(req.param("id"), "7");
  EXPECT_FALSE(req.param("ID").has_value());
  EXPECT_EQ(req.query_param("k"), "v");
}

}  // namespace
}  // namespace bizra::http
