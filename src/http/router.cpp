#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

#include "base/log.hpp"
#include "http/trace.hpp"

namespace bizra::http {
namespace {

bool is_name_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// Literals are compared with decoded segments, so they are written decoded: no '%', and none of
// the characters that would make a pattern ambiguous.
bool is_literal_char(char c) {
  return c > 0x20 && c < 0x7f && std::string_view("%?#{}/").find(c) == std::string_view::npos;
}

void require(bool condition, std::string_view pattern, const char* what) {
  if (!condition) throw std::invalid_argument("route pattern \"" + std::string(pattern) + "\": " + what);
}

}  // namespace

std::vector<Router::Segment> Router::parse_pattern(std::string_view pattern) {
  require(!pattern.empty() && pattern.front() == '/', pattern, "must start with '/'");
  std::vector<Segment> segments;
  std::size_t begin = 1;
  while (true) {
    const std::size_t end = std::min(pattern.find('/', begin), pattern.size());
    const std::string_view text = pattern.substr(begin, end - begin);
    if (!text.empty() && text.front() == '{') {
      require(text.size() > 2 && text.back() == '}', pattern, "a capture is a whole segment {name}");
      const std::string_view name = text.substr(1, text.size() - 2);
      require(std::all_of(name.begin(), name.end(), is_name_char), pattern, "capture names are [A-Za-z0-9_]");
      require(std::none_of(segments.begin(), segments.end(), [&](const Segment& s) { return s.capture && s.text == name; }),
              pattern, "capture name used twice");
      segments.push_back({std::string(name), true});
    } else {
      require(std::all_of(text.begin(), text.end(), is_literal_char), pattern, "literal holds a reserved character");
      segments.push_back({std::string(text), false});
    }
    if (end == pattern.size()) return segments;
    begin = end + 1;
  }
}

void Router::add(std::string method, std::string pattern, HandlerFn fn, RouteOptions options) {
  if (!is_token(method)) {
    throw std::invalid_argument("route method \"" + method + "\" is not an HTTP token");
  }
  if (!fn) throw std::invalid_argument("route " + method + " " + pattern + " has no handler");
  Route route{std::move(method), pattern, parse_pattern(pattern), std::move(fn), options};
  const auto same_shape = [&](const Route& other) {
    if (other.method != route.method || other.segments.size() != route.segments.size()) return false;
    return std::equal(other.segments.begin(), other.segments.end(), route.segments.begin(),
                      [](const Segment& a, const Segment& b) { return a.capture ? b.capture : a == b; });
  };
  if (std::any_of(routes_.begin(), routes_.end(), same_shape)) {
    throw std::logic_error("route " + route.method + " " + pattern + " is already registered");
  }
  routes_.push_back(std::move(route));
}

bool Router::matches(const Route& route, const std::vector<std::string>& segments) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (!route.segments[i].capture && route.segments[i].text != segments[i]) return false;
  }
  return true;
}

bool Router::more_specific(const Route& a, const Route& b) {
  for (std::size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].capture != b.segments[i].capture) return !a.segments[i].capture;
  }
  return false;
}

const Router::Route* Router::find(std::string_view method, const std::vector<std::string>& segments) const {
  const Route* best = nullptr;
  for (const Route& route : routes_) {
    if (route.method != method || !matches(route, segments)) continue;
    if (best == nullptr || more_specific(route, *best)) best = &route;
  }
  return best;
}

