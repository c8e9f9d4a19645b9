#include "api/node_metrics.hpp"

#include <algorithm>

namespace bizra::api {
namespace {

// Finality (proposal timestamp -> local commit) on a LAN is milliseconds, on a WAN hundreds.
const std::vector<double> kFinalityBucketsSeconds = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1,
                                                     0.2,   0.5,   1,     2,    5,    10};

template <typename F>
void node_counter(metrics::Registry& r, const char* name, const char* help, node::Node& node, F field) {
  r.counter_callback(name, help, [&node, field] { return static_cast<double>(field(node.counters())); });
}

void register_consensus(metrics::Registry& r, node::Node& node) {
  r.gauge_callback("bizra_consensus_round", "Current consensus round", [&node] {
    return static_cast<double>(node.status().round);
  });
  r.gauge_callback("bizra_consensus_committed_height", "Height of the last committed block", [&node] {
    return static_cast<double>(node.status().committed_height);
  });
  r.gauge_callback("bizra_consensus_validators", "Validators in the current set", [&node] {
    return static_cast<double>(node.status().validators);
  });
  r.counter_callback("bizra_consensus_commits_total", "Blocks committed by this node since it started", [&node] {
    return static_cast<double>(node.status().commits);
  });
  r.counter_callback("bizra_consensus_finality_checks_total", "Finality lookups answered (API, RPC, validation)",
                     [&node] { return static_cast<double>(node.finality_checks()); });
  r.counter_callback("bizra_blockgraph_blocks_total", "Blocks on the committed chain (since genesis)", [&node] {
    return static_cast<double>(node.status().committed_height);
  });
  r.gauge_callback("bizra_blockgraph_blocks", "Blocks held in the in-memory BlockGraph now", [&node] {
    return static_cast<double>(node.graph_blocks());
  });
  node_counter(r, "bizra_consensus_timeouts_total", "Round timeouts this node signed", node,
               [](const node::NodeCounters& c) { return c.timeouts_signed; });
  node_counter(r, "bizra_consensus_qcs_total", "QCs received (one per block accepted into the tree)", node,
               [](const node::NodeCounters& c) { return c.qcs_received; });
  node_counter(r, "bizra_consensus_tcs_total", "TCs received in proposals (rounds that ended by timeout)", node,
               [](const node::NodeCounters& c) { return c.tcs_received; });
  auto& finality = r.histogram("bizra_consensus_finality_latency_seconds",
                               "Proposal timestamp to local commit, per committed block", kFinalityBucketsSeconds)
                       .with({});
  auto& attestations = r.counter("bizra_poi_attestations_total", "Attestations committed, by execution result", {"result"});
  auto& accepted = attestations.with({"accepted"});
  auto& rejected = attestations.with({"rejected"});
  auto& transactions = r.counter("bizra_transactions_committed_total", "Transactions committed (any kind, any outcome)").with({});
  node.add_commit_listener([&finality, &accepted, &rejected, &transactions](const node::CommitEvent& e) {
    finality.observe(static_cast<double>(e.finality_ms) / 1000);
    transactions.inc(static_cast<double>(e.outcomes->size()));
    for (const auto& o : *e.outcomes)
      if (o.attestation_digest) (o.ok ? accepted : rejected).inc();
  });
}

void register_mempool_and_p2p(metrics::Registry& r, node::Node& node) {
  r.gauge_callback("bizra_mempool_transactions", "Transactions waiting in the mempool", [&node] {
    return static_cast<double>(node.status().mempool_transactions);
  });
  r.gauge_callback("bizra_mempool_bytes", "Bytes of transactions waiting in the mempool", [&node] {
    return static_cast<double>(node.status().mempool_bytes);
  });
  r.gauge_callback("bizra_p2p_peers_connected", "Peers with a live authenticated connection", [&node] {
    return static_cast<double>(node.status().peers_connected);
  });
  node_counter(r, "bizra_p2p_received_bytes_total", "Bytes read from peer connections", node,
               [](const node::NodeCounters& c) { return c.p2p_bytes_in; });
  node_counter(r, "bizra_p2p_sent_bytes_total", "Bytes written to peer connections", node,
               [](const node::NodeCounters& c) { return c.p2p_bytes_out; });
  r.gauge_callback("bizra_p2p_peer_reputation_min", "Lowest reputation among known peers (0..1)", [&node] {
    const auto peers = node.peers();
    double low = 1;
    for (const auto& p : peers) low = std::min(low, p.reputation);
    return low;
  });
  r.gauge_callback("bizra_p2p_peers_banned", "Peers currently banned", [&node] {
    const auto peers = node.peers();
    return static_cast<double>(std::count_if(peers.begin(), peers.end(), [](const net::PeerStatus& p) { return p.banned; }));
  });
  r.gauge_callback("bizra_storage_bytes", "Bytes of the store's files on disk", [&node] {
    return static_cast<double>(node.store().stats().disk_bytes);
  });
}

}  // namespace

void register_node_metrics(metrics::Registry& r, node::Node& node, std::string_view version,
                           std::string_view environment) {
  r.gauge("bizra_node_info", "Node identity: value 1", {"version", "node_id", "environment"})
      .with({std::string(version), node.status().node_id, std::string(environment)})
      .set(1);
  register_consensus(r, node);
  register_mempool_and_p2p(r, node);
  r.gauge("bizra_db_connection_pool_size", "PostgreSQL connections (no indexer configured: 0)").with({}).set(0);
}

void observe_http(metrics::Registry& registry, http::Router& router) {
  auto& requests = registry.counter("bizra_http_requests_total", "HTTP requests answered", {"method", "route", "status"});
  auto& duration = registry.histogram("bizra_http_request_duration_ms", "HTTP request handling time (ms)",
                                      metrics::latency_ms_buckets(), {"route"});
  router.set_observer([&requests, &duration](std::string_view method, std::string_view route, int status,
                                             std::chrono::nanoseconds elapsed) {
    // A client picks the method of an unmatched request: only the standard ones become labels.
    static constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"};
    const bool standard = std::find(std::begin(kMethods), std::end(kMethods), method) != std::end(kMethods);
    requests.with({standard ? std::string(method) : "other", std::string(route), std::to_string(status)}).inc();
    duration.with({std::string(route)}).observe(std::chrono::duration<double, std::milli>(elapsed).count());
  });
}

void mount_metrics_route(http::Router& router, const metrics::Registry& registry) {
  router.add("GET", "/metrics", [&registry](const http::Request&) {
    http::Response response;
    response.status = 200;
    response.content_type = metrics::kContentType;
    response.body = registry.expose();
    return response;
  });
}

}  // namespace bizra::api
