#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

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

void Router::add(std::string method, std::string pattern, HandlerFn fn, std::size_t max_body_bytes) {
  if (!is_token(method)) {
    throw std::invalid_argument("route method \"" + method + "\" is not an HTTP token");
  }
  if (!fn) throw std::invalid_argument("route " + method + " " + pattern + " has no handler");
  Route route{std::move(method), parse_pattern(pattern), std::move(fn), max_body_bytes};
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

Response Router::not_routed(const Request& req, const std::vector<std::string>& segments) const {
  std::vector<std::string_view> allowed;
  for (const Route& route : routes_) {
    if (matches(route, segments)) allowed.push_back(route.method);
  }
  if (allowed.empty()) return Response::error(404, code::kNotFound, "no route for " + req.method + " " + req.path);
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
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
  auto segments = split_path(req.path);
  if (!segments) return Response::error(400, code::kBadRequest, segments.error().message());
  const Route* route = find(req.method, *segments);
  if (route == nullptr) return not_routed(req, *segments);
  req.params.clear();
  for (std::size_t i = 0; i < segments->size(); ++i) {
    if (route->segments[i].capture) req.params.emplace_back(route->segments[i].text, std::move((*segments)[i]));
  }
  try {
    Response response = route->fn(req);
    if (response.status < 200 || response.status > 599) {
      return Response::error(500, code::kInternal, "handler returned an invalid status");
    }
    return response;
  } catch (...) {
    // A failing handler must not take the connection or the server down; what it threw may hold
    // internals, so the client only learns that it failed.
    return Response::error(500, code::kInternal, "internal error");
  }
}

std::size_t Router::body_limit(std::string_view method, std::string_view path, std::size_t fallback) const {
  auto segments = split_path(path);
  if (!segments) return fallback;
  const Route* route = find(method, *segments);
  return route != nullptr ? route->max_body_bytes : fallback;
}

}  // namespace bizra::http
