#include "loadgen/loadgen.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "base/hex.hpp"
#include "chain/transaction.hpp"
#include "codec/json.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "http/client.hpp"
#include "poi/attestation.hpp"

namespace bizra::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kPrebuiltBytes = 128 << 20;  // request bodies built before the clock starts

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

crypto::SecretKey attester_key(std::uint64_t seed, std::size_t i) {
  std::string label = "bizra loadgen attester " + std::to_string(seed) + "/" + std::to_string(i);
  const Hash32 h = crypto::blake3(label);
  return crypto::SecretKey::from_seed(h.span()).value();
}

std::string utc(std::int64_t unix_seconds) { return poi::format_utc(unix_seconds).value(); }

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

struct NodeInfo {
  std::string chain_id;
  Hash32 genesis_root;
  std::uint64_t committed_transactions = 0;
};

Result<NodeInfo> node_info(http::Client& client) {
  auto response = client.request("GET", "/api/v1/consensus/status");
  if (!response) return response.error();
  if (response->status != 200) return Error("bad_response", "status " + std::to_string(response->status) + " from the node");
  auto doc = json::parse(response->body);
  if (!doc) return Error("bad_response", "consensus status: " + doc.error().message());
  const json::Value* chain = doc->find("chain_id");
  const json::Value* root = doc->find("genesis_root");
  const json::Value* txs = doc->find("committed_transactions");
  if (chain == nullptr || !chain->is_string() || root == nullptr || !root->is_string() || txs == nullptr ||
      !txs->is_number())
    return Error("bad_response", "consensus status without chain_id, genesis_root or committed_transactions");
  auto root_hash = hex::decode_fixed<32>(root->as_string());
  if (!root_hash) return Error("bad_response", "genesis_root is not 64 hex digits");
  return NodeInfo{chain->as_string(), *root_hash, static_cast<std::uint64_t>(txs->number())};
}

class Run {
 public:
  Run(const LoadConfig& config, const NodeInfo& info) : config_(config), factory_(info.chain_id, info.genesis_root, config.seed) {}

  LoadReport go(std::uint64_t finalized_before) {
    std::thread poller([&] { poll_samples(); });
    submit_all();
    const auto start = start_;
    const auto submitted_at = Clock::now();
    while (outstanding() > 0 && Clock::now() - submitted_at < config_.drain && !(config_.stop && config_.stop->load()))
      std::this_thread::sleep_for(config_.poll_interval);
    done_ = true;
    poller.join();
    report_.seconds = std::chrono::duration<double>(submitted_at - start).count();
    http::Client client(config_.targets[0].host, config_.targets[0].port);
    if (auto info = node_info(client)) report_.finalized = info->committed_transactions - finalized_before;
    std::sort(report_.latencies_ms.begin(), report_.latencies_ms.end());
    return std::move(report_);
  }

 private:
  Bytes make_transaction() {
    if (config_.kind == Kind::kAttestation) return factory_.next();
    chain::BenchOpaqueTx tx;
    const Hash32 h = crypto::blake3("bench " + std::to_string(config_.seed) + " " + std::to_string(bench_counter_++) + " " +
                                    std::to_string(Clock::now().time_since_epoch().count()));
    std::copy(h.bytes.begin(), h.bytes.end(), tx.bytes.begin());
    return chain::encode(chain::Transaction(tx));
  }

