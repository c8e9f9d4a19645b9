// deploy/grafana/dashboards/*.json: each dashboard parses as strict JSON and its queries reference
// only the metric names deploy/README.md lists (which the node exports). Names are recognised by
// their prefixes "bizra_" and "process_"; PromQL functions, labels and `up` are not checked.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "codec/json.hpp"

namespace bizra {
namespace {

namespace fs = std::filesystem;

// Keep in sync with deploy/README.md "Metrics".
const std::set<std::string> kHistograms = {
    "bizra_http_request_duration_ms", "bizra_ace_task_duration_ms",
    "bizra_consensus_finality_latency_seconds"};
const std::set<std::string> kOthers = {
    "bizra_consensus_round", "bizra_consensus_committed_height", "bizra_consensus_validators",
    "bizra_p2p_peers_connected", "bizra_http_requests_total", "bizra_cache_hit_rate",
    "process_cpu_seconds_total", "process_resident_memory_bytes", "bizra_uptime_seconds",
    "bizra_memory_heap_used_bytes", "bizra_memory_heap_total_bytes", "bizra_node_info",
    "bizra_ace_agents_active", "bizra_ace_task_success_rate", "bizra_poi_attestations_total",
    "bizra_consensus_finality_checks_total", "bizra_blockgraph_blocks_total",
    "bizra_db_connection_pool_size", "bizra_consensus_timeouts_total", "bizra_consensus_qcs_total",
    "bizra_consensus_tcs_total", "bizra_mempool_transactions", "bizra_p2p_received_bytes_total",
    "bizra_p2p_sent_bytes_total",
    "bizra_storage_bytes", "bizra_ace_tasks_total", "bizra_ace_agent_running_tasks", "bizra_ace_queue_depth",
    "process_open_fds", "process_max_fds", "process_virtual_memory_bytes",
    "process_start_time_seconds"};

bool known_metric(const std::string& name) {
  if (kOthers.count(name) || kHistograms.count(name)) return true;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
        kHistograms.count(name.substr(0, name.size() - suffix.size()))) {
      return true;
    }
  }
  return false;
}

// Identifiers of a PromQL expression outside string literals ("..." label values).
std::vector<std::string> identifiers(const std::string& expr) {
  std::vector<std::string> out;
  auto ident = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  for (std::size_t i = 0; i < expr.size();) {
    if (expr[i] == '"') {
      i = expr.find('"', i + 1);
      i = i == std::string::npos ? expr.size() : i + 1;
    } else if (ident(expr[i])) {
      std::size_t j = i;
      while (j < expr.size() && ident(expr[j])) ++j;
      out.push_back(expr.substr(i, j - i));
      i = j;
    } else {
      ++i;
    }
  }
  return out;
}

void collect_exprs(const json::Value& v, std::vector<std::string>& exprs) {
  for (const auto& [key, member] : v.members()) {
    // Panel queries are "expr"; template variables' queries ("label_values(...)") are "query".
    if ((key == "expr" || key == "query") && member.is_string()) {
      exprs.push_back(member.as_string());
    }
    collect_exprs(member, exprs);
  }
  for (const auto& item : v.items()) collect_exprs(item, exprs);
}

TEST(GrafanaDashboards, ParseAndUseOnlyExportedMetrics) {
  const fs::path dir = fs::path(BIZRA_SOURCE_DIR) / "deploy" / "grafana" / "dashboards";
  std::set<std::string> seen;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    SCOPED_TRACE(entry.path().string());
    seen.insert(entry.path().stem().string());
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto doc = json::parse(text.str());
    ASSERT_TRUE(doc.ok()) << doc.error().to_string();
    const json::Value& dashboard = doc.value();
    ASSERT_NE(dashboard.find("title"), nullptr);
    ASSERT_NE(dashboard.find("panels"), nullptr);
    EXPECT_FALSE(dashboard.find("panels")->items().empty());
    std::vector<std::string> exprs;
    collect_exprs(dashboard, exprs);
    EXPECT_FALSE(exprs.empty());
    for (const auto& expr : exprs) {
      for (const auto& name : identifiers(expr)) {
        if (name.rfind("bizra_", 0) == 0 || name.rfind("process_", 0) == 0) {
          EXPECT_TRUE(known_metric(name)) << name << " in " << expr;
        }
      }
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{"bizra-ace", "bizra-api", "bizra-consensus",
                                         "bizra-node", "bizra-poi"}));
}

TEST(GrafanaDashboards, CheckerRejectsUnknownNames) {
  // The checker itself can fail: an unlisted name, and a histogram suffix on a non-histogram.
  EXPECT_FALSE(known_metric("bizra_made_up_total"));
  EXPECT_FALSE(known_metric("bizra_cache_hit_rate_bucket"));
  EXPECT_TRUE(known_metric("bizra_http_request_duration_ms_bucket"));
  EXPECT_EQ(identifiers("rate(bizra_x{route=\"bizra_y\"}[5m])"),
            (std::vector<std::string>{"rate", "bizra_x", "route", "5m"}));
}

}  // namespace
}  // namespace bizra
