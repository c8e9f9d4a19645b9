#pragma once
// The load generator behind `node0 load` and `node0 devnet --load`: submits freshly signed
// attestations (or, on a bench-enabled chain, 32-byte payload-free transactions) to nodes' HTTP
// APIs at a target rate, in batches, and measures what the network did with them.
//
// Measured, never assumed:
//  - accepted/s: transactions the API admitted (202 per item), from the submit answers;
//  - finalized/s: growth of committed_transactions on the first target during the run;
//  - submit->final latency: for a sample of the accepted transactions (every `sample_every`-th,
//    at most `max_outstanding_samples` in flight), the time from the submit request to the
//    first poll of /api/v1/transactions/{id} that reports it final; polls run every
//    `poll_interval`, which bounds the resolution (reported with the figures).
// The generator paces with an absolute schedule (batch k leaves at start + k * batch / rate), so
// a slow answer does not silently lower the offered rate: it shows up as `behind_schedule`.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::loadgen {

enum class Kind { kAttestation, kBench };

struct Target {
  std::string host;
  std::uint16_t port = 0;
};

struct LoadConfig {
  std::vector<Target> targets;  // batches go round-robin
  double rate = 100;            // transactions per second offered
  std::chrono::milliseconds duration{10'000};
  Kind kind = Kind::kAttestation;
  std::size_t batch = 100;  // transactions per submit request
  std::size_t sample_every = 50;
  std::size_t max_outstanding_samples = 256;
  std::chrono::milliseconds poll_interval{5};
  std::chrono::milliseconds drain{5'000};  // after the last submit, wait this long for samples to finalize
  std::uint64_t seed = 1;                  // attester keys and nonces (nonces also mix in the time)
  const std::atomic<bool>* stop = nullptr;  // when set and true, submitting ends early (Ctrl-C)
};

struct LoadReport {
  double seconds = 0;
  std::uint64_t submitted = 0;
  std::uint64_t accepted = 0;
  std::map<std::string, std::uint64_t> rejected;  // error code -> count
  std::uint64_t request_errors = 0;              // HTTP failures (connect, timeout, 5xx)
  std::uint64_t finalized = 0;                   // committed transactions on targets[0] during the run
  std::uint64_t behind_schedule_ms = 0;          // how late the last batch left
  std::vector<double> latencies_ms;              // sampled submit->final, sorted
  double accepted_per_second() const { return seconds > 0 ? static_cast<double>(accepted) / seconds : 0; }
  double finalized_per_second() const { return seconds > 0 ? static_cast<double>(finalized) / seconds : 0; }
  double percentile(double p) const;  // of latencies_ms; 0 when empty
  std::string to_text() const;
  std::string to_json() const;
};

// Signed attestation documents for (chain_id, genesis_root) from a small set of attester keys,
// each with a fresh nonce: valid under the ten rules at the time they are made.
class AttestationFactory {
 public:
  AttestationFactory(std::string chain_id, const Hash32& genesis_root, std::uint64_t seed, std::size_t attesters = 64);
  // The encoded chain transaction of a new attestation.
  Bytes next();
  // A new signed attestation document (canonical JSON): what POST /api/v1/poi/attestation takes.
  std::string next_document();

 private:
  std::string chain_id_;
  std::string genesis_root_hex_;
  std::vector<crypto::SecretKey> keys_;
  std::uint64_t counter_ = 0;
  std::uint64_t nonce_salt_;
};

// Asks targets[0] for its chain id and genesis root, then runs the load. Errors: "connect_failed",
// "bad_response" (the target is not a BIZRA node API).
Result<LoadReport> run_load(const LoadConfig& config);

}  // namespace bizra::loadgen
