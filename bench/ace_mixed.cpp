// bench_ace_mixed: the founding document's ACE table, measured on this machine with the node's
// real ACE runtime (service::AceRuntime: the six agents, the engine, RocksDB task records, signed
// receipts) on a real single-validator node in a temp directory.
//
// Workload: task templates of the three types, in the founding document's mix of 5 APT
// (personal: notes, recall, signature checks, small goals), 15 AST (system team: attestation and
// evidence verification, policy checks, node health, multi-step goals) and 7 SAT (the node's own
// jobs: health, compaction, consolidation, a backup goal). Two phases:
//   - "mix": exactly those 27 tasks, --mix-runs times (a fresh interleaving each run);
//   - "large": --tasks tasks in the same ratio (≥ 10 000 by default), shuffled with --seed,
//     at most --inflight top-level tasks outstanding (a closed loop: the engine is never flooded).
// Per phase: success rate, throughput, end-to-end latency (submission → finished, top-level tasks)
// avg/p95/min/max, and per agent the p95 *execution* time (started → finished of every task the
// agent served, plan steps included) beside its level's budget. Output: text, or --json.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "ace/engine.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "codec/json.hpp"
#include "crypto/identity.hpp"
#include "loadgen/loadgen.hpp"
#include "metrics/metrics.hpp"
#include "node/config.hpp"
#include "node/genesis.hpp"
#include "node/node.hpp"
#include "service/ace_runtime.hpp"
#include "support/free_ports.hpp"

namespace {

using namespace bizra;
using Clock = std::chrono::steady_clock;

struct Options {
  std::size_t tasks = 10'000;
  std::size_t mix_runs = 5;
  std::size_t inflight = 16;
  std::size_t workers = 2;
  std::uint64_t seed = 1;
  bool json = false;
};

json::Value parse(std::string_view text) { return json::parse(text).value(); }

// The value of a setup step, or the end of the benchmark with its error.
template <typename T>
T need(Result<T> r, std::string_view what) {
  if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().to_string());
  return std::move(*r);
}

// A single-validator node (it commits on its own) in `dir`, with its ACE runtime.
struct BenchNode {
  std::filesystem::path dir;
  node::Genesis genesis;
  std::unique_ptr<node::Node> node;
  metrics::Registry registry;
  std::unique_ptr<service::AceRuntime> ace;

