#include "validation/service.hpp"

#include <algorithm>

#include "api/queries.hpp"
#include "codec/json.hpp"
#include "http/message.hpp"

namespace bizra::validation {

Service::Service(std::unique_ptr<Source> source, ServiceOptions options)
    : source_(std::move(source)), options_(std::move(options)) {}

std::chrono::seconds Service::ttl(Kind kind, const Verdict& v) const {
  const Ttls& t = options_.ttls;
  if (kind == Kind::kAddress) return t.address;
  if (v.status == "not_found") return t.not_found;
  if (v.status == "final") return kind == Kind::kBlock ? t.block : t.final_transaction;
  return t.pending_or_failed;
}

std::optional<Verdict> Service::lookup(const std::string& key, Clock::time_point now) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (now >= it->second.expires) {
    lru_.erase(it->second.recency);
    entries_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second.recency);
  return it->second.verdict;
}

void Service::store(const std::string& key, const Verdict& verdict, Clock::time_point expires) {
  if (options_.cache_entries == 0) return;
  if (auto it = entries_.find(key); it != entries_.end()) {
    lru_.erase(it->second.recency);
    entries_.erase(it);
  }
  if (entries_.size() >= options_.cache_entries) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  entries_.emplace(key, Entry{verdict, expires, lru_.begin()});
}

void Service::record(Clock::time_point started, Clock::time_point now) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(now - started).count();
  const auto elapsed_us = static_cast<std::uint64_t>(std::max<std::int64_t>(us, 0));
  const auto bounds = Stats::kLatencyBoundsMs;
  const auto bucket = std::lower_bound(bounds.begin(), bounds.end(), (elapsed_us + 999) / 1000) - bounds.begin();
  ++stats_.latency_buckets[static_cast<std::size_t>(bucket)];
  stats_.latency_sum_us += elapsed_us;
}

Result<Answer> Service::validate(Kind kind, std::string_view ref) {
  if (kind == Kind::kAddress ? !api::is_account_reference(ref) : !api::parse_hash(ref))
    return kind == Kind::kAddress ? Error("bad_address", "address: expected \"ed25519:<64 lowercase hex>\" or \"bz<40 lowercase hex>\"")
                                  : Error("bad_id", "id: expected 64 lowercase hex digits");
  const std::string key = std::string(name(kind)) + ":" + std::string(ref);
  const Clock::time_point started = options_.now();
  {
    std::lock_guard lock(mu_);
    ++stats_.requests;
    if (auto hit = lookup(key, started)) {
      ++stats_.hits;
      record(started, options_.now());
      return Answer{*hit, source_->name(), true};
    }
    ++stats_.misses;
  }
  // Asked without the lock: a slow remote must not stall cache hits on other threads.
  auto verdict = source_->check(kind, ref);
  const Clock::time_point now = options_.now();
  std::lock_guard lock(mu_);
  record(started, now);
  if (!verdict) {
    ++stats_.errors;
    return verdict.error();
  }
  store(key, *verdict, now + ttl(kind, *verdict));
  return Answer{*verdict, source_->name(), false};
}

Stats Service::stats() const {
  std::lock_guard lock(mu_);
  Stats s = stats_;
  s.cache_entries = entries_.size();
  return s;
}

namespace {

constexpr std::size_t kMaxRequestBytes = 4 << 10;

int status_for(std::string_view code) {
  if (code == "circuit_open") return 503;
  if (code == "remote_unreachable" || code == "remote_error") return 502;
  if (code == "io_error" || code == "corrupt") return 500;
  return 400;
}

// {"<member>": "<string>"} and nothing else.
Result<std::string> read_member(std::string_view body, std::string_view member) {
  auto doc = json::parse(body, json::Limits{.max_bytes = kMaxRequestBytes, .max_depth = 2});
  const json::Value* value = doc && doc->is_object() && doc->members().size() == 1 ? doc->find(member) : nullptr;
  if (value == nullptr || !value->is_string())
    return Error("bad_request", "body: expected {\"" + std::string(member) + "\": \"...\"}");
  return value->as_string();
}

http::Response answer(Service& service, Kind kind, const http::Request& req) {
  auto ref = read_member(req.body, kind == Kind::kAddress ? "address" : "id");
  auto result = ref ? service.validate(kind, *ref) : Result<Answer>(ref.error());
  if (!result) return http::Response::error(status_for(result.error().code()), result.error().code(), result.error().message());
  const Verdict& v = result->verdict;
  return http::Response::json(200, api::JsonObject()
                                       .flag("valid", v.valid)
                                       .flag("final", v.final)
                                       .str("status", v.status)
                                       .str("source", result->source)
                                       .flag("cached", result->cached)
                                       .done());
}

}  // namespace

void mount_validation_routes(http::Router& router, Service& service) {
  for (Kind kind : {Kind::kTransaction, Kind::kBlock, Kind::kAddress}) {
    router.add(
        "POST", "/api/v1/validate/" + std::string(name(kind)),
        [&service, kind](const http::Request& req) { return answer(service, kind, req); },
        http::RouteOptions{.max_body_bytes = kMaxRequestBytes, .rate_limited = true});
  }
}

}  // namespace bizra::validation
