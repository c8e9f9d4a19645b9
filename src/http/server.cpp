#include "http/server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <limits>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "http/websocket_upgrade.hpp"

namespace bizra::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;

// After a response that closes the connection, what the client still sends (an unread body, more
// pipelined requests) is drained for a short while first: closing a socket with unread input
// makes the kernel send RST, which can destroy the response before the client has read it. The
// cap is above the largest body limit (1 MiB), so a client that sends a refused body whole (as
// most clients do before reading) still gets its 413; the time bound stops slow senders.
constexpr std::size_t kLingerMaxBytes = 4 << 20;
constexpr std::chrono::milliseconds kLingerTime{1000};
// Connections being turned away hold a socket until their 503 is out; past this many at once,
// further excess connections are closed without an answer instead of growing that set unbounded.
constexpr std::size_t kMaxRejecting = 64;
// A failed accept (out of file descriptors, ...) is retried after a pause instead of spinning.
constexpr std::chrono::milliseconds kAcceptRetry{50};
constexpr std::size_t kReadChunk = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// What all connections share. The config and router are read-only once the server runs.
struct Shared {
  ServerConfig config;
  const Router& router;
  std::atomic<std::size_t> open{0};       // served connections open now
  std::atomic<std::size_t> rejecting{0};  // connections being sent a 503 now
  std::atomic<std::uint64_t> accepted{0}, rejected{0}, requests{0}, responses_4xx{0}, responses_5xx{0},
      timeouts{0}, idle_closes{0};
};

bool is_http_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::end_of_stream).category();
}

// Message framing belongs to the server; a handler setting these would corrupt the stream.
bool is_framing_header(std::string_view name) {
  return iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection");
}

bhttp::response<bhttp::string_body> to_wire(Response response, bool keep_alive) {
  bhttp::response<bhttp::string_body> wire;
  wire.version(11);
  wire.result(static_cast<unsigned>(response.status));
  if (!response.content_type.empty()) wire.set(bhttp::field::content_type, response.content_type);
  for (const auto& [name, value] : response.headers) {
    if (!is_framing_header(name)) wire.insert(name, value);
  }
  wire.keep_alive(keep_alive);
  wire.body() = std::move(response.body);
  wire.prepare_payload();
  return wire;
}

