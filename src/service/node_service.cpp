#include "service/node_service.hpp"

#include "api/node_api.hpp"
#include "api/node_metrics.hpp"
#include "api/openapi.hpp"
#include "api/queries.hpp"
#include "http/auth.hpp"
#include "http/rate_limit.hpp"
#include "api/rpc.hpp"
#include "base/hex.hpp"
#include "metrics/process.hpp"
#include "validation/source.hpp"

namespace bizra::service {
namespace {

// Commit events for WebSocket subscribers: one "blocks" and one "finality" event per block, and
// an "attestations" event per attestation it carried (filterable by attestation id).
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
      event.str("id", attestation).str("tx_id", hex::encode(o.tx_id)).str("status", o.ok ? "final" : "rejected").num("height", e.height);
      if (!o.ok) event.str("error_code", o.error_code);
      hub.publish("attestations", event.done(), http::EventKeys{attestation, {}});
    }
  });
}

Result<http::Policy> make_policy(ApiSecurity security) {
  http::Policy policy;
  if (!security.api_keys.empty()) {
    auto authenticator = http::Authenticator::create(http::AuthConfig{.api_keys = std::move(security.api_keys)});
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

Result<std::unique_ptr<NodeService>> make_node_service(node::Node& node, const std::string& version,
                                                       const std::string& environment, ApiSecurity security) {
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

  api::mount_node_routes(s->router, node, api::ApiOptions{version});
  api::mount_rpc(s->router, node);
  validation::mount_validation_routes(s->router, *s->validation);
  api::mount_metrics_route(s->router, s->registry);
  api::mount_openapi_route(s->router, version);
  api::observe_http(s->registry, s->router);
  return Result<std::unique_ptr<NodeService>>(std::move(s));
}

}  // namespace bizra::service
