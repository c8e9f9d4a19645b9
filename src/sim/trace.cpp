#include "sim/trace.hpp"

#include <array>
#include <cstdio>

#include "codec/binary.hpp"

namespace bizra::sim {
namespace {

constexpr std::array<const char*, 5> kMessageNames = {"proposal", "vote", "timeout", "block-request",
                                                       "block-response"};

std::string message_text(std::uint64_t tag) {
  const std::uint64_t kind = tag & 0xff;
  const std::string name = kind < kMessageNames.size() ? kMessageNames[kind] : "?";
  return name + " r" + std::to_string(tag >> 8);
}

std::string hex8(std::uint64_t v) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

std::string code_text(std::uint64_t packed) {
  std::string code;
  for (int i = 0; i < 8 && (packed >> (8 * i)) != 0; ++i) code += static_cast<char>((packed >> (8 * i)) & 0xff);
  return code;
}

std::string describe(const TraceEvent& e) {
  const std::string node = "n" + std::to_string(e.node);
  const std::string peer = "n" + std::to_string(e.peer);
  switch (e.kind) {
    case TraceKind::kDeliver:
      return node + " <- " + peer + " " + message_text(e.a) + " (" + std::to_string(e.b) + " B)";
    case TraceKind::kLost: return node + " <- " + peer + " " + message_text(e.a) + " LOST";
    case TraceKind::kMalformed: return node + " <- " + peer + " malformed (" + std::to_string(e.a) + " B)";
    case TraceKind::kRejected: return node + " rejected a message from " + peer + ": " + code_text(e.a);
    case TraceKind::kTimer: return node + " timer r" + std::to_string(e.a);
    case TraceKind::kBusy: return node + " cpu " + std::to_string(e.a / kMicros) + " us";
    case TraceKind::kCommit: return node + " COMMIT h" + std::to_string(e.a) + " " + hex8(e.b);
    case TraceKind::kPersist:
      return node + " persist last_voted=" + std::to_string(e.a) + " preferred=" + std::to_string(e.b);
    case TraceKind::kCrash: return node + " CRASH (" + std::to_string(e.a) + " outputs of its step performed)";
    case TraceKind::kRestart: return node + " RESTART at committed height " + std::to_string(e.a);
    case TraceKind::kByzantine: return node + " byzantine action " + std::to_string(e.a) + " r" + std::to_string(e.b);
    case TraceKind::kRound: return node + " enters r" + std::to_string(e.a);
    case TraceKind::kViolation: return node + " VIOLATION";
  }
  return node + " ?";
}

}  // namespace

std::uint64_t message_tag(std::uint8_t kind, std::uint64_t round) { return (round << 8) | kind; }

std::string format(const TraceEvent& event) {
  char time[32];
  std::snprintf(time, sizeof time, "[%6llu.%06llu ms] ", static_cast<unsigned long long>(event.time / kMillis),
                static_cast<unsigned long long>(event.time % kMillis));
  return time + describe(event);
}

void Trace::record(const TraceEvent& event) {
  codec::Writer w(40);
  w.u64(event.time).u8(static_cast<std::uint8_t>(event.kind)).u32(event.node).u32(event.peer).u64(event.a).u64(event.b);
  hasher_.update(w.data());
  if (keep_ > 0) {
    if (tail_.size() == keep_) tail_.pop_front();
    tail_.push_back(event);
  }
  if (echo_ != nullptr) *echo_ << format(event) << '\n';
}

}  // namespace bizra::sim
