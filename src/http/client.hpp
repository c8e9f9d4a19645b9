#pragma once
// A blocking HTTP/1.1 client over one keep-alive connection, for the load generator, CLI tools and
// tests. Not thread-safe: one Client per thread.
//
// The connection is opened on the first request and reused while the server keeps it open. Before
// reusing it the client checks whether the server has closed it meanwhile (an idle timeout) and
// reconnects if so. If a request on a reused connection still fails before any byte of a response
// arrived (the server closed it in that same instant), it is sent once more on a new connection:
// the server closed without reading it, but callers sending non-idempotent requests should know.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "http/message.hpp"

namespace bizra::http {

class Client {
 public:
  // `host`: an IP literal or a name to resolve. `timeout` bounds each request as a whole
  // (resolve, connect, send, receive).
  Client(std::string host, std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `method target` with `body` (Content-Type `content_type` when the body is not empty)
  // and returns the response: status, Content-Type, body and every header. Errors:
  //   "connect_failed" (resolve or connect failed), "timeout", "io_error" (the connection broke),
  //   "bad_response" (not HTTP, or a header over 64 KiB or body over 64 MiB).
  // A method that is not an HTTP token, or a target that is not origin-form visible ASCII, is a
  // programming error (std::invalid_argument).
  // `headers` are sent as given (e.g. Authorization); Host, User-Agent, Content-Type and framing
  // are the client's own.
  Result<Response> request(std::string_view method, std::string_view target, std::string_view body = {},
                           std::string_view content_type = "application/json",
                           const std::vector<std::pair<std::string, std::string>>& headers = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bizra::http