  // Batch k leaves at start + (k * batch) / rate, to target k mod T, from that target's own
  // thread (so a slow answer from one node does not hold back the others). Request bodies are
  // built before the clock starts, up to kPrebuiltBytes: signing is the client's work, done on
  // the client's machine, and must not be charged to the nodes sharing this one.
  void submit_all() {
    const auto total = static_cast<std::uint64_t>(config_.rate * std::chrono::duration<double>(config_.duration).count());
    const std::uint64_t batches = (total + config_.batch - 1) / config_.batch;
    std::vector<std::string> prebuilt;
    for (std::size_t bytes = 0; prebuilt.size() < batches && bytes < kPrebuiltBytes;) {
      prebuilt.push_back(make_body(batch_size(prebuilt.size(), total)));
      bytes += prebuilt.back().size();
    }
    const auto start = Clock::now();
    start_ = start;
    std::vector<std::thread> senders;
    for (std::size_t t = 0; t < config_.targets.size(); ++t) {
      senders.emplace_back([&, t] {
        http::Client client(config_.targets[t].host, config_.targets[t].port);
        for (std::uint64_t k = t; k < batches && !(config_.stop && config_.stop->load()); k += config_.targets.size()) {
          const auto due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                       static_cast<double>(k * config_.batch) / config_.rate));
          if (Clock::now() < due) std::this_thread::sleep_until(due);
          const std::size_t n = batch_size(k, total);
          submit(client, k < prebuilt.size() ? prebuilt[k] : make_body(n), n);
          const std::lock_guard lock(mu_);
          report_.behind_schedule_ms = std::max<std::uint64_t>(
              report_.behind_schedule_ms, static_cast<std::uint64_t>(std::max(0.0, ms_between(due, Clock::now()))));
        }
      });
    }
    for (auto& s : senders) s.join();
  }

  std::size_t batch_size(std::uint64_t k, std::uint64_t total) const {
    return static_cast<std::size_t>(std::min<std::uint64_t>(config_.batch, total - k * config_.batch));
  }

  std::string make_body(std::size_t n) {
    const std::lock_guard lock(factory_mu_);
    std::string body = "{\"transactions\":[";
    for (std::size_t i = 0; i < n; ++i) body += (i ? ",\"" : "\"") + hex::encode(make_transaction()) + "\"";
    return body + "]}";
  }

  void submit(http::Client& client, const std::string& body, std::size_t n) {
    const auto sent_at = Clock::now();
    auto response = client.request("POST", "/api/v1/transactions", body);
    const std::lock_guard lock(mu_);
    report_.submitted += n;
    if (!response || response->status >= 500) ++report_.request_errors;
    if (response) count_results(response->body, sent_at);
  }

  void count_results(const std::string& body, Clock::time_point sent_at) {
    auto doc = json::parse(body, json::Limits{.max_bytes = 16 << 20, .max_depth = 8});
    const json::Value* results = doc ? doc->find("results") : nullptr;
    if (results == nullptr) {
      const json::Value* error = doc ? doc->find("error") : nullptr;
      const json::Value* code = error != nullptr ? error->find("code") : nullptr;
      ++report_.rejected[code != nullptr && code->is_string() ? code->as_string() : "bad_response"];
      return;
    }
    for (const json::Value& item : results->items()) {
      if (const json::Value* id = item.find("tx_id"); id != nullptr && id->is_string()) {
        if (report_.accepted++ % config_.sample_every == 0) add_sample(id->as_string(), sent_at);
      } else if (const json::Value* code = item.find("error"); code != nullptr && code->is_string()) {
        ++report_.rejected[code->as_string()];
      }
    }
  }

  void add_sample(const std::string& tx_id, Clock::time_point sent_at) {  // under mu_
    if (samples_.size() < config_.max_outstanding_samples) samples_.push_back({tx_id, sent_at});
  }

  std::size_t outstanding() {
    std::lock_guard lock(mu_);
    return samples_.size();
  }

  void poll_samples() {
    http::Client client(config_.targets[0].host, config_.targets[0].port);
    while (!done_) {
      std::deque<std::pair<std::string, Clock::time_point>> pending;
      {
        std::lock_guard lock(mu_);
        pending.swap(samples_);
      }
      std::deque<std::pair<std::string, Clock::time_point>> still;
      for (auto& sample : pending) {
        auto response = client.request("GET", "/api/v1/transactions/" + sample.first);
        const bool final = response && response->status == 200 && (response->body.find("\"final\"") != std::string::npos ||
                                                                     response->body.find("\"rejected\"") != std::string::npos);
        if (final) {
          std::lock_guard lock(mu_);
          report_.latencies_ms.push_back(ms_between(sample.second, Clock::now()));
        } else {
          still.push_back(std::move(sample));
        }
      }
      {
        std::lock_guard lock(mu_);
        for (auto& s : still) samples_.push_back(std::move(s));
      }
      std::this_thread::sleep_for(config_.poll_interval);
    }
  }

  const LoadConfig& config_;
  AttestationFactory factory_;
  std::uint64_t bench_counter_ = 0;
  std::mutex factory_mu_;
  std::mutex mu_;  // report_ and samples_
  Clock::time_point start_;
  std::deque<std::pair<std::string, Clock::time_point>> samples_;
  std::atomic<bool> done_{false};
  LoadReport report_;
};

}  // namespace

