#pragma once
// A simulation scenario: everything a run depends on besides the code. A run is a pure function
// of its Scenario, and to_flags() prints the `node0 sim` flags that rebuild the same Scenario,
// so any failure — including one found by a randomized test — reproduces from one command line.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "consensus/core.hpp"
#include "sim/keys.hpp"
#include "sim/network.hpp"
#include "sim/workload.hpp"

namespace bizra::sim {

// What a Byzantine validator does (byzantine.hpp has the details).
enum class Fault : std::uint8_t {
  kEquivocate,       // signs conflicting proposals, votes and timeouts; votes for every fork
  kWithhold,         // never sends its votes; drops half of its timeouts
  kInvalidProposal,  // as leader proposes only invalid blocks (bad digest, QC, signature, ...)
  kGarbage,          // sends random and corrupted bytes alongside its messages
  kReplay,           // re-sends old messages (its own and others') to random validators
};
inline constexpr std::array<Fault, 5> kAllFaults = {Fault::kEquivocate, Fault::kWithhold, Fault::kInvalidProposal,
                                                    Fault::kGarbage, Fault::kReplay};
std::string_view name(Fault fault);
Result<Fault> parse_fault(std::string_view text);  // Errors: "bad_flag"

// Node `node` crashes at `at` and restarts from its persisted state at `restart`.
struct CrashSpec {
  ValidatorIndex node = 0;
  Time at = 0;
  Time restart = 0;

  static Result<CrashSpec> parse(std::string_view text);  // "N@AT-RESTART" (ms)
  std::string to_text() const;
  bool operator==(const CrashSpec&) const = default;
};

struct Scenario {
  std::uint64_t seed = 1;
  std::uint32_t validators = 4;
  bool random_weights = false;  // weights drawn from [1, 10], else all equal
  std::uint32_t byzantine = 0;  // chosen from the seed; their weight stays below a third
  std::vector<Fault> faults = {Fault::kEquivocate};  // Byzantine node k behaves as faults[k % size]
  std::uint32_t down = 0;       // honest nodes, chosen from the seed, that never start (crashed for good)
  NetworkConfig network;        // network.gst: 0 derives it (see resolve())
  std::vector<CrashSpec> crashes;
  Time duration = 20 * kSeconds;
  Time liveness_window = 0;     // 0: derived from the round timer (resolve())
  std::uint64_t base_timeout_ms = 0;  // 0: derived from the latency model
  std::optional<SignatureScheme> scheme;  // nullopt: Ed25519 up to 16 validators, else the MAC
  CpuCosts costs;
  WorkloadConfig workload;
  consensus::SafetyMutation mutation = consensus::SafetyMutation::kNone;
  // Off only to show that a mutation breaks safety itself (conflicting commits), not just the
  // rule that an honest node never signs twice in a round.
  bool check_double_signing = true;

  // The `node0 sim` flags for this scenario (all of them, defaults included).
  std::string to_flags() const;
};

// Fills the derived values (GST, liveness window, round timeout, signature scheme) and checks
// the scenario. Errors: "bad_scenario" (no validators, too many Byzantine, crash of an unknown
// node or restart after GST, partitions or crashes not healed by GST, ...).
Result<Scenario> resolve(Scenario scenario);

// Voting weight of each validator (consensus index order).
std::vector<std::uint64_t> validator_weights(const Scenario& scenario);
// The Byzantine validators, ascending: `byzantine` of them picked from the seed, each added only
// while their total weight stays below a third. Errors: "bad_scenario" when that is impossible.
Result<std::vector<ValidatorIndex>> byzantine_nodes(const Scenario& scenario);

// The validators that are down for the whole run, ascending: `down` honest ones picked from the
// seed, each added only while they and the Byzantine ones together stay below a third of the
// weight (so the others still form a quorum). Errors: "bad_scenario" when that is impossible.
Result<std::vector<ValidatorIndex>> down_nodes(const Scenario& scenario);

// A scenario drawn from the seed, for randomized testing: weights, up to f Byzantine nodes of the
// given fault kinds (at least one when faults is not empty), latency model, loss, duplication,
// partitions and crashes of honest nodes that heal by GST. Always resolves.
Scenario random_scenario(std::uint64_t seed, std::uint32_t validators, std::vector<Fault> faults);

inline constexpr std::array<consensus::SafetyMutation, 3> kAllMutations = {
    consensus::SafetyMutation::kNone, consensus::SafetyMutation::kIgnoreLastVotedRound,
    consensus::SafetyMutation::kIgnoreTcHighQc};
std::string_view name(consensus::SafetyMutation mutation);
Result<consensus::SafetyMutation> parse_mutation(std::string_view text);  // Errors: "bad_flag"

}  // namespace bizra::sim
