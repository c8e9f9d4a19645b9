// W3C traceparent at the node's HTTP edge (http/trace.hpp): a valid header is answered with the
// same trace id, a new span id and the same flags; an invalid one is ignored.
#include <gtest/gtest.h>

#include "http/trace.hpp"
#include "test_node.hpp"

namespace bizra::api_test {
namespace {

constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kParent = "00f067aa0ba902b7";

TEST(TraceParent, ParsesVersion00AndRefusesWhatTheSpecRefuses) {
  const std::string valid = "00-" + std::string(kTrace) + "-" + std::string(kParent) + "-01";
  const auto parsed = http::parse_traceparent(valid);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->trace_id, kTrace);
  EXPECT_EQ(parsed->parent_id, kParent);
  EXPECT_EQ(parsed->flags, "01");
  EXPECT_TRUE(http::parse_traceparent("01-" + std::string(kTrace) + "-" + std::string(kParent) + "-00-future"));
  for (const std::string& bad : {
           "ff-" + std::string(kTrace) + "-" + std::string(kParent) + "-01",               // version ff
           "00-" + std::string(32, '0') + "-" + std::string(kParent) + "-01",               // zero trace id
           "00-" + std::string(kTrace) + "-" + std::string(16, '0') + "-01",                // zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-" + std::string(kParent) + "-01",           // upper case
           "00-" + std::string(kTrace) + "-" + std::string(kParent) + "-01-extra",          // 00 has no extras
           "00-" + std::string(kTrace) + "-" + std::string(kParent),                        // short
           std::string("garbage")}) {
    EXPECT_FALSE(http::parse_traceparent(bad).has_value()) << bad;
  }
}

TEST(TraceParent, AnswersCarryAChildSpanOfTheCallersTrace) {
  TestNode node;
  node.serve();
  auto client = node.client();
  const std::string sent = "00-" + std::string(kTrace) + "-" + std::string(kParent) + "-01";
  const auto traced = client->request("GET", "/health", {}, "application/json", {{"traceparent", sent}}).value();
  const auto header = std::find_if(traced.headers.begin(), traced.headers.end(),
                                   [](const auto& h) { return http::iequals(h.first, "traceparent"); });
  ASSERT_NE(header, traced.headers.end());
  const auto child = http::parse_traceparent(header->second);
  ASSERT_TRUE(child.has_value()) << header->second;
  EXPECT_EQ(child->trace_id, kTrace);
  EXPECT_NE(child->parent_id, kParent);  // the node's own span
  EXPECT_EQ(child->flags, "01");

  const auto error = client->request("GET", "/no/such/route", {}, "application/json", {{"traceparent", sent}}).value();
  EXPECT_EQ(error.status, 404);
  EXPECT_TRUE(std::any_of(error.headers.begin(), error.headers.end(),
                          [](const auto& h) { return http::iequals(h.first, "traceparent"); }));

  const auto invalid = client->request("GET", "/health", {}, "application/json", {{"traceparent", "00-bad"}}).value();
  EXPECT_EQ(invalid.status, 200);
  EXPECT_FALSE(std::any_of(invalid.headers.begin(), invalid.headers.end(),
                           [](const auto& h) { return http::iequals(h.first, "traceparent"); }));
}

}  // namespace
}  // namespace bizra::api_test
