#pragma once
// CORS (Fetch standard) for browser clients of the API. The server never refuses a request for
// its origin: an origin that is not allowed simply gets no Access-Control-* headers and the
// browser withholds the response from the page. Non-browser clients are unaffected.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace bizra::http {

struct CorsConfig {
  // Exact origins ("https://app.example"), or "*" for any. Empty: CORS is off (no headers, and
  // OPTIONS is routed like any other method).
  std::vector<std::string> allowed_origins{};
  // Methods a preflight may ask for; empty: whatever the path's routes accept.
  std::vector<std::string> allowed_methods{};
  std::vector<std::string> allowed_headers = {"Authorization", "Content-Type"};
  std::chrono::seconds max_age{600};

  bool enabled() const { return !allowed_origins.empty(); }
  // The request's Origin when it is allowed (the value to echo), else nullopt.
  std::optional<std::string_view> allowed_origin(const Request& req) const;
};

// Adds Vary: Origin, and for an allowed origin Access-Control-Allow-Origin plus
// Access-Control-Expose-Headers (so pages can read the rate-limit and auth headers).
void add_cors_headers(const CorsConfig& cors, const Request& req, Response& response);

// The 204 answer to `OPTIONS` on a path whose routes accept `route_methods`: Allow always, and the
// preflight headers when the origin is allowed and asks for a method that is both accepted and
// allowed.
Response preflight(const CorsConfig& cors, const Request& req, const std::vector<std::string_view>& route_methods);

}  // namespace bizra::http
