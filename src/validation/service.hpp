#pragma once
// The validation service (../shared/spec/api.md "Validation service"): "is this transaction /
// block / address valid and final?", answered from a Source (validation/source.hpp: the local
// chain or a remote node) through an in-process LRU cache.
//
// Cache lifetimes, by what the answer was (a later answer may differ, so none is kept forever):
//   transaction final 300 s; pending or rejected 30 s; not_found 60 s
//   block final 86 400 s (a final block stays final); pending 30 s; not_found 60 s
//   address (found or not) 900 s
// Errors are never cached. The cache holds at most `cache_entries` answers, evicting the least
// recently used.
//
// Routes (validation_routes): POST /api/v1/validate/transaction {"id": "<64 hex>"},
// /api/v1/validate/block {"id": "<64 hex>"}, /api/v1/validate/address {"address": "..."} ->
// 200 {valid, final, status, source: "local"|"remote", cached}. Errors: 400 bad_request (body),
// bad_id, bad_address; 500 io_error/corrupt (local store); 502 remote_unreachable, remote_error;
// 503 circuit_open.

#include <array>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/error.hpp"
#include "http/router.hpp"
#include "validation/source.hpp"

namespace bizra::validation {

struct Ttls {
  std::chrono::seconds final_transaction{300};
  std::chrono::seconds pending_or_failed{30};
  std::chrono::seconds not_found{60};
  std::chrono::seconds block{86'400};
  std::chrono::seconds address{900};
};

struct ServiceOptions {
  std::size_t cache_entries = 10'000;
  Ttls ttls;
  NowFn now = Clock::now;  // cache expiry and latency; injected for tests
};

// Plain totals and a latency histogram since construction, for the metrics exporter.
struct Stats {
  // Upper bounds (ms, inclusive) of the latency buckets; the last bucket is everything above.
  static constexpr std::array<std::uint64_t, 9> kLatencyBoundsMs = {1, 5, 10, 25, 50, 100, 250, 1000, 4000};
  std::uint64_t requests = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t errors = 0;  // source errors (misses that got no verdict)
  std::array<std::uint64_t, kLatencyBoundsMs.size() + 1> latency_buckets{};  // per bucket, not cumulative
  std::uint64_t latency_sum_us = 0;
  std::size_t cache_entries = 0;

  double hit_rate() const { return requests == 0 ? 0 : static_cast<double>(hits) / static_cast<double>(requests); }
};

struct Answer {
  Verdict verdict;
  std::string_view source;  // "local" or "remote"
  bool cached = false;
};

class Service {
 public:
  explicit Service(std::unique_ptr<Source> source, ServiceOptions options = {});

  // Errors: "bad_id" (transactions and blocks: not 64 lowercase hex), "bad_address" (not
  // "ed25519:<hex>" or "bz<hex>"), and the source's. Thread-safe.
  Result<Answer> validate(Kind kind, std::string_view ref);
  Stats stats() const;

 private:
  struct Entry {
    Verdict verdict;
    Clock::time_point expires;
    std::list<std::string>::iterator recency;  // position in lru_
  };

  std::chrono::seconds ttl(Kind kind, const Verdict& verdict) const;
  std::optional<Verdict> lookup(const std::string& key, Clock::time_point now);
  void store(const std::string& key, const Verdict& verdict, Clock::time_point expires);
  void record(Clock::time_point started, Clock::time_point now);

  std::unique_ptr<Source> source_;
  ServiceOptions options_;
  mutable std::mutex mu_;  // everything below; never held while the source is asked
  std::list<std::string> lru_;  // keys, most recent first
  std::unordered_map<std::string, Entry> entries_;
  Stats stats_;
};

// Mounts the three POST /api/v1/validate/... routes. `service` must outlive the router's use.
void mount_validation_routes(http::Router& router, Service& service);

}  // namespace bizra::validation
