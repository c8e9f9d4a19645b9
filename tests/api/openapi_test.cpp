// /openapi.json describes exactly the routes `node0 run` serves (service::make_node_service):
// every served route is documented and every documented route is served; the document is JSON,
// OpenAPI 3.0.3, and every schema it references exists.
#include "api/openapi.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "service/node_service.hpp"
#include "test_node.hpp"

namespace bizra::api_test {
namespace {

TEST(OpenApi, DescribesExactlyTheRoutesTheNodeServes) {
  TestNode idle(false);
  auto surface = service::make_node_service(idle.node(), "test", "test").value();
  std::set<std::pair<std::string, std::string>> served, documented;
  for (const auto& r : surface->router.route_list()) served.insert(r);
  for (const auto& r : api::documented_routes()) EXPECT_TRUE(documented.insert(r).second) << r.first << " " << r.second;
  for (const auto& r : served) EXPECT_TRUE(documented.count(r)) << "served but not documented: " << r.first << " " << r.second;
  for (const auto& r : documented) EXPECT_TRUE(served.count(r)) << "documented but not served: " << r.first << " " << r.second;
  EXPECT_GE(served.size(), 20u);
}

TEST(OpenApi, IsJsonWhoseReferencesResolve) {
  const std::string text = api::openapi_json("1.2.3");
  const json::Value doc = parse_json(text);
  ASSERT_TRUE(doc.find("openapi"));
  EXPECT_EQ(doc.find("openapi")->as_string(), "3.0.3");
  EXPECT_EQ(doc.find("info")->find("version")->as_string(), "1.2.3");
  const json::Value* schemas = doc.find("components")->find("schemas");
  ASSERT_NE(schemas, nullptr);
  const std::string prefix = "#/components/schemas/";
  std::size_t refs = 0;
  for (std::size_t at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    const std::size_t end = text.find('"', at);
    const std::string name = text.substr(at + prefix.size(), end - at - prefix.size());
    EXPECT_NE(schemas->find(name), nullptr) << "unresolved $ref " << name;
    ++refs;
  }
  EXPECT_GT(refs, 30u);
  // Every path parameter is declared.
  for (const auto& [path, item] : doc.find("paths")->members())
    for (const auto& [method, op] : item.members())
      EXPECT_EQ(op.find("parameters")->items().size(),
                static_cast<std::size_t>(std::count(path.begin(), path.end(), '{')))
          << method << " " << path;
}

TEST(OpenApi, IsServedByTheNode) {
  TestNode idle(false);
  auto surface = service::make_node_service(idle.node(), "test", "test").value();
  http::Server server(http::ServerConfig{}, surface->router);
  ASSERT_TRUE(server.start().ok());
  http::Client client("127.0.0.1", server.port());
  auto response = client.request("GET", "/openapi.json");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, api::openapi_json("test"));
  auto metrics = client.request("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("bizra_node_info{"), std::string::npos);
  server.stop();
}

}  // namespace
}  // namespace bizra::api_test
