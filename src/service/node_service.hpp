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

// Registers metrics and the WebSocket publisher (commit listeners: call before node.start()) and
// mounts every route. `node` must outlive the result.
std::unique_ptr<NodeService> make_node_service(node::Node& node, const std::string& version,
                                               const std::string& environment);

}  // namespace bizra::service