AttestationFactory::AttestationFactory(std::string chain_id, const Hash32& genesis_root, std::uint64_t seed,
                                       std::size_t attesters)
    : chain_id_(std::move(chain_id)),
      genesis_root_hex_(hex::encode(genesis_root)),
      nonce_salt_(seed ^ static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count())) {
  for (std::size_t i = 0; i < attesters; ++i) keys_.push_back(attester_key(seed, i));
}

Bytes AttestationFactory::next() { return chain::encode(chain::Transaction(chain::AttestationTx{next_document()})); }

std::string AttestationFactory::next_document() {
  const crypto::SecretKey& key = keys_[counter_ % keys_.size()];
  const std::int64_t now = unix_now();
  const std::string nonce =
      hex::encode(crypto::blake3("nonce " + std::to_string(nonce_salt_) + " " + std::to_string(counter_++)));
  const std::string document =
      "{\"version\":\"poi-1.0\",\"anchor\":{\"chain_id\":\"" + chain_id_ + "\",\"genesis_root\":\"" + genesis_root_hex_ +
      "\"},\"attester\":{\"id\":\"" + crypto::account_id(key.public_key()) + "\",\"pubkey\":\"" +
      crypto::format_public_key(key.public_key()) +
      "\"},\"evidence\":{\"pack_sha256\":\"" + hex::encode(crypto::blake3(nonce)) +
      "\"},\"measurement\":{\"dimensions\":{\"quality\":0.9,\"reach\":0.5},\"weights\":{\"quality\":0.6,\"reach\":0.4},"
      "\"impact_score\":0.74},\"time_window\":[\"" +
      utc(now - 3600) + "\",\"" + utc(now) + "\"],\"nonce\":\"" + nonce + "\"}";
  return poi::sign(document, key).value();
}

double LoadReport::percentile(double p) const {
  if (latencies_ms.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(latencies_ms.size())));
  return latencies_ms[std::clamp<std::size_t>(rank, 1, latencies_ms.size()) - 1];
}

std::string LoadReport::to_text() const {
  char line[512];
  std::snprintf(line, sizeof line,
                "%.1f s: submitted %llu, accepted %llu (%.0f/s), finalized %llu (%.0f/s), request errors %llu, "
                "latency submit->final p50 %.1f ms p95 %.1f ms p99 %.1f ms (%zu samples), behind schedule %llu ms",
                seconds, static_cast<unsigned long long>(submitted), static_cast<unsigned long long>(accepted),
                accepted_per_second(), static_cast<unsigned long long>(finalized), finalized_per_second(),
                static_cast<unsigned long long>(request_errors), percentile(50), percentile(95), percentile(99),
                latencies_ms.size(), static_cast<unsigned long long>(behind_schedule_ms));
  std::string out = line;
  for (const auto& [code, count] : rejected) out += "\n  rejected " + code + ": " + std::to_string(count);
  return out;
}

std::string LoadReport::to_json() const {
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"seconds\":%.3f,\"submitted\":%llu,\"accepted\":%llu,\"accepted_per_s\":%.1f,\"finalized\":%llu,"
                "\"finalized_per_s\":%.1f,\"request_errors\":%llu,\"latency_ms\":{\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f,"
                "\"samples\":%zu},\"behind_schedule_ms\":%llu,\"rejected\":{",
                seconds, static_cast<unsigned long long>(submitted), static_cast<unsigned long long>(accepted),
                accepted_per_second(), static_cast<unsigned long long>(finalized), finalized_per_second(),
                static_cast<unsigned long long>(request_errors), percentile(50), percentile(95), percentile(99),
                latencies_ms.size(), static_cast<unsigned long long>(behind_schedule_ms));
  std::string out = buf;
  bool first = true;
  for (const auto& [code, count] : rejected) {
    out += (first ? "\"" : ",\"") + code + "\":" + std::to_string(count);
    first = false;
  }
  return out + "}}";
}

Result<LoadReport> run_load(const LoadConfig& config) {
  if (config.targets.empty()) return Error("bad_config", "no target");
  if (!(config.rate > 0) || config.batch == 0 || config.sample_every == 0) return Error("bad_config", "rate, batch and sample_every must be positive");
  http::Client client(config.targets[0].host, config.targets[0].port);
  auto info = node_info(client);
  if (!info) return info.error();
  Run run(config, *info);
  return run.go(info->committed_transactions);
}

}  // namespace bizra::loadgen
