#pragma once
// The deterministic simulator (../shared/spec/consensus.md §7): drives the real consensus core
// of every validator — no sockets, no threads, no wall clock — over the simulated network, and
// checks the invariants (invariants.hpp) after every step.
//
// One run is single-threaded discrete-event simulation in virtual time:
//  - Each node has a serial CPU. An input (a delivered message, a timer expiry, the start after
//    a (re)start) waits until the CPU is free; the core handles it at once, the CPU is then busy
//    for the virtual time the step cost (signatures signed and verified, bytes decoded, blocks
//    executed: CpuCosts), and the step's outputs are performed in order when it finishes.
//  - Messages travel as bytes (consensus::encode / decode_message), so the codec is exercised;
//    bytes that do not decode are dropped (and counted) before the core sees them.
//  - Durability is emulated exactly: a node's disk holds what its PersistSafety, PersistBlock and
//    Commit outputs wrote, and nothing else. A crash during a step performs only a prefix of the
//    step's outputs (chosen from the seed), so a crash between a persist and the send it
//    protects happens too. A restart builds a fresh Core from the disk.
//  - Everything random comes from the scenario's seed: the same Scenario gives the same trace,
//    bit for bit (RunResult::trace_hash).

#include <cstdint>
#include <deque>
#include <optional>
#include <ostream>
#include <string>

#include "sim/invariants.hpp"
#include "sim/scenario.hpp"
#include "sim/trace.hpp"

namespace bizra::sim {

struct Metrics {
  Height committed_min = 0;  // lowest committed height among honest nodes at the end
  Height committed_max = 0;
  Round max_round = 0;       // highest round an honest node entered
  Time latency_p50 = 0;      // proposal sent -> committed at an honest node, over all (node, block)
  Time latency_p99 = 0;
  Time recovery = 0;         // GST -> every honest node has committed a new block
  std::uint64_t messages = 0;  // sent, one per recipient (copies a duplicating link adds excluded)
  std::uint64_t bytes = 0;
  std::uint64_t lost = 0;       // dropped by loss or partitions, or sent to a crashed node
  std::uint64_t malformed = 0;  // bytes that did not decode
  std::uint64_t rejected = 0;   // messages a core refused (RejectMessage)
  std::uint64_t evidence = 0;   // equivocation evidence reported by honest nodes
  std::uint64_t byzantine_actions = 0;  // deviations of Byzantine nodes from their core's outputs
  std::uint64_t failed_transactions = 0;  // at one honest node (all agree)
  std::uint64_t events = 0;
};

struct RunOptions {
  std::ostream* trace = nullptr;  // print every trace record here as it happens
  std::size_t trace_tail = 60;    // records kept for the failure report
};

struct RunResult {
  Scenario scenario;  // as resolved
  std::optional<Violation> violation;
  Hash32 trace_hash;
  Time end = 0;  // virtual time at which the run stopped
  Metrics metrics;
  std::deque<TraceEvent> trace_tail;
};

// Runs one scenario. Errors: those of resolve() (the scenario itself is unusable).
Result<RunResult> run(const Scenario& scenario, const RunOptions& options = {});

// What a failing run prints: the violation, the seed, the command that reproduces it, and the
// last trace records.
std::string failure_report(const RunResult& result);

}  // namespace bizra::sim
