#pragma once
// Request and Response as handlers see them, and the JSON error envelope every failure uses:
//   {"error":{"code":"not_found","message":"no route for GET /x"}}
// Codes are stable snake_case strings (public surface, never renamed); messages are for people.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/target.hpp"

namespace bizra::http {

// The envelope codes the server and router produce. Handlers may use their own codes as well.
namespace code {
inline constexpr std::string_view kNotFound = "not_found";                    // 404
inline constexpr std::string_view kMethodNotAllowed = "method_not_allowed";  // 405
inline constexpr std::string_view kPayloadTooLarge = "payload_too_large";    // 413
inline constexpr std::string_view kHeaderTooLarge = "header_too_large";      // 431
inline constexpr std::string_view kRequestTimeout = "request_timeout";       // 408
inline constexpr std::string_view kTooManyConnections = "too_many_connections";  // 503
inline constexpr std::string_view kBadRequest = "bad_request";                // 400
inline constexpr std::string_view kInternal = "internal";                     // 500
}  // namespace code

struct Request {
  std::string method;  // as sent, e.g. "GET" (methods are case-sensitive)
  std::string target;  // as sent, e.g. "/api/v1/x?y=1"
  std::string path;    // target without the query, not decoded
  Pairs query;         // decoded (target.hpp)
  Pairs headers;       // in order; names as sent
  std::string body;
  std::string remote_ip;
  Pairs params;  // {name} captures of the matched route pattern, decoded

  // First header named `name`, compared ASCII case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const;
  std::optional<std::string_view> param(std::string_view name) const;
  // First query parameter named `key` (exact match).
  std::optional<std::string_view> query_param(std::string_view key) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type header
  std::string body;
  // Extra headers. The server owns message framing: Content-Length, Transfer-Encoding and
  // Connection given here are dropped.
  Pairs headers;

  static Response json(int status, std::string body);
  // The error envelope; `code` and `message` are JSON-escaped, invalid UTF-8 becomes U+FFFD.
  static Response error(int status, std::string_view code, std::string_view message);
};

using HandlerFn = std::function<Response(const Request&)>;

// `text` as a JSON string literal, quotes included: RFC 8785 escaping (", \, control characters),
// with each byte that is not part of valid UTF-8 replaced by U+FFFD so the output is valid JSON.
std::string json_quote(std::string_view text);

// ASCII case-insensitive equality, as HTTP field names compare.
bool iequals(std::string_view a, std::string_view b);

// Whether `text` is an RFC 9110 token (what method and field names are made of).
bool is_token(std::string_view text);

}  // namespace bizra::http