// One accepted connection, served on its own strand. Deadlines use a timer of our own that
// *cancels* the pending operation instead of closing the socket (what beast::tcp_stream does), so
// that a 408 can still be written after a request timed out.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `slot` is the count this connection occupies (Shared::open or ::rejecting), already
  // incremented by the acceptor; the destructor releases it.
  Connection(Shared& shared, tcp::socket socket, std::atomic<std::size_t>& slot)
      : shared_(shared), slot_(slot), socket_(std::move(socket)), timer_(socket_.get_executor()) {}
  ~Connection() { slot_.fetch_sub(1); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void serve() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      error_code ec;
      self->remote_ip_ = self->socket_.remote_endpoint(ec).address().to_string();
      self->begin_request();
    });
  }

  void reject() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] {
      self->send_error_and_close(503, code::kTooManyConnections, "the server has too many open connections");
    });
  }

 private:
  // Starts the deadline of the current phase; when it passes, the pending operation completes
  // with operation_aborted and timed_out_ set.
  void arm(std::chrono::milliseconds timeout) {
    timed_out_ = false;
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](error_code ec) {
      // A wait that already completed when the timer was re-armed still runs, without error:
      // only a deadline that really passed counts.
      if (ec || self->timer_.expiry() > std::chrono::steady_clock::now()) return;
      self->timed_out_ = true;
      error_code ignored;
      self->socket_.cancel(ignored);
    });
  }

  // Keep-alive: waits for the first byte of the next request for up to idle_timeout.
  void wait_for_next_request() {
    if (buffer_.size() > 0) return begin_request();  // pipelined: already here
    arm(shared_.config.idle_timeout);
    socket_.async_read_some(buffer_.prepare(kReadChunk), [self = shared_from_this()](error_code ec, std::size_t n) {
      if (ec) {
        if (self->timed_out_) self->shared_.idle_closes.fetch_add(1);
        return self->close();
      }
      self->buffer_.commit(n);
      self->begin_request();
    });
  }

  // Reads a request's header; its body only once the route's limit is known.
  void begin_request() {
    const ServerConfig& config = shared_.config;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(config.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
    // No body limit yet: reading the header parses no body byte, and on_header sets the route's
    // limit before any is read.
    parser_->body_limit(boost::none);
    arm(config.request_timeout);
    bhttp::async_read_header(socket_, buffer_, *parser_,
                             [self = shared_from_this()](error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return on_read_error(ec);
    shared_.requests.fetch_add(1);
    const auto& header = parser_->get();
    auto target = parse_target(header.target());
    if (!target) return send_error_and_close(400, code::kBadRequest, target.error().message());
    target_ = std::move(*target);
    const std::size_t server_limit = shared_.config.max_body_bytes;
    body_limit_ =
        std::min(shared_.router.body_limit(header.method_string(), target_.path, server_limit), server_limit);
    if (const auto length = parser_->content_length(); length && *length > body_limit_) {
      return send_error_and_close(413, code::kPayloadTooLarge, body_limit_message());
    }
    parser_->body_limit(body_limit_);  // applies to chunked bodies as they arrive
    if (!parser_->is_done() && iequals(header[bhttp::field::expect], "100-continue")) {
      // The client waits for this before sending the body it announced.
      net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this()](error_code write_ec, std::size_t) {
                         if (write_ec) return self->on_read_error(write_ec);
                         self->read_body();
                       });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_request();
    bhttp::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](error_code ec, std::size_t) {
      if (ec) return self->on_read_error(ec);
      self->on_request();
    });
  }

  void on_request() {
    auto& message = parser_->get();
    const bool websocket = is_websocket_upgrade(message);
    Request req;
    req.method = std::string(message.method_string());
    req.target = std::string(message.target());
    req.path = std::move(target_.path);
    req.query = std::move(target_.query);
    for (const auto& field : message) req.headers.emplace_back(field.name_string(), field.value());
    req.body = std::move(message.body());
    req.remote_ip = remote_ip_;
    if (websocket) return upgrade(message, req);
    send(shared_.router.dispatch(req), message.keep_alive());
  }

  bool is_websocket_upgrade(const detail::WebSocketRequest& message) const {
    const ServerConfig& config = shared_.config;
    return config.websocket != nullptr && target_.path == config.websocket_path &&
           beast::websocket::is_upgrade(message);
  }

  // The router's policy first (rate limit, auth, origin); then the hub takes the socket, and this
  // connection ends when its cancelled timer's handler returns.
  void upgrade(const detail::WebSocketRequest& message, Request& req) {
    if (auto refused = shared_.router.admit_upgrade(req)) return send(std::move(*refused), false);
    timer_.cancel();
    if (!detail::websocket_accept(*shared_.config.websocket, socket_, message)) {
      send_error_and_close(503, code::kTooManyConnections, "the server has too many WebSocket connections");
    }
  }

  void on_read_error(error_code ec) {
    if (timed_out_) {
      shared_.timeouts.fetch_add(1);
      return send_error_and_close(408, code::kRequestTimeout, "the request was not completed in time");
    }
    if (ec == bhttp::error::header_limit) {
      return send_error_and_close(431, code::kHeaderTooLarge,
                                  "request header exceeds " + std::to_string(shared_.config.max_header_bytes) + " bytes");
    }
    if (ec == bhttp::error::body_limit) {
      return send_error_and_close(413, code::kPayloadTooLarge, body_limit_message());
    }
    // The client went away (before or in the middle of a request): nobody to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message || !is_http_error(ec)) {
      return close();
    }
    send_error_and_close(400, code::kBadRequest, "malformed request: " + ec.message());
  }

  std::string body_limit_message() const {
    return "request body exceeds the limit of " + std::to_string(body_limit_) + " bytes";
  }

  void send_error_and_close(int status, std::string_view envelope_code, std::string_view message) {
    send(Response::error(status, envelope_code, message), false);
  }

  void send(Response response, bool keep_alive) {
    if (response.status >= 500) shared_.responses_5xx.fetch_add(1);
    else if (response.status >= 400) shared_.responses_4xx.fetch_add(1);
    response_ = to_wire(std::move(response), keep_alive);
    arm(shared_.config.request_timeout);  // a client that does not read cannot hold us forever
    bhttp::async_write(socket_, response_, [self = shared_from_this(), keep_alive](error_code ec, std::size_t) {
      if (ec) return self->close();
      if (!keep_alive) return self->linger_close();
      self->parser_.reset();
      self->wait_for_next_request();
    });
  }

  void linger_close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);  // the client sees the end of our answer
    lingered_ = 0;
    arm(kLingerTime);
    drain();
  }

  void drain() {
    socket_.async_read_some(net::buffer(linger_buffer_), [self = shared_from_this()](error_code ec, std::size_t n) {
      self->lingered_ += n;
      if (ec || self->lingered_ >= kLingerMaxBytes) return self->close();
      self->drain();
    });
  }

  // Cancelling the timer drops the last handler holding this connection once the socket is closed.
  void close() {
    timer_.cancel();
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  Shared& shared_;
  std::atomic<std::size_t>& slot_;
  tcp::socket socket_;
  net::steady_timer timer_;
  bool timed_out_ = false;
  std::string remote_ip_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Target target_;
  std::size_t body_limit_ = 0;  // of the request being read
  bhttp::response<bhttp::string_body> response_;  // alive while it is being written
  std::array<char, kReadChunk> linger_buffer_{};
  std::size_t lingered_ = 0;
};

}  // namespace

