#include "http/cors.hpp"

#include <algorithm>

namespace bizra::http {
namespace {

std::string join(const auto& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

std::optional<std::string_view> CorsConfig::allowed_origin(const Request& req) const {
  const auto origin = req.header("Origin");
  if (!origin || origin->empty()) return std::nullopt;
  if (contains(allowed_origins, "*") || contains(allowed_origins, *origin)) return origin;
  return std::nullopt;
}

void add_cors_headers(const CorsConfig& cors, const Request& req, Response& response) {
  if (!cors.enabled()) return;
  // Caches must key on Origin: the same URL answers with or without CORS headers.
  response.headers.emplace_back("Vary", "Origin");
  const auto origin = cors.allowed_origin(req);
  if (!origin) return;
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
  response.headers.emplace_back("Access-Control-Expose-Headers",
                                "Retry-After, WWW-Authenticate, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset");
}

Response preflight(const CorsConfig& cors, const Request& req, const std::vector<std::string_view>& route_methods) {
  Response response;
  response.status = 204;
  response.content_type.clear();
  response.headers.emplace_back("Allow", join(route_methods));
  response.headers.emplace_back("Vary", "Origin");
  const auto origin = cors.allowed_origin(req);
  const auto requested = req.header("Access-Control-Request-Method");
  if (!origin || !requested) return response;
  const bool accepted = std::find(route_methods.begin(), route_methods.end(), *requested) != route_methods.end();
  const bool allowed = cors.allowed_methods.empty() || contains(cors.allowed_methods, *requested);
  if (!accepted || !allowed) return response;
  std::vector<std::string_view> methods;
  for (std::string_view method : route_methods) {
    if (cors.allowed_methods.empty() || contains(cors.allowed_methods, method)) methods.push_back(method);
  }
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(*origin));
  response.headers.emplace_back("Access-Control-Allow-Methods", join(methods));
  response.headers.emplace_back("Access-Control-Allow-Headers", join(cors.allowed_headers));
  response.headers.emplace_back("Access-Control-Max-Age", std::to_string(cors.max_age.count()));
  return response;
}

}  // namespace bizra::http
