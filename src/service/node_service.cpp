#include "service/node_service.hpp"

#include "api/ace_metrics.hpp"
#include "api/ace_routes.hpp"
#include "api/dashboard.hpp"
#include "api/node_api.hpp"
#include "api/node_metrics.hpp"
#include "api/openapi.hpp"
#include "api/queries.hpp"
#include "http/auth.hpp"
#include "http/rate_limit.hpp"
#include "api/rpc.hpp"
#include "base/file.hpp"
#include "base/hex.hpp"
#include "metrics/process.hpp"
#include "validation/source.hpp"

namespace bizra::service {
namespace {

// Commit events for WebSocket subscribers: one "blocks" and one "finality" event per block, and
// an "attestations" event per attestation it carried (filterable by attestation id or attester).
void publish_commits(node::Node& node, http::WebSocketHub& hub) {
  node.add_commit_listener([&hub](const node::CommitEvent& e) {
    const std::string id = hex::encode(e.id);
    hub.publish("blocks", api::JsonObject()
                              .num("height", e.height)
                              .str("id", id)
                              .num("round", e.round)
                              .num("timestamp_ms", e.timestamp_ms)
                              .num("transactions", e.outcomes->size())
                              .done());
    hub.publish("finality", api::JsonObject().num("height", e.height).str("id", id).num("finality_ms", e.finality_ms).done());
    for (const auto& o : *e.outcomes) {
      if (!o.attestation_digest) continue;
      const std::string attestation = hex::encode(*o.attestation_digest);
      api::JsonObject event;
      event.str("id", attestation)
          .str("tx_id", hex::encode(o.tx_id))
          .str("attester", o.attester)
          .str("status", o.ok ? "final" : "rejected")
          .num("height", e.height);
      if (!o.ok) event.str("error_code", o.error_code);
      hub.publish("attestations", event.done(), http::EventKeys{attestation, o.attester});
    }
  });
}

// "peers" events: {event: "connected"|"disconnected", peer: <the peer object of
// /api/v1/network/peers, as the network layer sees it at that moment>}. A ban closes the link, so
// it arrives as "disconnected" with banned: true.
void publish_peers(node::Node& node, http::WebSocketHub& hub) {
  node.add_peer_listener([&node, &hub](const node::PeerEvent& e) {
    for (const net::PeerStatus& p : node.peers()) {
      if (p.key != e.key) continue;
      hub.publish("peers", api::JsonObject()
                               .str("event", e.connected ? "connected" : "disconnected")
                               .raw("peer", api::peer_json(p))
                               .done());
      return;
    }
  });
}

// GET /ws as a route, so the router's policy covers WebSocket upgrades (Router::admit_upgrade):
// each upgrade takes a token from the client IP's bucket like a write does (a held connection costs
// more than a request), no bearer token is needed (events are public, like the GET routes), and the
// CORS origins decide which web pages may connect. The handler answers only a GET without an
// upgrade; the server hands real upgrades to the hub.
void mount_websocket_route(http::Router& router) {
  router.add("GET", "/ws", [](const http::Request&) {
    http::Response r =
        http::Response::error(426, "upgrade_required", "GET /ws needs a WebSocket upgrade (Upgrade: websocket)");
    r.headers.emplace_back("Upgrade", "websocket");
    return r;
  }, http::RouteOptions{.rate_limited = true});
}

Result<http::Policy> make_policy(ApiSecurity security) {
  http::Policy policy;
  if (!security.api_keys.empty() || !security.jwt_hs256_secret.empty() || !security.jwt_eddsa_public_keys.empty()) {
    auto authenticator =
        http::Authenticator::create(http::AuthConfig{.hs256_secret = std::move(security.jwt_hs256_secret),
                                                     .eddsa_public_keys = std::move(security.jwt_eddsa_public_keys),
                                                     .api_keys = std::move(security.api_keys)});
    if (!authenticator) return authenticator.error();
    policy.authenticator = std::make_shared<const http::Authenticator>(std::move(*authenticator));
  }
  if (security.rate_per_second > 0) {
    const std::size_t burst = security.burst > 0 ? security.burst : 2 * security.rate_per_second;
    policy.rate_limiter = std::make_shared<http::RateLimiter>(http::RateLimitConfig{
        .rate_per_second = static_cast<double>(security.rate_per_second), .burst = static_cast<std::uint32_t>(burst)});
  }
  policy.cors.allowed_origins = std::move(security.cors_origins);
  return policy;
}

}  // namespace

Result<ApiSecurity> api_security(const node::NodeConfig& config) {
  ApiSecurity security{.api_keys = config.api_keys,
                       .rate_per_second = config.rate_limit_per_second,
                       .burst = config.rate_limit_burst,
                       .cors_origins = config.cors_origins,
                       .jwt_eddsa_public_keys = config.jwt_eddsa_public_keys};
  if (!config.jwt_hs256_secret_file.empty()) {
    constexpr std::size_t kMaxSecretFileBytes = 4096;
    auto secret = read_bounded_file(config.jwt_hs256_secret_file, kMaxSecretFileBytes);
    if (!secret) return secret.error().with_context("api.jwt_hs256_secret_file");
    if (secret->ends_with('\n')) secret->pop_back();
    security.jwt_hs256_secret = std::move(*secret);
  }
  return security;
}

Result<std::unique_ptr<NodeService>> make_node_service(node::Node& node, const std::string& version,
                                                       const std::string& environment, ApiSecurity security,
                                                       std::optional<AceSetup> ace) {
  auto policy = make_policy(std::move(security));
  if (!policy) return policy.error();
  auto s = std::make_unique<NodeService>();
  s->router.set_policy(std::move(*policy));
  metrics::add_process_metrics(s->registry);
  api::register_node_metrics(s->registry, node, version, environment);
  s->validation = std::make_unique<validation::Service>(std::make_unique<validation::LocalSource>(node));
  s->registry.gauge_callback("bizra_cache_hit_rate", "Validation cache hits / requests (0 before the first request)",
                             [v = s->validation.get()] { return v->stats().hit_rate(); });

  s->websocket = std::make_unique<http::WebSocketHub>(http::WebSocketConfig{});
  publish_commits(node, *s->websocket);
  publish_peers(node, *s->websocket);

  if (ace) {
    auto runtime = AceRuntime::start(node, std::move(ace->node_key), ace->settings, s->registry, s->websocket.get());
    if (!runtime) return runtime.error();
    s->ace = std::move(*runtime);
  } else {
    api::register_ace_metrics(s->registry, nullptr);
  }

  mount_websocket_route(s->router);
  api::mount_ace_routes(s->router, s->ace ? &s->ace->engine() : nullptr);
  api::mount_dashboard_route(s->router);
  api::mount_node_routes(s->router, node, api::ApiOptions{version});
  api::mount_rpc(s->router, node);
  validation::mount_validation_routes(s->router, *s->validation);
  api::mount_metrics_route(s->router, s->registry);
  api::mount_openapi_route(s->router, version);
  api::observe_http(s->registry, s->router);
  return Result<std::unique_ptr<NodeService>>(std::move(s));
}

}  // namespace bizra::service
