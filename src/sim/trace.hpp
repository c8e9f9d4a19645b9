#pragma once
// The run's trace: every step the simulator takes, as compact fixed-size records.
//
// Every record is folded into a running BLAKE3 hash, so two runs are identical exactly when
// their trace hashes are (the determinism test compares them), and the last `keep` records are
// kept for the failure report. With an echo stream set, every record is also printed as it
// happens (`node0 sim --trace`).

#include <cstdint>
#include <deque>
#include <ostream>
#include <string>

#include "crypto/blake3.hpp"
#include "sim/event_queue.hpp"

namespace bizra::sim {

enum class TraceKind : std::uint8_t {
  kDeliver,      // node received a message from peer: a = message tag, b = bytes
  kLost,         // the network dropped a message peer -> node (loss, partition): a = tag
  kMalformed,    // node could not decode a message from peer: a = bytes
  kRejected,     // node's core rejected a message from peer: a = reason (first 8 code bytes)
  kTimer,        // node's round timer fired: a = round
  kBusy,         // node's CPU took a = ns for its last input
  kCommit,       // node committed a = height, b = first 8 bytes of the block id
  kPersist,      // node persisted safety state: a = last voted round, b = preferred round
  kCrash,        // node crashed; a = outputs of its unfinished step that were performed
  kRestart,      // node restarted: a = committed height restored
  kByzantine,    // node (Byzantine) acted: a = action tag, b = round
  kRound,        // node entered round a
  kViolation,    // an invariant broke at node
};

// A message tag: kind (0 proposal, 1 vote, 2 timeout, 3 block request, 4 block response) in the
// low byte, round above it.
std::uint64_t message_tag(std::uint8_t kind, std::uint64_t round);

struct TraceEvent {
  Time time = 0;
  TraceKind kind = TraceKind::kDeliver;
  std::uint32_t node = 0;
  std::uint32_t peer = 0;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
};

std::string format(const TraceEvent& event);

class Trace {
 public:
  explicit Trace(std::size_t keep) : keep_(keep) {}

  void record(const TraceEvent& event);
  void set_echo(std::ostream* echo) { echo_ = echo; }
  Hash32 hash() const { return hasher_.finalize(); }
  const std::deque<TraceEvent>& tail() const { return tail_; }

 private:
  std::size_t keep_;
  crypto::Blake3 hasher_;
  std::deque<TraceEvent> tail_;
  std::ostream* echo_ = nullptr;
};

}  // namespace bizra::sim
