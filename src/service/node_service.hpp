#pragma once
// Everything a node serves over HTTP, assembled in one place: the REST routes, JSON-RPC, the
// validation service, /metrics and /openapi.json on one router. `node0 run` serves this router,
// and the OpenAPI test checks its routes against the description, so the two cannot drift.

#include <memory>
#include <optional>
#include <string>

#include "http/router.hpp"
#include "http/websocket.hpp"
#include "metrics/metrics.hpp"
#include "node/node.hpp"
#include "service/ace_runtime.hpp"
#include "validation/service.hpp"

namespace bizra::service {

struct NodeService {
  metrics::Registry registry;
  std::unique_ptr<validation::Service> validation;
  http::Router router;
  // GET /ws (serve it with ServerConfig::websocket = websocket.get()): the node publishes
  // "blocks", "finality" and "attestations" events on every commit, "peers" events when a peer
  // connects or disconnects. GET /ws is also a router route, so the router's policy (rate limit,
  // CORS origins) applies to upgrades (docs/api.md "WebSocket events").
  std::unique_ptr<http::WebSocketHub> websocket;
  // The ACE runtime when enabled (null: the /ace routes answer 503). Last, so it stops first:
  // its listeners publish to the hub and the registry above.
  std::unique_ptr<AceRuntime> ace;
};

// What the ACE runtime needs beyond the node: its key (receipts are signed with it) and [ace].
struct AceSetup {
  crypto::SecretKey node_key;
  node::AceSettings settings;
};

// Who may call what (node.toml [api]): bearer API keys and JWTs (HS256 secret, EdDSA issuer keys)
// for routes that require auth, a per-IP token bucket on write/verify routes (rate 0: none), CORS
// origins (empty: off).
struct ApiSecurity {
  std::vector<std::string> api_keys{};
  std::size_t rate_per_second = 0;
  std::size_t burst = 0;  // 0: twice the rate
  std::vector<std::string> cors_origins{};
  std::string jwt_hs256_secret{};  // raw bytes, >= 32; empty: HS256 off
  std::vector<crypto::PublicKey> jwt_eddsa_public_keys{};
};

// The [api] settings of node.toml as ApiSecurity, reading the HS256 secret from its file (at most
// 4 KiB; one trailing newline is dropped, so `echo` or an editor can write it). The secret is never
// put in an error message. Errors: read_bounded_file's ("io_error", "too_large"), with the path.
Result<ApiSecurity> api_security(const node::NodeConfig& config);

// Registers metrics and the WebSocket publisher (commit listeners: call before node.start()),
// starts the ACE runtime when `ace` is given, and mounts every route. `node` must outlive the result.
// Errors: "bad_auth_config" (an API key of the wrong size, an HS256 secret under 32 bytes).
Result<std::unique_ptr<NodeService>> make_node_service(node::Node& node, const std::string& version,
                                                       const std::string& environment, ApiSecurity security = {},
                                                       std::optional<AceSetup> ace = std::nullopt);

}  // namespace bizra::service