  BenchNode(const Options& o, ace::TaskListener recorder) {
    dir = std::filesystem::temp_directory_path() / ("bizra-ace-bench-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "evidence" / "reports");
    for (int i = 0; i < 8; ++i)
      std::ofstream(dir / "evidence" / "reports" / ("r" + std::to_string(i) + ".txt")) << std::string(4096, char('a' + i));
    const crypto::SecretKey key = crypto::SecretKey::generate();
    genesis.chain_id = "bizra-ace-bench";
    genesis.genesis_time_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    const std::string p2p = "127.0.0.1:" + std::to_string(testing::free_port());
    genesis.validators.push_back({"v0", key.public_key(), 1, 0, p2p, ""});
    node::NodeConfig config;
    config.data_dir = dir / "data";
    config.p2p_listen = p2p;
    node = need(node::Node::open(config, genesis, need(crypto::SecretKey::from_seed(key.seed()), "key")), "node");
    if (!node->start().ok()) throw std::runtime_error("node start failed");
    node::AceSettings settings;
    settings.workers = o.workers;
    settings.evidence_dir = dir / "evidence";
    settings.backup_dir = dir / "backups";
    settings.health_interval_s = 0;  // no SAT jobs of the node's own during the measurement
    ace = need(service::AceRuntime::start(*node, need(crypto::SecretKey::from_seed(key.seed()), "key"), settings,
                                          registry, nullptr, std::move(recorder)),
               "ACE runtime");
  }
  ~BenchNode() {
    ace.reset();
    node->stop();
    node.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

struct Template {
  ace::TaskType type;
  std::string skill;
  std::string input;  // JSON
};

std::vector<Template> templates(const BenchNode& b) {
  loadgen::AttestationFactory factory(b.genesis.chain_id, b.node->genesis_root(), 7, 1);
  const std::string attestation = factory.next_document();
  const crypto::SecretKey signer = crypto::SecretKey::generate();
  const std::string message = "impact report 2026-Q3";
  const std::string sig = "{\"pubkey\":\"" + hex::encode(signer.public_key().bytes) + "\",\"message\":\"" + message +
                          "\",\"signature\":\"" + hex::encode(signer.sign(as_bytes(message)).bytes) + "\"}";
  auto with_goal = [](std::string goal, std::string params) {
    return "{\"goal\":\"" + goal + "\"" + (params.empty() ? "" : "," + params) + "}";
  };
  const std::string att_param = "\"attestation\":" + attestation;
  const std::string sig_params = sig.substr(1, sig.size() - 2);
  using T = ace::TaskType;
  return {
      // APT: 5
      {T::kApt, "memory.store", R"({"text":"note: the community garden impact review is due","tags":["apt"]})"},
      {T::kApt, "memory.recall", R"({"query":"impact review"})"},
      {T::kApt, "security.verify_signature", sig},
      {T::kApt, "meta.orchestrate", with_goal("remember the meeting notes on river cleanup", "")},
      {T::kApt, "meta.orchestrate", with_goal("recall impact review", "")},
      // AST: 15
      {T::kAst, "security.verify_attestation", "{" + att_param + "}"},
      {T::kAst, "security.hash_evidence", R"({"paths":["reports"]})"},
      {T::kAst, "security.check_policy", R"({"skill":"memory.store","requester":"dept:ops"})"},
      {T::kAst, "operations.health", "{}"},
      {T::kAst, "operations.peers", "{}"},
      {T::kAst, "operations.metrics_snapshot", "{}"},
      {T::kAst, "meta.orchestrate", with_goal("health check", "")},
      {T::kAst, "meta.orchestrate", with_goal("verify attestation", att_param)},
      {T::kAst, "meta.orchestrate", with_goal("hash the evidence", "\"paths\":[\"reports\"]")},
      {T::kAst, "meta.orchestrate", with_goal("audit", att_param + ",\"paths\":[\"reports\"]")},
      {T::kAst, "reflection.stats", "{}"},
      {T::kAst, "memory.recall", R"({"query":"audit evidence"})"},
      {T::kAst, "security.verify_signature", sig},
      {T::kAst, "meta.orchestrate", with_goal("verify signature", sig_params)},
      {T::kAst, "memory.store", R"({"text":"ops log: validator set unchanged","tags":["ast"]})"},
      // SAT: 7
      {T::kSat, "operations.health", "{}"},
      {T::kSat, "operations.metrics_snapshot", "{}"},
      {T::kSat, "operations.compact", "{}"},
      {T::kSat, "memory.consolidate", "{}"},
      {T::kSat, "reflection.stats", "{}"},
      {T::kSat, "meta.orchestrate", with_goal("backup the node", "")},
      {T::kSat, "meta.orchestrate", with_goal("health check", "")},
  };
}

std::string_view requester(ace::TaskType type) {
  switch (type) {
    case ace::TaskType::kApt: return "user:bench";
    case ace::TaskType::kAst: return "dept:ops";
    case ace::TaskType::kSat: return "node";
  }
  return "";
}

// Execution times per agent, from the engine's events (started → finished, steady clock).
class Recorder {
 public:
  ace::TaskListener listener() {
    return [this](const ace::TaskEvent& e) {
      const auto now = Clock::now();
      std::lock_guard lock(mu_);
      if (e.kind == ace::TaskEvent::Kind::kStarted) started_[e.task.id] = now;
      if (e.kind != ace::TaskEvent::Kind::kFinished) return;
      const auto it = started_.find(e.task.id);
      if (it == started_.end()) return;  // finished without running (timed out while queued)
      exec_ms_[e.agent].push_back(std::chrono::duration<double, std::milli>(now - it->second).count());
      started_.erase(it);
    };
  }
  std::map<ace::AgentKind, std::vector<double>> take() {
    std::lock_guard lock(mu_);
    return std::exchange(exec_ms_, {});
  }

 private:
  std::mutex mu_;
  std::map<std::string, Clock::time_point> started_;
  std::map<ace::AgentKind, std::vector<double>> exec_ms_;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t rank = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(rank, v.size() - 1)];
}

struct PhaseResult {
  std::string name;
  std::size_t tasks = 0, succeeded = 0;
  double seconds = 0;
  std::vector<double> latency_ms{};  // top-level, end to end
  std::map<ace::AgentKind, std::vector<double>> exec_ms{};
  std::map<std::string, std::size_t> failures{};  // "skill: code" -> count
};

// "skill: code" of a failed task; for a failed plan, of the step that failed it.
std::string failure_key(const ace::Engine& engine, const ace::TaskView& task) {
  std::string key = task.request.skill + ": " + (task.error ? std::string(task.error->code()) : "?");
  for (const std::string& child_id : task.child_ids) {
    const auto child = engine.get(child_id);
    if (child && ace::is_finished(child->status) && child->status != ace::TaskStatus::kSucceeded && child->error)
      return key + " (step " + child->request.skill + ": " + std::string(child->error->code()) + ": " +
             child->error->message().substr(0, 120) + ")";
  }
  return key;
}

PhaseResult run_phase(std::string name, ace::Engine& engine, Recorder& recorder, const std::vector<Template>& order,
                      std::size_t inflight) {
  PhaseResult r;
  r.name = std::move(name);
  recorder.take();
  struct Pending {
    std::string id;
    const Template* t;
    Clock::time_point submitted;
  };
  std::vector<Pending> pending;
  std::size_t next = 0;
  const auto start = Clock::now();
  while (next < order.size() || !pending.empty()) {
    while (next < order.size() && pending.size() < inflight) {
      const Template& t = order[next++];
      ace::TaskRequest request;
      request.type = t.type;
      request.skill = t.skill;
      request.input = parse(t.input);
      request.deadline_ms = 60'000;
      request.requester = std::string(requester(t.type));
      auto id = engine.submit(std::move(request));
      if (!id) throw std::runtime_error("submit: " + id.error().to_string());
      pending.push_back({*id, &t, Clock::now()});
    }
    // Wait for the oldest; collect every one that has finished meanwhile.
    engine.wait(pending.front().id, std::chrono::milliseconds(60'000));
    std::erase_if(pending, [&](const Pending& p) {
      const auto view = engine.get(p.id);
      if (!view || !ace::is_finished(view->status)) return false;
      r.latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - p.submitted).count());
      ++r.tasks;
      if (view->status == ace::TaskStatus::kSucceeded) {
        ++r.succeeded;
      } else {
        ++r.failures[failure_key(engine, *view)];
      }
      return true;
    });
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  r.exec_ms = recorder.take();
  return r;
}

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string phase_json(const PhaseResult& r) {
  double sum = 0;
  for (double v : r.latency_ms) sum += v;
  const auto [lo, hi] = std::minmax_element(r.latency_ms.begin(), r.latency_ms.end());
  std::string agents = "{";
  for (ace::AgentKind kind : ace::kAllAgents) {
    const auto it = r.exec_ms.find(kind);
    const std::vector<double> none;
    const std::vector<double>& v = it == r.exec_ms.end() ? none : it->second;
    const double p95 = percentile(v, 0.95);
    const auto budget = static_cast<double>(ace::latency_budget(kind).count());
    agents += std::string(agents.size() > 1 ? "," : "") + "\"" + std::string(ace::agent_name(kind)) +
              "\":{\"tasks\":" + std::to_string(v.size()) + ",\"p95_ms\":" + fmt(p95) + ",\"budget_ms\":" +
              fmt(budget) + ",\"within_budget\":" + (p95 <= budget ? "true" : "false") + "}";
  }
  std::string failures = "{";
  for (const auto& [what, n] : r.failures)
    failures += std::string(failures.size() > 1 ? "," : "") + "\"" + what + "\":" + std::to_string(n);
  const double n = static_cast<double>(r.tasks);
  return "{\"phase\":\"" + r.name + "\",\"tasks\":" + std::to_string(r.tasks) + ",\"succeeded\":" +
         std::to_string(r.succeeded) + ",\"success_rate\":" + fmt(n > 0 ? static_cast<double>(r.succeeded) / n : 0) +
         ",\"seconds\":" + fmt(r.seconds) + ",\"tasks_per_second\":" + fmt(n / r.seconds) +
         ",\"latency_ms\":{\"avg\":" + fmt(n > 0 ? sum / n : 0) + ",\"p95\":" + fmt(percentile(r.latency_ms, 0.95)) +
         ",\"min\":" + fmt(r.latency_ms.empty() ? 0 : *lo) + ",\"max\":" + fmt(r.latency_ms.empty() ? 0 : *hi) +
         "},\"agents\":" + agents + "},\"failures\":" + failures + "}}";
}

void print_text(const PhaseResult& r) {
  double sum = 0;
  for (double v : r.latency_ms) sum += v;
  const double n = static_cast<double>(r.tasks);
  std::printf("%-6s tasks %6zu  success %6.2f%%  %8.1f tasks/s  latency ms avg %.2f p95 %.2f min %.2f max %.2f\n",
              r.name.c_str(), r.tasks, 100.0 * static_cast<double>(r.succeeded) / n, n / r.seconds, sum / n,
              percentile(r.latency_ms, 0.95), *std::min_element(r.latency_ms.begin(), r.latency_ms.end()),
              *std::max_element(r.latency_ms.begin(), r.latency_ms.end()));
  for (ace::AgentKind kind : ace::kAllAgents) {
    const auto it = r.exec_ms.find(kind);
    if (it == r.exec_ms.end()) continue;
    std::printf("         %-11s %6zu tasks  p95 %8.3f ms (budget %lld ms)\n", std::string(ace::agent_name(kind)).c_str(),
                it->second.size(), percentile(it->second, 0.95),
                static_cast<long long>(ace::latency_budget(kind).count()));
  }
  for (const auto& [what, count] : r.failures) std::printf("         failed: %s ×%zu\n", what.c_str(), count);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"bench_ace_mixed — the ACE runtime under the founding document's APT/AST/SAT mix"};
  app.add_option("--tasks", o.tasks, "Tasks in the large run")->capture_default_str();
  app.add_option("--mix-runs", o.mix_runs, "Runs of the 27-task base mix")->capture_default_str();
  app.add_option("--inflight", o.inflight, "Top-level tasks outstanding at most")->check(CLI::Range(1, 10'000));
  app.add_option("--workers", o.workers, "Engine worker threads")->check(CLI::Range(1, 64))->capture_default_str();
  app.add_option("--seed", o.seed, "Shuffle seed")->capture_default_str();
  app.add_flag("--json", o.json, "One JSON document on stdout");
  CLI11_PARSE(app, argc, argv);

  Recorder recorder;
  BenchNode b(o, recorder.listener());
  ace::Engine& engine = b.ace->engine();
  const std::vector<Template> base = templates(b);
  std::mt19937_64 rng(o.seed);
  std::vector<PhaseResult> results;
  for (std::size_t run = 0; run < o.mix_runs; ++run) {
    std::vector<Template> order = base;
    std::shuffle(order.begin(), order.end(), rng);
    results.push_back(run_phase("mix", engine, recorder, order, o.inflight));
  }
  std::vector<Template> large;
  for (std::size_t i = 0; i < o.tasks; ++i) large.push_back(base[i % base.size()]);
  std::shuffle(large.begin(), large.end(), rng);
  results.push_back(run_phase("large", engine, recorder, large, o.inflight));

  if (o.json) {
    std::string out = "{\"workers\":" + std::to_string(o.workers) + ",\"inflight\":" + std::to_string(o.inflight) +
                      ",\"runs\":[";
    for (std::size_t i = 0; i < results.size(); ++i) out += (i ? "," : "") + phase_json(results[i]);
    std::cout << out << "]}\n";
  } else {
    for (const auto& r : results) print_text(r);
  }
  return 0;
}
