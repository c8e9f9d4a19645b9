#pragma once
// W3C Trace Context (https://www.w3.org/TR/trace-context/) at the HTTP edge: a request that carries
// a valid `traceparent` gets an answer carrying the same trace id, a new span id (this server's
// span, a child of the caller's) and the caller's flags, so a client or proxy can join the node's
// answer to its trace. Only propagation: no spans are recorded or exported (OTLP is not built).
//
//   traceparent: 00-<32 lowercase hex trace id>-<16 lowercase hex parent id>-<2 lowercase hex flags>
//
// Parsing follows the spec for version 00: exact length and lowercase hex; an all-zero trace or
// parent id is invalid; version ff is invalid. A higher version is read by its first four fields
// (the spec's forward compatibility) and answered as version 00. An invalid header is ignored, as
// the spec requires (no error, no traceparent in the answer).

#include <optional>
#include <string>
#include <string_view>

#include "http/message.hpp"

namespace bizra::http {

struct TraceParent {
  std::string trace_id;   // 32 hex
  std::string parent_id;  // 16 hex
  std::string flags;      // 2 hex
};

std::optional<TraceParent> parse_traceparent(std::string_view text);

// The `traceparent` of this server's span under `parent`: same trace id and flags, a fresh random
// nonzero span id.
std::string child_traceparent(const TraceParent& parent);

// Adds the child `traceparent` to `response` when `req` carries a valid one.
void propagate_trace(const Request& req, Response& response);

}  // namespace bizra::http