struct Server::Impl {
  Impl(ServerConfig config, const Router& router) : shared{std::move(config), router} {}

  void accept() {
    acceptor->async_accept(net::make_strand(*io), [this](error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted) return;
      if (ec) {
        accept_retry->expires_after(kAcceptRetry);
        accept_retry->async_wait([this](error_code wait_ec) {
          if (!wait_ec) accept();
        });
        return;
      }
      admit(std::move(socket));
      accept();
    });
  }

  void admit(tcp::socket socket) {
    error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (shared.open.load() < shared.config.max_connections) {
      shared.open.fetch_add(1);
      shared.accepted.fetch_add(1);
      std::make_shared<Connection>(shared, std::move(socket), shared.open)->serve();
    } else if (shared.rejecting.load() < kMaxRejecting) {
      shared.rejecting.fetch_add(1);
      shared.rejected.fetch_add(1);
      std::make_shared<Connection>(shared, std::move(socket), shared.rejecting)->reject();
    } else {
      shared.rejected.fetch_add(1);
      socket.close(ignored);
    }
  }

  Shared shared;
  bool started = false;
  bool websocket_attached = false;
  std::atomic<std::uint16_t> port{0};
  // Destroyed in stop(), in reverse order: the threads are joined before the acceptor and the
  // io_context go, and destroying the io_context destroys the connections' pending handlers and
  // with them the connections.
  std::unique_ptr<net::io_context> io;
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> accept_retry;
  std::vector<std::thread> threads;
};

Server::Server(ServerConfig config, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(config), router)) {}

Server::~Server() { stop(); }

Status Server::start() {
  if (impl_->started) throw std::logic_error("Server::start called twice");
  impl_->started = true;
  const ServerConfig& config = impl_->shared.config;
  error_code ec;
  const auto address = net::ip::make_address(config.host, ec);
  if (ec) return Error("bind_failed", "host \"" + config.host + "\" is not an IP address");
  const std::size_t threads = std::max<std::size_t>(config.threads, 1);
  impl_->io = std::make_unique<net::io_context>(static_cast<int>(std::min<std::size_t>(threads, 1024)));
  impl_->acceptor.emplace(*impl_->io);
  impl_->accept_retry.emplace(*impl_->io);
  tcp::acceptor& acceptor = *impl_->acceptor;
  const tcp::endpoint endpoint(address, config.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (!ec) impl_->port = acceptor.local_endpoint(ec).port();
  if (!ec && config.websocket != nullptr) {
    detail::websocket_attach(*config.websocket, *impl_->io);
    impl_->websocket_attached = true;
  }
  if (ec) {
    stop();
    return Error("bind_failed", "listening on " + config.host + ":" + std::to_string(config.port) + ": " + ec.message());
  }
  impl_->accept();
  for (std::size_t i = 0; i < threads; ++i) {
    impl_->threads.emplace_back([io = impl_->io.get()] { io->run(); });
  }
  return ok_status();
}

void Server::stop() {
  if (!impl_->io) return;
  impl_->io->stop();
  for (std::thread& thread : impl_->threads) thread.join();
  impl_->threads.clear();
  if (impl_->websocket_attached) detail::websocket_detach(*impl_->shared.config.websocket);
  impl_->websocket_attached = false;
  impl_->accept_retry.reset();
  impl_->acceptor.reset();
  impl_->io.reset();
}

std::uint16_t Server::port() const { return impl_->port.load(); }

Server::Counters Server::counters() const {
  const Shared& s = impl_->shared;
  return {s.accepted.load(), s.rejected.load(), s.requests.load(), s.responses_4xx.load(),
          s.responses_5xx.load(), s.timeouts.load(), s.idle_closes.load()};
}

}  // namespace bizra::http
