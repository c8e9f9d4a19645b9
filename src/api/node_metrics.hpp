#pragma once
// The node's Prometheus metrics (../shared/spec/api.md "Observability", deploy/README.md) and the
// GET /metrics route. Values the node already tracks are read at scrape time (callbacks); the
// finality-latency histogram and the attestation counter are fed by a commit listener. Names of
// features that do not exist yet (the PostgreSQL pool) are exported with their true value: zero
// connections. The ACE metrics are api/ace_metrics.hpp.

#include <string_view>

#include "http/router.hpp"
#include "metrics/metrics.hpp"
#include "node/node.hpp"

namespace bizra::api {

// Registers the node's metrics on `registry` (node must outlive it) and a commit listener on
// `node` (call before node.start()).
void register_node_metrics(metrics::Registry& registry, node::Node& node, std::string_view version,
                           std::string_view environment);

// bizra_http_requests_total{method,route,status} and bizra_http_request_duration_ms{route}, fed by
// the router's observer (route = the matched pattern, so label values stay bounded).
void observe_http(metrics::Registry& registry, http::Router& router);

// GET /metrics: the registry in Prometheus text format 0.0.4.
void mount_metrics_route(http::Router& router, const metrics::Registry& registry);

}  // namespace bizra::api
