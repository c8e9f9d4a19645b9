#pragma once
// Everything a node serves over HTTP, assembled in one place: the REST routes, JSON-RPC, the
// validation service, /metrics and /openapi.json on one router. `node0 run` serves this router,
// and the OpenAPI test checks its routes against the description, so the two cannot drift.

#include <memory>
#include <string>

#include "http/router.hpp"
#include "http/websocket.hpp"
#include "metrics/metrics.hpp"
#include "node/node.hpp"
#include "validation/service.hpp"

namespace bizra::service {

struct NodeService {
  metrics::Registry registry;
  std::unique_ptr<validation::Service> validation;
  http::Router router;
  // GET /ws (serve it with ServerConfig::websocket = websocket.get()): the node publishes
  // "blocks", "finality" and "attestations" events on every commit.
  std::unique_ptr<http::WebSocketHub> websocket;
};

// Who may call what (node.toml [api]): bearer API keys for routes that require auth, a per-IP
// token bucket on write/verify routes (rate 0: none), CORS origins (empty: off).
struct ApiSecurity {
  std::vector<std::string> api_keys{};
  std::size_t rate_per_second = 0;
  std::size_t burst = 0;  // 0: twice the rate
  std::vector<std::string> cors_origins{};
};

// Registers metrics and the WebSocket publisher (commit listeners: call before node.start()) and
// mounts every route. `node` must outlive the result.
// Errors: "bad_auth_config" (an API key of the wrong size).
Result<std::unique_ptr<NodeService>> make_node_service(node::Node& node, const std::string& version,
                                                       const std::string& environment, ApiSecurity security = {});

}  // namespace bizra::service
