#include "http/client.hpp"

#include <poll.h>

#include <stdexcept>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace bizra::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using Deadline = std::chrono::steady_clock::time_point;
using WireRequest = bhttp::request<bhttp::string_body>;

constexpr std::uint32_t kMaxResponseHeader = 64 << 10;
constexpr std::uint64_t kMaxResponseBody = 64 << 20;

bool is_http_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

}  // namespace

struct Client::Impl {
  Impl(std::string host_in, std::uint16_t port_in, std::chrono::milliseconds timeout_in)
      : host(std::move(host_in)), port(port_in), timeout(timeout_in) {}

  // Runs what was started on `io` until it finishes or `deadline` passes. On the deadline it
  // cancels everything (the connection is closed), lets the aborted handlers run and returns false.
  bool run_until(Deadline deadline) {
    io.restart();
    io.run_until(deadline);
    if (io.stopped()) return true;
    resolver.cancel();
    close();
    io.run();
    return false;
  }

  Error timeout_error() const { return Error("timeout", "no answer within " + std::to_string(timeout.count()) + " ms"); }

  void close() {
    error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
    buffer.clear();
  }

  // Between responses the server has nothing to say, so a readable socket means it closed the
  // connection (or sent garbage): either way the connection is unusable.
  bool usable() {
    if (!socket.is_open()) return false;
    pollfd descriptor{socket.native_handle(), POLLIN, 0};
    return ::poll(&descriptor, 1, 0) == 0;
  }

  Status connect(Deadline deadline) {
    close();
    error_code ec;
    tcp::resolver::results_type endpoints;
    resolver.async_resolve(host, std::to_string(port), [&](error_code e, tcp::resolver::results_type found) {
      ec = e;
      endpoints = std::move(found);
    });
    if (!run_until(deadline)) return timeout_error();
    if (ec) return Error("connect_failed", "resolving " + host + ": " + ec.message());
    net::async_connect(socket, endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
    if (!run_until(deadline)) return timeout_error();
    if (ec) {
      close();
      return Error("connect_failed", "connecting to " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    socket.set_option(tcp::no_delay(true), ec);
    return ok_status();
  }

  // One request/response. `may_retry` is set when it failed before any byte of a response
  // arrived, as when the server had already closed the connection.
  Result<Response> exchange(const WireRequest& wire, Deadline deadline, bool& may_retry) {
    error_code ec;
    bhttp::async_write(socket, wire, [&](error_code e, std::size_t) { ec = e; });
    if (!run_until(deadline)) return timeout_error();
    if (ec) {
      may_retry = true;
      close();
      return Error("io_error", "sending the request: " + ec.message());
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(kMaxResponseHeader);
    parser.body_limit(kMaxResponseBody);
    parser.skip(wire.method() == bhttp::verb::head);  // a response to HEAD has no body
    bhttp::async_read(socket, buffer, parser, [&](error_code e, std::size_t) { ec = e; });
    if (!run_until(deadline)) return timeout_error();
    if (ec) {
      close();
      may_retry = !parser.got_some();
      if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || !is_http_error(ec)) {
        return Error("io_error", "receiving the response: " + ec.message());
      }
      return Error("bad_response", "receiving the response: " + ec.message());
    }
    auto& message = parser.get();
    Response response;
    response.status = static_cast<int>(message.result_int());
    response.content_type = std::string(message[bhttp::field::content_type]);
    for (const auto& field : message) response.headers.emplace_back(field.name_string(), field.value());
    response.body = std::move(message.body());
    if (!message.keep_alive()) close();
    return response;
  }

  const std::string host;
  const std::uint16_t port;
  const std::chrono::milliseconds timeout;
  net::io_context io{1};
  tcp::resolver resolver{io};
  tcp::socket socket{io};
  beast::flat_buffer buffer;
};

Client::Client(std::string host, std::uint16_t port, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(std::move(host), port, timeout)) {}

Client::~Client() = default;

Result<Response> Client::request(std::string_view method, std::string_view target, std::string_view body,
                                 std::string_view content_type,
                                 const std::vector<std::pair<std::string, std::string>>& headers) {
  if (!is_token(method)) throw std::invalid_argument("Client::request: method is not an HTTP token");
  if (!parse_target(target)) throw std::invalid_argument("Client::request: target is not origin-form");
  WireRequest wire;
  wire.method_string(method);
  wire.target(target);
  wire.version(11);
  const bool ipv6 = impl_->host.find(':') != std::string::npos;
  wire.set(bhttp::field::host, (ipv6 ? "[" + impl_->host + "]" : impl_->host) + ":" + std::to_string(impl_->port));
  wire.set(bhttp::field::user_agent, "bizra-http");
  for (const auto& [name, value] : headers) {
    if (!is_token(name)) throw std::invalid_argument("Client::request: header name is not an HTTP token");
    wire.set(name, value);
  }
  if (!body.empty()) {
    wire.set(bhttp::field::content_type, content_type);
    wire.body() = std::string(body);
  }
  wire.prepare_payload();

  const Deadline deadline = std::chrono::steady_clock::now() + impl_->timeout;
  bool reused = impl_->usable();
  while (true) {
    if (!reused) {
      if (Status connected = impl_->connect(deadline); !connected) return connected.error();
    }
    bool may_retry = false;
    Result<Response> result = impl_->exchange(wire, deadline, may_retry);
    if (result.ok() || !reused || !may_retry) return result;
    reused = false;  // the server closed the connection we reused: once more on a fresh one
  }
}

}  // namespace bizra::http
