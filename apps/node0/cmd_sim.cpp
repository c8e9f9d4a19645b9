// node0 sim: the deterministic consensus simulator (src/sim). Runs one seed or a batch, prints
// each run's figures (or JSON), and for a failing seed the violation, the command line that
// reproduces it and the tail of its trace.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "codec/json.hpp"
#include "commands.hpp"
#include "sim/flags.hpp"
#include "sim/simulator.hpp"

namespace node0 {
namespace {

namespace sim = bizra::sim;
namespace json = bizra::json;

constexpr int kExitViolation = 1;  // some run broke an invariant

constexpr const char* kDescription =
    R"(Deterministic consensus simulator: runs the real consensus core of every validator
over a simulated network in virtual time and checks safety, durability, state agreement and
liveness after every step. The same flags and seed always give the same run; a failing run
prints the command that reproduces it.

Faults (all heal by GST; the run then checks that every honest node commits again):
  --loss P, --dup P        each message is lost / delivered twice with probability P (before GST)
  --latency MODEL          lan (0.1-0.5 ms one way), wan (25-100 ms per link + 10 ms jitter),
                           uniform:A-B, fixed:A, links:A-B+J (ms); jitter reorders messages
  --partition I,J@T1-T2    nodes I,J,... are cut off from the rest from T1 to T2 ms (repeatable)
  --crash N@T1-T2          node N crashes at T1 ms, restarts from its persisted state at T2 ms
                           (repeatable; a crash mid-step performs only part of the step's outputs)
  --down K                 K honest validators (picked from the seed) never start: crashed for
                           the whole run, never healed; with the Byzantine ones under 1/3 of the
                           weight; liveness is required of the others only
  --byzantine K --fault KINDS
                           K validators (picked from the seed, under 1/3 of the weight) misbehave;
                           KINDS is a comma list, Byzantine node k taking kind k mod len:
    equivocate             the coalition sees all traffic and attacks safety: as leader it
                           proposes twin blocks (on conflicting forks when it knows them), or
                           stays silent hiding the QC it formed, or after a TC forks below its
                           high QC; it votes for every block of a round, sends timeouts with
                           different QCs to different validators, and reveals hidden QCs to some
    withhold               never sends its votes, and drops half of its timeouts
    invalid-proposal       every proposal it makes is broken in one way: payload digest, payload
                           contents, proposer signature, QC signature or link, height, timestamp,
                           round, or proposer
    garbage                also sends random bytes and corrupted encodings of its messages
    replay                 also re-sends old messages (its own and others') to random validators
  --mutation NAME          TEST ONLY: every core runs a deliberately broken safety rule
                           (ignore-last-voted-round, ignore-tc-high-qc); the run should then fail)";



struct Options {
  std::uint64_t seed = 1;
  std::uint64_t seeds = 1;
  std::uint32_t validators = 4;
  std::string weights = "equal";
  std::uint32_t byzantine = 0;
  std::uint32_t down = 0;
  std::string faults = "equivocate";
  std::string loss = "0";
  std::string dup = "0";
  std::string latency = "lan";
  std::uint64_t bandwidth_mbit = 0;
  std::vector<std::string> partitions;
  std::vector<std::string> crashes;
  std::uint64_t gst_ms = 0;
  std::uint64_t duration_ms = 20'000;
  std::uint64_t liveness_window_ms = 0;
  std::uint64_t timeout_ms = 0;
  std::string signer = "auto";
  std::uint64_t sign_us = 17;
  std::uint64_t verify_us = 50;
  std::uint32_t txs = 4;
  std::string mutation = "none";
  bool no_double_sign_check = false;
  bool random_faults = false;
  bool trace = false;
  std::size_t trace_tail = 60;
  bool json = false;
};

std::vector<sim::Fault> parse_faults(const std::string& text) {
  std::vector<sim::Fault> faults;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    faults.push_back(must(sim::parse_fault(text.substr(start, comma - start))));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return faults;
}

std::uint32_t probability(const std::string& text, std::string_view flag) {
  const auto ppm = sim::parse_probability(text);
  if (!ppm) fail(std::string(flag) + ": expected a probability in [0, 1] with at most 6 decimals, got " + text);
  return *ppm;
}

// The scenario the flags describe for one seed.
sim::Scenario scenario_for(const Options& o, std::uint64_t seed) {
  const auto faults = parse_faults(o.faults);
  if (o.random_faults) {
    sim::Scenario s = sim::random_scenario(seed, o.validators, o.byzantine > 0 ? faults : std::vector<sim::Fault>{});
    s.mutation = must(sim::parse_mutation(o.mutation));
    s.check_double_signing = !o.no_double_sign_check;
    return s;
  }
  sim::Scenario s;
  s.seed = seed;
  s.validators = o.validators;
  if (o.weights != "equal" && o.weights != "random") fail("--weights: equal or random");
  s.random_weights = o.weights == "random";
  s.byzantine = o.byzantine;
  s.down = o.down;
  s.faults = faults;
  s.network.latency = must(sim::LatencyModel::parse(o.latency));
  s.network.loss_ppm = probability(o.loss, "--loss");
  s.network.duplicate_ppm = probability(o.dup, "--dup");
  for (const auto& p : o.partitions) s.network.partitions.push_back(must(sim::Partition::parse(p)));
  for (const auto& c : o.crashes) s.crashes.push_back(must(sim::CrashSpec::parse(c)));
  s.network.gst = o.gst_ms * sim::kMillis;
  s.network.uplink_bits_per_second = o.bandwidth_mbit * 1'000'000;
  s.duration = o.duration_ms * sim::kMillis;
  s.liveness_window = o.liveness_window_ms * sim::kMillis;
  s.base_timeout_ms = o.timeout_ms;
  if (o.signer == "ed25519") {
    s.scheme = sim::SignatureScheme::kEd25519;
  } else if (o.signer == "mac") {
    s.scheme = sim::SignatureScheme::kInsecureMac;
  } else if (o.signer != "auto") {
    fail("--signer: auto, ed25519 or mac");
  }
  s.costs.sign = o.sign_us * sim::kMicros;
  s.costs.verify = o.verify_us * sim::kMicros;
  s.workload.max_transactions_per_block = o.txs;
  s.mutation = must(sim::parse_mutation(o.mutation));
  s.check_double_signing = !o.no_double_sign_check;
  return s;
}

std::string decimal(std::uint64_t numerator, std::uint64_t denominator, int digits) {
  if (denominator == 0) return "0";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", digits,
                static_cast<double>(numerator) / static_cast<double>(denominator));
  return buffer;
}

json::Value number(const std::string& text) { return json::Value::number(text, std::stod(text)); }
json::Value number(std::uint64_t n) { return number(std::to_string(n)); }

json::Value to_json(const sim::RunResult& r, double real_seconds) {
  const sim::Metrics& m = r.metrics;
  const std::uint64_t commits = m.committed_max;
  json::Value violation = json::Value::null();
  if (r.violation)
    violation = json::Value::object({{"kind", json::Value::string(std::string(sim::name(r.violation->kind)))},
                                     {"at_ms", number(r.violation->at / sim::kMillis)},
                                     {"node", number(r.violation->node)},
                                     {"detail", json::Value::string(r.violation->detail)}});
  return json::Value::object({
      {"seed", number(r.scenario.seed)},
      {"flags", json::Value::string(r.scenario.to_flags())},
      {"ok", json::Value::boolean(!r.violation)},
      {"violation", std::move(violation)},
      {"validators", number(r.scenario.validators)},
      {"virtual_ms", number(r.end / sim::kMillis)},
      {"commits", number(commits)},
      {"committed_min", number(m.committed_min)},
      {"rounds", number(m.max_round)},
      {"rounds_per_commit", number(decimal(m.max_round, commits, 3))},
      {"commit_latency_p50_ms", number(decimal(m.latency_p50, sim::kMillis, 3))},
      {"commit_latency_p99_ms", number(decimal(m.latency_p99, sim::kMillis, 3))},
      {"recovery_after_gst_ms", number(decimal(m.recovery, sim::kMillis, 3))},
      {"messages", number(m.messages)},
      {"bytes", number(m.bytes)},
      {"messages_per_commit", number(decimal(m.messages, commits, 1))},
      {"bytes_per_commit", number(decimal(m.bytes, commits, 1))},
      {"lost", number(m.lost)},
      {"malformed", number(m.malformed)},
      {"rejected", number(m.rejected)},
      {"evidence", number(m.evidence)},
      {"failed_transactions", number(m.failed_transactions)},
      {"events", number(m.events)},
      {"trace_hash", json::Value::string(bizra::hex::encode(r.trace_hash))},
      {"real_seconds", number(decimal(static_cast<std::uint64_t>(real_seconds * 1e6), 1'000'000, 3))},
  });
}

std::string summary(const sim::RunResult& r, double real_seconds) {
  const sim::Metrics& m = r.metrics;
  const std::uint64_t commits = m.committed_max;
  return "seed " + std::to_string(r.scenario.seed) + ": " + (r.violation ? "VIOLATION" : "ok") + ", " +
         std::to_string(commits) + " commits (slowest honest node " + std::to_string(m.committed_min) + ") in " +
         decimal(r.end, sim::kSeconds, 1) + " s virtual, " + decimal(m.max_round, commits, 2) +
         " rounds/commit, commit latency p50 " + decimal(m.latency_p50, sim::kMillis, 1) + " ms p99 " +
         decimal(m.latency_p99, sim::kMillis, 1) + " ms, " + decimal(m.messages, commits, 0) + " msgs and " +
         decimal(m.bytes, commits * 1024, 1) + " KiB per commit; trace " +
         bizra::hex::encode(r.trace_hash).substr(0, 16) + "; " +
         decimal(static_cast<std::uint64_t>(real_seconds * 1e3), 1000, 2) + " s real";
}

void run_sim(const Options& o) {
  if (o.seeds == 0) fail("--seeds must be at least 1");
  std::vector<json::Value> runs;
  std::uint64_t violations = 0;
  for (std::uint64_t seed = o.seed; seed - o.seed < o.seeds; ++seed) {
    sim::RunOptions run_options;
    run_options.trace = o.trace ? &std::cout : nullptr;
    run_options.trace_tail = o.trace_tail;
    const auto started = std::chrono::steady_clock::now();
    const sim::RunResult result = must(sim::run(scenario_for(o, seed), run_options));
    const double real_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (result.violation) {
      ++violations;
      std::cerr << sim::failure_report(result);
    }
    if (o.json) {
      runs.push_back(to_json(result, real_seconds));
    } else {
      std::cout << summary(result, real_seconds) << "\n";
    }
  }
  if (o.json) {
    std::cout << bizra::jcs::serialize(runs.size() == 1 ? runs.front() : json::Value::array(std::move(runs))) << "\n";
  } else if (o.seeds > 1) {
    std::cout << o.seeds << " runs, " << violations << " with a violation\n";
  }
  if (violations > 0) throw ExitWithCode{kExitViolation};
}

}  // namespace

void add_sim_command(CLI::App& app) {
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("sim", "Deterministic consensus simulator (faults, Byzantine validators, invariants)");
  cmd->footer(kDescription);
  cmd->add_option("--seed", o->seed, "Seed of the run (of the first run with --seeds)");
  cmd->add_option("--seeds", o->seeds, "Run this many seeds, from --seed on; exit 1 if any breaks an invariant");
  cmd->add_option("--validators", o->validators, "Number of validators (1..1024)");
  cmd->add_option("--weights", o->weights, "equal (all 1) or random (1..10, from the seed)");
  cmd->add_option("--byzantine", o->byzantine, "Byzantine validators (their weight must stay below 1/3)");
  cmd->add_option("--down", o->down, "Honest validators down for the whole run (with the Byzantine ones: under 1/3)");
  cmd->add_option("--fault", o->faults, "Byzantine behaviour(s), comma separated (see below)");
  cmd->add_option("--loss", o->loss, "Message loss probability before GST");
  cmd->add_option("--dup", o->dup, "Message duplication probability before GST");
  cmd->add_option("--latency", o->latency, "lan | wan | uniform:A-B | fixed:A | links:A-B+J (ms)");
  cmd->add_option("--bandwidth", o->bandwidth_mbit,
                  "Uplink per node in Mbit/s; messages queue behind each other (0: unlimited)");
  cmd->add_option("--partition", o->partitions, "I,J,...@T1-T2: cut these nodes off from T1 to T2 ms (repeatable)");
  cmd->add_option("--crash", o->crashes, "N@T1-T2: crash node N at T1 ms, restart it at T2 ms (repeatable)");
  cmd->add_option("--gst", o->gst_ms, "Global stabilisation time in ms (default: when the last fault heals; "
                                       "half the duration when there is loss or duplication)");
  cmd->add_option("--duration", o->duration_ms, "Virtual run time in ms (runs on until liveness is shown after GST)");
  cmd->add_option("--liveness-window", o->liveness_window_ms,
                  "Every honest node must commit within this many ms after GST (default: 30 maximal round timers)");
  cmd->add_option("--timeout-ms", o->timeout_ms, "Base round timeout (default: from the latency model)");
  cmd->add_option("--signer", o->signer,
                  "auto (Ed25519 up to 16 validators), ed25519, or mac (insecure, sim-only, fast)");
  cmd->add_option("--sign-us", o->sign_us, "Virtual CPU time per signature (µs)");
  cmd->add_option("--verify-us", o->verify_us, "Virtual CPU time per verification (µs)");
  cmd->add_option("--txs", o->txs, "Maximum transactions per block");
  cmd->add_option("--mutation", o->mutation, "TEST ONLY: break one safety rule in every core (see below)");
  cmd->add_flag("--no-double-sign-check", o->no_double_sign_check,
                "TEST ONLY: do not check that honest nodes never sign twice in a round (to see a --mutation "
                "break safety itself)");
  cmd->add_flag("--random-faults", o->random_faults,
                "Draw latency, loss, duplication, partitions, crashes and up to f Byzantine validators (of the "
                "--fault kinds, when --byzantine > 0) from each seed; failures print explicit flags");
  cmd->add_flag("--trace", o->trace, "Print every step of the run");
  cmd->add_option("--trace-tail", o->trace_tail, "Trace records shown when a run fails");
  cmd->add_flag("--json", o->json, "Print results as JSON (one object, or an array for --seeds)");
  cmd->callback([o] { run_sim(*o); });
}

}  // namespace node0
