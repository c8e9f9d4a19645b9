#include "http/trace.hpp"

#include <cstdint>
#include <cstdio>
#include <random>

namespace bizra::http {
namespace {

bool lower_hex(std::string_view text) {
  for (const char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool all_zero(std::string_view text) { return text.find_first_not_of('0') == std::string_view::npos; }

// Span ids only need to be unique within a trace, not unpredictable: a per-thread generator
// seeded once from the OS is enough and costs no syscall per request.
std::uint64_t random_span() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uint64_t id = 0;
  while (id == 0) id = generator();
  return id;
}

}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view text) {
  // version(2) '-' trace(32) '-' parent(16) '-' flags(2) = 55; later versions may append "-...".
  constexpr std::size_t kLength = 55;
  if (text.size() < kLength || text[2] != '-' || text[35] != '-' || text[52] != '-') return std::nullopt;
  const std::string_view version = text.substr(0, 2), trace = text.substr(3, 32), parent = text.substr(36, 16),
                         flags = text.substr(53, 2);
  if (!lower_hex(version) || version == "ff" || !lower_hex(trace) || !lower_hex(parent) || !lower_hex(flags))
    return std::nullopt;
  if (version == "00" ? text.size() != kLength : (text.size() > kLength && text[kLength] != '-')) return std::nullopt;
  if (all_zero(trace) || all_zero(parent)) return std::nullopt;
  return TraceParent{std::string(trace), std::string(parent), std::string(flags)};
}

std::string child_traceparent(const TraceParent& parent) {
  char span[17];
  std::snprintf(span, sizeof span, "%016llx", static_cast<unsigned long long>(random_span()));
  return "00-" + parent.trace_id + "-" + span + "-" + parent.flags;
}

void propagate_trace(const Request& req, Response& response) {
  const auto header = req.header("traceparent");
  if (!header) return;
  if (auto parent = parse_traceparent(*header))
    response.headers.emplace_back("traceparent", child_traceparent(*parent));
}

}  // namespace bizra::http
