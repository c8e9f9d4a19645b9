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
// add() is for setup only; dispatch() and body_limit() are const and safe to call from many
// threads at once once setup is over.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace bizra::http {

class Router {
 public:
  // Registers a route. `max_body_bytes` is this route's request body limit (the server's own
  // limit still caps it). A malformed pattern, an empty method, or a second route with the same
  // method and pattern shape is a programming error (std::invalid_argument / std::logic_error).
  void add(std::string method, std::string pattern, HandlerFn fn, std::size_t max_body_bytes = 1 << 20);

  // Answers `req` (req.method, req.path; fills req.params for the handler).
  Response dispatch(Request& req) const;

  // The body limit of the route `method path` resolves to, or `fallback` when none does (the
  // request will be answered 404/405/400 anyway). Lets the server refuse a body before reading it.
  std::size_t body_limit(std::string_view method, std::string_view path, std::size_t fallback) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the capture's name
    bool capture = false;
    bool operator==(const Segment& other) const = default;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    HandlerFn fn;
    std::size_t max_body_bytes;
  };

  static std::vector<Segment> parse_pattern(std::string_view pattern);
  static bool matches(const Route& route, const std::vector<std::string>& segments);
  static bool more_specific(const Route& a, const Route& b);
  // The best route for `method` among those matching `segments`, or nullptr.
  const Route* find(std::string_view method, const std::vector<std::string>& segments) const;
  Response not_routed(const Request& req, const std::vector<std::string>& segments) const;

  std::vector<Route> routes_;
};

}  // namespace bizra::http
