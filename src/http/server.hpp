#pragma once
// A small hardened HTTP/1.1 server (Boost.Beast underneath, kept out of this header). It owns the
// connections and the limits; the Router owns what the requests mean. docs/http.md has the details.
//
// Per connection: keep-alive, one request at a time (pipelined requests are answered in order).
// Each request is read header first, so the route's body limit is applied before any body byte is
// read. Every limit answers with the error envelope (message.hpp) instead of hanging:
//   header over max_header_bytes                    -> 431 header_too_large, close
//   body over the route's limit (capped by max_body_bytes), by Content-Length or chunked
//                                                   -> 413 payload_too_large, close
//   request not complete within request_timeout     -> 408 request_timeout, close
//   malformed HTTP or target                        -> 400 bad_request, close
//   more than max_connections open                  -> 503 too_many_connections, close
// An idle keep-alive connection is closed quietly after idle_timeout. The first request's
// request_timeout runs from the accept, later ones' from their first byte.
//
// Threading: `threads` I/O threads. Each connection is served on its own strand, so one
// connection's requests are handled in order, but handlers of *different* connections run
// concurrently when threads > 1: handlers must be thread-safe. A handler runs on an I/O thread,
// so a slow one delays the other connections of that thread; keep handlers short.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "http/router.hpp"

namespace bizra::http {

class WebSocketHub;

struct ServerConfig {
  std::string host = "127.0.0.1";  // an IP literal (v4 or v6)
  std::uint16_t port = 0;          // 0: an ephemeral port, see Server::port()
  std::size_t threads = 1;         // 0 counts as 1
  std::size_t max_connections = 1024;
  std::size_t max_header_bytes = 16 << 10;  // request line and fields together
  std::size_t max_body_bytes = 1 << 20;     // hard cap over every route's own limit
  std::chrono::milliseconds request_timeout{10000}, idle_timeout{30000};
  // When set, a GET of websocket_path with a valid WebSocket upgrade is handed to this hub
  // (websocket.hpp), which must outlive the server, once the router's admit_upgrade() lets it
  // (the matching route's rate limit and auth, the CORS origins); more than its max_connections -> 503.
  WebSocketHub* websocket = nullptr;
  std::string websocket_path = "/ws";
};

class Server {
 public:
  // `router` must outlive the server and must not change after start().
  Server(ServerConfig config, const Router& router);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the I/O threads. Errors: "bind_failed" (bad host, port in use, ...).
  // Calling it twice is a programming error (std::logic_error).
  Status start();
  // Idempotent. Stops accepting, closes every connection (in-flight requests get no answer) and
  // joins the I/O threads after the handlers running now return. Must not be called from a
  // handler (it would wait for itself).
  void stop();
  // The bound port (the ephemeral one when config.port was 0); 0 before start().
  std::uint16_t port() const;

  // Monotonic totals since start().
  struct Counters {
    std::uint64_t connections_accepted;  // served connections (not the rejected ones)
    std::uint64_t connections_rejected;  // over max_connections: 503 and close
    std::uint64_t requests;              // requests whose header was read
    std::uint64_t responses_4xx;         // every 4xx sent, including the server's own limits
    std::uint64_t responses_5xx;         // every 5xx sent, including rejections
    std::uint64_t timeouts;              // requests answered 408
    std::uint64_t idle_closes;           // keep-alive connections closed for idling
  };
  Counters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bizra::http
