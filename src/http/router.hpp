#pragma once
// Router: maps (method, path) to a handler. Patterns are '/'-separated segments, each either an
// exact literal or a whole-segment capture "{name}": "/api/v1/poi/attestation/{id}".
//
//   - Literals compare with the *decoded* request segment; captures take the decoded segment
//     (which may contain '/' if it was sent as %2F). Segment counts must be equal: "/a/" is not
//     "/a".
//   - When several patterns match, the most specific wins: the first segment where two patterns
//     differ decides, a literal beating a capture ("/blocks/latest" before "/blocks/{id}").
//   - A path no pattern matches: 404 not_found. A path some pattern matches, but not with this
//     method: 405 method_not_allowed with an Allow header listing the methods that would match.
//   - A handler that throws: 500 internal (the exception text is not sent to the client). A
//     handler status outside 200..599 is a bug and also answers 500.
//
// Policy (docs/http.md "Auth, rate limits, CORS"): each route's RouteOptions say whether it is
// rate limited per client IP and whether it needs a bearer token; set_policy() supplies the rate
// limiter, the authenticator and the CORS config they use. For a matched route the order is:
// rate limit (429, so guessing tokens is throttled too), authentication (401), the handler; the
// X-RateLimit-* headers go on every response of a rate-limited route, the CORS headers on every
// response the router makes. With CORS on, OPTIONS on a routed path without its own OPTIONS route
// is answered 204 (a preflight).
//
// Every answer of dispatch() (and refusal of admit_upgrade()) to a request with a valid W3C
// `traceparent` carries this server's child `traceparent` (trace.hpp).
//
// add() and set_policy() are for setup only; dispatch() and body_limit() are const and safe to
// call from many threads at once once setup is over (the rate limiter locks internally).

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/auth.hpp"
#include "http/cors.hpp"
#include "http/message.hpp"
#include "http/rate_limit.hpp"

namespace bizra::http {

struct RouteOptions {
  std::size_t max_body_bytes = 1 << 20;
  bool requires_auth = false;  // needs a bearer token the policy's authenticator accepts
  bool rate_limited = false;   // counts against the client IP's bucket (when the policy has a limiter)
};

struct Policy {
  // Null: a route that requires auth refuses every request (fail closed).
  std::shared_ptr<const Authenticator> authenticator{};
  // Null: no rate limiting, even on rate-limited routes.
  std::shared_ptr<RateLimiter> rate_limiter{};
  CorsConfig cors{};
};

class Router {
 public:
  // Registers a route. `max_body_bytes` is this route's request body limit (the server's own
  // limit still caps it). A malformed pattern, an empty method, or a second route with the same
  // method and pattern shape is a programming error (std::invalid_argument / std::logic_error).
  void add(std::string method, std::string pattern, HandlerFn fn, RouteOptions options);
  void add(std::string method, std::string pattern, HandlerFn fn, std::size_t max_body_bytes = 1 << 20) {
    add(std::move(method), std::move(pattern), std::move(fn), RouteOptions{.max_body_bytes = max_body_bytes});
  }

  // Called after every dispatch with the request's method, the pattern of the route that answered
  // ("unmatched" when none did: bounded label values), the status and the time taken. For metrics;
  // runs on the I/O thread, so it must be quick and thread-safe.
  using Observer = std::function<void(std::string_view method, std::string_view route, int status,
                                      std::chrono::nanoseconds elapsed)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // Replaces the policy every route's options refer to (by default: none, all off).
  void set_policy(Policy policy) { policy_ = std::move(policy); }

  // Answers `req` (req.method, req.path; fills req.params for the handler).
  Response dispatch(Request& req) const;

  // The policy for a WebSocket upgrade request, which no handler answers (the hub takes the
  // connection). When a route matches its method and path, that route's rate limit and auth apply
  // as in dispatch(); and with CORS on, an Origin header naming an origin that is not allowed is
  // refused with 403 origin_not_allowed (browsers do not apply CORS to WebSockets, so the server
  // must, or any page could open one with its visitor's network position). No matching route: no
  // policy. Returns nullopt to go ahead, or the answer to send instead (CORS headers included).
  // The observer sees an admitted upgrade as status 101.
  std::optional<Response> admit_upgrade(Request& req) const;

  // The body limit of the route `method path` resolves to, or `fallback` when none does (the
  // request will be answered 404/405/400 anyway). Lets the server refuse a body before reading it.
  std::size_t body_limit(std::string_view method, std::string_view path, std::size_t fallback) const;

  // (method, pattern) of every route, in the order added: what the API description must cover.
  std::vector<std::pair<std::string, std::string>> route_list() const;

 private:
  struct Segment {
    std::string text;  // the literal, or the capture's name
    bool capture = false;
    bool operator==(const Segment& other) const = default;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    HandlerFn fn;
    RouteOptions options;
  };

  static std::vector<Segment> parse_pattern(std::string_view pattern);
  static bool matches(const Route& route, const std::vector<std::string>& segments);
  static bool more_specific(const Route& a, const Route& b);
  // The best route for `method` among those matching `segments`, or nullptr.
  const Route* find(std::string_view method, const std::vector<std::string>& segments) const;
  // The sorted, distinct methods of the routes matching `segments`.
  std::vector<std::string_view> methods_for(const std::vector<std::string>& segments) const;
  Response not_routed(const Request& req, const std::vector<std::string>& segments) const;
  // The route's answer under the policy (rate limit, auth, handler), before CORS headers.
  Response run(const Route& route, const Request& req) const;
  // The policy's refusal of `req` on `route` (429 or 401), or nullopt; `limit` receives the rate
  // limiter's decision when the route is rate limited.
  std::optional<Response> refusal(const Route& route, const Request& req,
                                  std::optional<RateLimiter::Decision>& limit) const;
  // The 401 when the route needs a token and the request's is missing or refused.
  std::optional<Response> auth_failure(const Route& route, const Request& req) const;
  static Response call_handler(const Route& route, const Request& req);

  // dispatch() without the observer; `route` is set to the route that answered, if any.
  Response route_and_answer(Request& req, const Route*& route) const;

  std::vector<Route> routes_;
  Policy policy_;
  Observer observer_;
};

}  // namespace bizra::http
