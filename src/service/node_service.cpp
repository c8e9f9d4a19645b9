#include "service/node_service.hpp"

#include "api/node_api.hpp"
#include "api/node_metrics.hpp"
#include "api/openapi.hpp"
#include "api/queries.hpp"
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

}  // namespace

std::unique_ptr<NodeService> make_node_service(node::Node& node, const std::string& version,
                                               const std::string& environment) {
  auto s = std::make_unique<NodeService>();
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
  return s;
}

}  // namespace bizra::service
