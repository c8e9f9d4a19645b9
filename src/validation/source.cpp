#include "validation/source.hpp"

#include <thread>

#include "api/queries.hpp"
#include "codec/json.hpp"
#include "http/message.hpp"

namespace bizra::validation {

std::string_view name(Kind kind) {
  switch (kind) {
    case Kind::kTransaction: return "transaction";
    case Kind::kBlock: return "block";
    case Kind::kAddress: return "address";
  }
  return "";
}

Verdict verdict_of(Kind kind, std::string_view status) {
  const bool found = status != "not_found";
  if (kind == Kind::kAddress) return {true, found, std::string(status)};
  return {status == "final" || status == "pending", status == "final" || status == "rejected", std::string(status)};
}

// --- local --------------------------------------------------------------------------------

Result<Verdict> LocalSource::check(Kind kind, std::string_view ref) {
  switch (kind) {
    case Kind::kTransaction: {
      const node::TxStatus s = node_.transaction_status(api::parse_hash(ref).value());
      if (s.state == node::TxState::kUnknown) return verdict_of(kind, "not_found");
      if (s.state == node::TxState::kPending) return verdict_of(kind, "pending");
      return verdict_of(kind, s.record->ok ? "final" : "rejected");
    }
    case Kind::kBlock: {
      auto block = node_.chain().block(api::parse_hash(ref).value());
      if (!block) return block.error();
      if (!*block) return verdict_of(kind, "not_found");
      auto final = api::is_final(node_, **block);
      if (!final) return final.error();
      return verdict_of(kind, *final ? "final" : "pending");
    }
    case Kind::kAddress: {
      auto account = api::find_account(node_, ref);
      if (!account) return account.error();
      return verdict_of(kind, *account ? "found" : "not_found");
    }
  }
  return Error("internal", "unknown kind");
}

// --- remote -------------------------------------------------------------------------------

namespace {

bool is_network_error(std::string_view code) { return code == "connect_failed" || code == "timeout" || code == "io_error"; }

std::string_view rpc_method(Kind kind) {
  switch (kind) {
    case Kind::kTransaction: return "bizra_getTransaction";
    case Kind::kBlock: return "bizra_getBlockByHash";
    case Kind::kAddress: return "bizra_getAccount";
  }
  return "";
}

Error remote_error(std::string message) { return Error("remote_error", std::move(message)); }

// The verdict in a JSON-RPC answer: null is "not_found"; a transaction names its status, a block
// whether it is final, and an account exists.
Result<Verdict> read_answer(Kind kind, std::string_view body) {
  auto doc = json::parse(body, json::Limits{.max_bytes = 1 << 20, .max_depth = 8});
  if (!doc || !doc->is_object()) return remote_error("the answer is not a JSON object");
  if (const json::Value* e = doc->find("error")) {
    const json::Value* message = e->find("message");
    return remote_error("the remote node refused: " + (message && message->is_string() ? message->as_string() : ""));
  }
  const json::Value* result = doc->find("result");
  if (result == nullptr) return remote_error("the answer has no result");
  if (result->is_null()) return verdict_of(kind, "not_found");
  if (!result->is_object()) return remote_error("the result is not an object");
  switch (kind) {
    case Kind::kTransaction: {
      const json::Value* status = result->find("status");
      if (!status || !status->is_string() ||
          (status->as_string() != "final" && status->as_string() != "rejected" && status->as_string() != "pending"))
        return remote_error("the transaction has no known status");
      return verdict_of(kind, status->as_string());
    }
    case Kind::kBlock: {
      const json::Value* final = result->find("final");
      if (!final || !final->is_bool()) return remote_error("the block has no final flag");
      return verdict_of(kind, final->as_bool() ? "final" : "pending");
    }
    case Kind::kAddress: return verdict_of(kind, "found");
  }
  return remote_error("unknown kind");
}

}  // namespace

RemoteSource::RemoteSource(RemoteOptions options)
    : options_(std::move(options)),
      client_(options_.host, options_.port, options_.timeout),
      breaker_(options_.breaker_threshold, options_.breaker_cooldown) {
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

CircuitBreaker::State RemoteSource::breaker_state() const {
  std::lock_guard lock(mu_);
  return breaker_.state();
}

Result<std::string> RemoteSource::call_with_retries(const std::string& body) {
  std::string last;
  for (std::size_t attempt = 0;; ++attempt) {
    auto response = client_.request("POST", "/rpc", body);
    if (response) {
      if (response->status != 200) return remote_error("HTTP " + std::to_string(response->status));
      return std::move(response->body);
    }
    if (!is_network_error(response.error().code())) return remote_error(response.error().message());
    last = std::string(response.error().code()) + ": " + std::string(response.error().message());
    if (attempt == options_.backoff.size()) break;
    options_.sleep(options_.backoff[attempt]);
  }
  return Error("remote_unreachable", "remote node " + options_.host + ":" + std::to_string(options_.port) + " after " +
                                         std::to_string(options_.backoff.size() + 1) + " attempts: " + last);
}

Result<Verdict> RemoteSource::check(Kind kind, std::string_view ref) {
  const std::string body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + std::string(rpc_method(kind)) +
                           "\",\"params\":[" + http::json_quote(ref) + "]}";
  std::lock_guard lock(mu_);
  if (!breaker_.allow(options_.now()))
    return Error("circuit_open", "remote node " + options_.host + ":" + std::to_string(options_.port) +
                                     " failed repeatedly; not asking it until the cool-down has passed");
  auto answer = call_with_retries(body);
  auto verdict = answer ? read_answer(kind, *answer) : Result<Verdict>(answer.error());
  if (verdict) breaker_.on_success();
  else breaker_.on_failure(options_.now());
  return verdict;
}

}  // namespace bizra::validation
