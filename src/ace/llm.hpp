#pragma once
// LLM backends for the ACE agents (ace::TextGenerator, agent.hpp) over plain HTTP/1.1:
//
//   kind "openai": POST {url}/v1/chat/completions
//                  {"model","messages":[{"role":"user","content":prompt}],"stream":false}
//                  -> choices[0].message.content
//   kind "ollama": POST {url}/api/generate {"model","prompt","stream":false} -> response
//
// http::Client speaks plain TCP only, so the URL must be "http://"; a TLS backend needs a local
// proxy (docs/ace-agents.md). Every call goes through a circuit breaker: after
// `breaker_threshold` consecutive unavailable/timed-out calls the generator answers
// "circuit_open" at once until `breaker_cooldown` has passed, then lets one probe through.
//
// Errors of generate() (the codes of agent.hpp's TextGenerator):
//   "backend_unavailable"  connect refused, connection reset, 5xx, 408 and 429 (retryable)
//   "backend_timeout"      no complete answer within min(timeout argument, config timeout)
//   "circuit_open"         the breaker is open (or half-open with its probe in flight)
//   "backend_bad_answer"   any other status (401/403: a wrong key, 404: an unknown model or
//                          path, 400/413: a refused request), not HTTP, over max_answer_bytes,
//                          not JSON, or missing/mistyped fields
// The API key is sent as "Authorization: Bearer <key>" (openai only) and never appears in an
// error message or in name().

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ace/agent.hpp"
#include "base/circuit_breaker.hpp"
#include "base/error.hpp"

namespace bizra::ace {

struct LlmConfig {
  std::string kind;     // "openai" | "ollama"
  std::string url;      // "http://host[:port][/base/path]": host a name, IPv4 or [IPv6]; port defaults to 80
  std::string model;    // 1..256 visible ASCII characters
  std::string api_key;  // optional bearer token (openai); empty: no Authorization header
  std::chrono::milliseconds timeout{30'000};  // upper bound of every call
  std::size_t max_answer_bytes = std::size_t{1} << 20;  // response body cap, 1 KiB .. 64 MiB
  std::size_t breaker_threshold = 5;                    // >= 1
  std::chrono::milliseconds breaker_cooldown{30'000};
  // The breaker's clock; empty: steady_clock::now. Tests pass their own to skip the cool-down.
  std::function<CircuitBreaker::Clock::time_point()> now{};
};

// Validates the config. Errors: "bad_llm_config" (the message names the field; never the key).
Result<std::unique_ptr<TextGenerator>> make_text_generator(LlmConfig config);

}  // namespace bizra::ace
