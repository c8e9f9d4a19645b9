#pragma once
// Where the validation service (validation/service.hpp) gets its answers: the local chain, or a
// remote node's JSON-RPC endpoint behind retries and a circuit breaker.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/circuit_breaker.hpp"
#include "base/error.hpp"
#include "http/client.hpp"
#include "node/node.hpp"

namespace bizra::validation {

using Clock = std::chrono::steady_clock;
using NowFn = std::function<Clock::time_point()>;

enum class Kind { kTransaction, kBlock, kAddress };
std::string_view name(Kind kind);  // "transaction", "block", "address"

// The answer about one reference. `status` is one of
//   transaction: "final" (valid, final), "rejected" (final, invalid: it failed execution),
//                "pending" (valid so far, not final), "not_found"
//   block:       "final", "pending" (known, not committed), "not_found"
//   address:     "found" (an account in the committed state: valid, final), "not_found" (well-
//                formed but unknown: valid, not final)
struct Verdict {
  bool valid = false;
  bool final = false;
  std::string status;
  bool operator==(const Verdict&) const = default;
};
// The verdict a status implies for `kind` (the table above).
Verdict verdict_of(Kind kind, std::string_view status);

class Source {
 public:
  virtual ~Source() = default;
  // `ref` is already well-formed (service.hpp checks it): 64 lowercase hex for transactions and
  // blocks, "ed25519:<hex>" or "bz<hex>" for addresses. Errors: the source's (below).
  virtual Result<Verdict> check(Kind kind, std::string_view ref) = 0;
  virtual std::string_view name() const = 0;  // "local" or "remote"
};

// Reads the node's chain and committed state directly. Errors: the store's ("io_error", "corrupt").
class LocalSource final : public Source {
 public:
  explicit LocalSource(node::Node& node) : node_(node) {}  // `node` must outlive this object
  Result<Verdict> check(Kind kind, std::string_view ref) override;
  std::string_view name() const override { return "local"; }

 private:
  node::Node& node_;
};

struct RemoteOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::chrono::milliseconds timeout{4000};  // each attempt
  // Waits before the 2nd, 3rd, 4th attempt; only network errors (connect_failed, timeout,
  // io_error) are retried: a remote that answered has decided.
  std::vector<std::chrono::milliseconds> backoff{std::chrono::milliseconds(50), std::chrono::milliseconds(200),
                                                 std::chrono::milliseconds(800)};
  std::size_t breaker_threshold = 5;  // consecutive failed calls (after their retries) that open it
  std::chrono::milliseconds breaker_cooldown{30'000};
  NowFn now = Clock::now;  // injected for tests
  std::function<void(std::chrono::milliseconds)> sleep;  // empty: std::this_thread::sleep_for
};

// Asks a remote node's POST /rpc (bizra_getTransaction, bizra_getBlockByHash, bizra_getAccount).
// Calls are serialized over one keep-alive connection. Errors: "circuit_open" (refused without
// a call), "remote_unreachable" (network errors after the retries; the message names the last),
// "remote_error" (an answer that is not a JSON-RPC result of the expected shape).
class RemoteSource final : public Source {
 public:
  explicit RemoteSource(RemoteOptions options);
  Result<Verdict> check(Kind kind, std::string_view ref) override;
  std::string_view name() const override { return "remote"; }
  CircuitBreaker::State breaker_state() const;

 private:
  Result<std::string> call_with_retries(const std::string& body);

  RemoteOptions options_;
  mutable std::mutex mu_;  // client_ and breaker_
  http::Client client_;
  CircuitBreaker breaker_;
};

}  // namespace bizra::validation