std::vector<std::string_view> Router::methods_for(const std::vector<std::string>& segments) const {
  std::vector<std::string_view> methods;
  for (const Route& route : routes_) {
    if (matches(route, segments)) methods.push_back(route.method);
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  return methods;
}

Response Router::not_routed(const Request& req, const std::vector<std::string>& segments) const {
  const std::vector<std::string_view> allowed = methods_for(segments);
  if (allowed.empty()) return Response::error(404, code::kNotFound, "no route for " + req.method + " " + req.path);
  std::string allow;
  for (std::string_view method : allowed) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  Response response = Response::error(405, code::kMethodNotAllowed, req.method + " is not allowed on " + req.path);
  response.headers.emplace_back("Allow", std::move(allow));
  return response;
}

Response Router::dispatch(Request& req) const {
  const auto start = std::chrono::steady_clock::now();
  const Route* route = nullptr;
  Response response = route_and_answer(req, route);
  propagate_trace(req, response);
  if (observer_)
    observer_(req.method, route != nullptr ? std::string_view(route->pattern) : std::string_view("unmatched"),
              response.status, std::chrono::steady_clock::now() - start);
  return response;
}

Response Router::route_and_answer(Request& req, const Route*& route) const {
  auto segments = split_path(req.path);
  if (!segments) return Response::error(400, code::kBadRequest, segments.error().message());
  route = find(req.method, *segments);
  Response response;
  if (route == nullptr && req.method == "OPTIONS" && policy_.cors.enabled()) {
    // A preflight: it sets its own CORS headers, all or none.
    if (auto methods = methods_for(*segments); !methods.empty()) return preflight(policy_.cors, req, methods);
  }
  if (route == nullptr) {
    response = not_routed(req, *segments);
  } else {
    req.params.clear();
    for (std::size_t i = 0; i < segments->size(); ++i) {
      if (route->segments[i].capture) req.params.emplace_back(route->segments[i].text, std::move((*segments)[i]));
    }
    response = run(*route, req);
  }
  add_cors_headers(policy_.cors, req, response);
  return response;
}

std::optional<Response> Router::admit_upgrade(Request& req) const {
  const auto start = std::chrono::steady_clock::now();
  auto segments = split_path(req.path);
  const Route* route = segments ? find(req.method, *segments) : nullptr;
  if (route == nullptr) return std::nullopt;
  std::optional<RateLimiter::Decision> limit;
  std::optional<Response> refused = refusal(*route, req, limit);
  if (!refused && policy_.cors.enabled() && req.header("Origin") && !policy_.cors.allowed_origin(req))
    refused = Response::error(403, "origin_not_allowed", "WebSocket connections from this origin are not allowed");
  if (refused) {
    if (limit && limit->allowed) add_rate_limit_headers(*refused, *limit);
    add_cors_headers(policy_.cors, req, *refused);
    propagate_trace(req, *refused);
  }
  if (observer_)
    observer_(req.method, route->pattern, refused ? refused->status : 101, std::chrono::steady_clock::now() - start);
  return refused;
}

std::optional<Response> Router::refusal(const Route& route, const Request& req,
                                        std::optional<RateLimiter::Decision>& limit) const {
  if (route.options.rate_limited && policy_.rate_limiter) {
    limit = policy_.rate_limiter->take(req.remote_ip);
    if (!limit->allowed) return rate_limited(*limit);
  }
  return auth_failure(route, req);
}

Response Router::run(const Route& route, const Request& req) const {
  std::optional<RateLimiter::Decision> limit;
  std::optional<Response> refused = refusal(route, req, limit);
  Response response = refused ? std::move(*refused) : call_handler(route, req);
  if (limit && limit->allowed) add_rate_limit_headers(response, *limit);  // a 429 has them already
  return response;
}

std::optional<Response> Router::auth_failure(const Route& route, const Request& req) const {
  if (!route.options.requires_auth) return std::nullopt;
  if (!policy_.authenticator) return unauthorized(Error(code::kInvalidToken, "this node accepts no tokens"));
  const Result<Principal> principal = policy_.authenticator->authenticate(req);
  if (principal) return std::nullopt;
  return unauthorized(principal.error());
}

Response Router::call_handler(const Route& route, const Request& req) {
  // 500s are what an operator must see (a bug or a storage failure); 502/503 are expected states
  // (an upstream down, a full mempool) that clients retry, and would flood the log under load.
  const auto log_failure = [&](std::string_view what) {
    log::error("http request failed", {{"method", req.method}, {"route", route.pattern}, {"error", std::string(what)}});
  };
  try {
    Response response = route.fn(req);
    if (response.status < 200 || response.status > 599) {
      log_failure("handler returned status " + std::to_string(response.status));
      return Response::error(500, code::kInternal, "handler returned an invalid status");
    }
    if (response.status == 500) log_failure(response.body);
    return response;
  } catch (const std::exception& e) {
    // A failing handler must not take the connection or the server down; what it threw may hold
    // internals, so the client only learns that it failed (the operator's log has the reason).
    log_failure(e.what());
    return Response::error(500, code::kInternal, "internal error");
  } catch (...) {
    log_failure("unknown exception");
    return Response::error(500, code::kInternal, "internal error");
  }
}

std::size_t Router::body_limit(std::string_view method, std::string_view path, std::size_t fallback) const {
  auto segments = split_path(path);
  if (!segments) return fallback;
  const Route* route = find(method, *segments);
  return route != nullptr ? route->options.max_body_bytes : fallback;
}

std::vector<std::pair<std::string, std::string>> Router::route_list() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : routes_) {
    out.emplace_back(r.method, r.pattern);
  }
  return out;
}

}  // namespace bizra::http
