// Writes a realistic /metrics exposition to stdout: every name the spec (api.md
// "Observability") and deploy/README.md list, with plausible values. CTest pipes it through
// `promtool check metrics` (see CMakeLists.txt).

#include <cstdio>
#include <string>

#include "metrics/metrics.hpp"
#include "metrics/process.hpp"

using bizra::metrics::Registry;

namespace {

void node_metrics(Registry& r) {
  r.gauge("bizra_node_info", "Node build and identity; the value is always 1.",
          {"version", "node_id", "environment"})
      .with({"0.1.0", "3f1c9a", "devnet"})
      .set(1);
  r.gauge("bizra_ace_agents_active", "ACE agents currently running.").with({}).set(3);
  auto& ace = r.histogram("bizra_ace_task_duration_ms", "ACE task duration in milliseconds.",
                          bizra::metrics::latency_ms_buckets())
                  .with({});
  for (double v : {3.0, 12.0, 40.0, 900.0}) ace.observe(v);
  r.gauge("bizra_ace_task_success_rate", "Share of ACE tasks that succeeded (0..1).")
      .with({})
      .set(0.97);
  r.counter("bizra_poi_attestations_total", "PoI attestations accepted.", {"result"})
      .with({"accepted"})
      .inc(120);
  r.counter("bizra_blockgraph_blocks_total", "Blocks added to the block graph.").with({}).inc(57);
  r.gauge("bizra_cache_hit_rate", "Cache hit rate (0..1).", {"cache"}).with({"state"}).set(0.82);
  r.gauge("bizra_db_connection_pool_size", "Open storage handles.").with({}).set(1);
  r.gauge("bizra_mempool_transactions", "Transactions waiting in the mempool.").with({}).set(14);
  r.gauge("bizra_storage_bytes", "Bytes the chain store occupies on disk.").with({}).set(7.3e6);
}

void consensus_metrics(Registry& r) {
  r.gauge("bizra_consensus_round", "Current consensus round.").with({}).set(812);
  r.gauge("bizra_consensus_committed_height", "Height of the last committed block.")
      .with({})
      .set(790);
  r.gauge("bizra_consensus_validators", "Validators in the current set.").with({}).set(4);
  r.counter("bizra_consensus_finality_checks_total", "Finality checks performed.")
      .with({})
      .inc(790);
  auto& finality = r.histogram("bizra_consensus_finality_latency_seconds",
                               "Seconds from proposal to commit.",
                               {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
                       .with({});
  for (double v : {0.08, 0.12, 0.3, 1.4}) finality.observe(v);
  r.counter("bizra_consensus_timeouts_total", "Round timeouts.").with({}).inc(22);
  r.counter("bizra_consensus_qcs_total", "Quorum certificates formed.").with({}).inc(790);
  r.counter("bizra_consensus_tcs_total", "Timeout certificates formed.").with({}).inc(22);
}

void p2p_metrics(Registry& r) {
  r.gauge("bizra_p2p_peers_connected", "Connected peers.").with({}).set(3);
  auto& bytes = r.counter("bizra_p2p_bytes_total", "Bytes sent and received.", {"direction"});
  bytes.with({"in"}).inc(1.2e6);
  bytes.with({"out"}).inc(9.8e5);
  r.gauge("bizra_p2p_peer_score", "Peer score.", {"peer"}).with({"9b2e41"}).set(100);
}

void http_metrics(Registry& r) {
  auto& requests = r.counter("bizra_http_requests_total", "HTTP requests served.",
                             {"method", "route", "status"});
  requests.with({"GET", "/health", "200"}).inc(1500);
  requests.with({"POST", "/v1/attestations", "400"}).inc(4);
  requests.with({"GET", "/v1/blocks/:height", "404"}).inc(2);
  auto& latency = r.histogram("bizra_http_request_duration_ms",
                              "HTTP request duration in milliseconds.",
                              bizra::metrics::latency_ms_buckets(), {"route"});
  for (double v : {0.4, 2.0, 7.5, 30.0}) latency.with({"/health"}).observe(v);
  latency.with({"/v1/attestations"}).observe(120);
}

}  // namespace

int main() {
  Registry r;
  bizra::metrics::add_process_metrics(r);
  node_metrics(r);
  consensus_metrics(r);
  p2p_metrics(r);
  http_metrics(r);
  const std::string text = r.expose();
  return std::fwrite(text.data(), 1, text.size(), stdout) == text.size() ? 0 : 1;
}
