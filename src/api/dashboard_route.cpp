#include "api/dashboard.hpp"

namespace bizra::api {

void mount_dashboard_route(http::Router& router) {
  router.add("GET", "/dashboard", [](const http::Request&) {
    http::Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(dashboard_html());
    // The page loads nothing from elsewhere: scripts and styles are inline, data comes from this
    // node (fetch and the WebSocket).
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                           "connect-src 'self' ws: wss:; base-uri 'none'; frame-ancestors 'none'");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    return r;
  });
}

}  // namespace bizra::api
