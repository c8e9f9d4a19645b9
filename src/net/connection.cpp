#include "net/connection.hpp"

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

namespace bizra::net {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// A write gathers queued frames up to about this many bytes (one TLS write, few syscalls).
constexpr std::size_t kMaxBatchBytes = 256 * 1024;

const std::shared_ptr<const Bytes>& empty_body() {
  static const auto empty = std::make_shared<const Bytes>();
  return empty;
}

bool is_orderly_end(const boost::system::error_code& error) {
  // We close sockets without a TLS close_notify (frames are self-delimiting, so a truncated
  // stream cannot be mistaken for a complete message), hence "stream truncated" is the usual end.
  return error == asio::error::eof || error == asio::ssl::error::stream_truncated;
}

CloseReason handshake_failure(Verdict verdict) {
  switch (verdict) {
    case Verdict::kRefused: return CloseReason::kRefused;
    case Verdict::kNotAllowed: return CloseReason::kNotAllowed;
    case Verdict::kAccept: break;
  }
  return CloseReason::kHandshakeFailed;
}

}  // namespace

Connection::Connection(asio::io_context& io, asio::ssl::context& tls, ConnectionOwner& owner,
                       const ConnectionLimits& limits, std::optional<crypto::PublicKey> dialed,
                       TrafficCounters& host_traffic)
    : io_(io),
      owner_(owner),
      limits_(limits),
      dialed_(std::move(dialed)),
      host_traffic_(host_traffic),
      stream_(io, tls),
      resolver_(io),
      timer_(io),
      decoder_(limits.max_frame_bytes) {
  set_peer_verifier(stream_.native_handle(), this);
}

void Connection::start_inbound() {
  boost::system::error_code error;
  const auto endpoint = socket().remote_endpoint(error);
  remote_address_ = error ? "?" : endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  arm_timer(limits_.handshake_timeout);
  start_handshake(asio::ssl::stream_base::server);
}

void Connection::start_outbound(const std::string& host, std::uint16_t port) {
  remote_address_ = host + ":" + std::to_string(port);
  arm_timer(limits_.handshake_timeout);
  resolver_.async_resolve(
      host, std::to_string(port),
      [self = shared_from_this()](const boost::system::error_code& error,
                                  const asio::ip::tcp::resolver::results_type& endpoints) {
        if (self->closed_) return;
        if (error) return self->close(CloseReason::kConnectFailed);
        asio::async_connect(self->socket(), endpoints,
                            [self](const boost::system::error_code& connect_error, const asio::ip::tcp::endpoint&) {
                              if (self->closed_) return;
                              if (connect_error) return self->close(CloseReason::kConnectFailed);
                              self->start_handshake(asio::ssl::stream_base::client);
                            });
      });
}

void Connection::start_handshake(asio::ssl::stream_base::handshake_type type) {
  boost::system::error_code ignored;
  socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  stream_.async_handshake(type, [self = shared_from_this()](const boost::system::error_code& error) {
    self->on_handshake(error);
  });
}

bool Connection::verify_peer_key(const crypto::PublicKey& key) {
  verdict_ = owner_.vet_peer(*this, key);
  return verdict_ == Verdict::kAccept;
}

void Connection::on_handshake(const boost::system::error_code& error) {
  if (closed_) return;
  if (error) return close(handshake_failure(verdict_));
  // Belt and braces: the session must be TLS 1.3 with exactly the key our verifier accepted.
  const std::optional<crypto::PublicKey> key = authenticated_peer_key(stream_.native_handle());
  if (verdict_ != Verdict::kAccept || !key) return close(CloseReason::kHandshakeFailed);
  peer_ = key;
  last_received_ = Clock::now();
  owner_.on_authenticated(shared_from_this());
  if (closed_) return;
  send(FrameType::kPing, empty_body());  // our first frame: tells the peer we accepted it
  read_next();
}

void Connection::read_next() {
  stream_.async_read_some(asio::buffer(read_buffer_),
                          [self = shared_from_this()](const boost::system::error_code& error, std::size_t size) {
                            self->on_read(error, size);
                          });
}

void Connection::on_read(const boost::system::error_code& error, std::size_t size) {
  if (closed_) return;
  if (error) return close(is_orderly_end(error) ? CloseReason::kPeerClosed : CloseReason::kIoError);
  last_received_ = Clock::now();
  count_in(0, size);
  decoder_.append(ByteSpan(read_buffer_.data(), size));
  for (;;) {
    Result<std::optional<Frame>> next = decoder_.next();
    if (!next.ok()) {
      return close(next.error().code() == "oversized_frame" ? CloseReason::kOversizedFrame : CloseReason::kBadFrame);
    }
    if (!next->has_value()) break;
    handle_frame(std::move(**next));
    if (closed_) return;
  }
  read_next();
}

void Connection::handle_frame(Frame frame) {
  if (!established_) {
    established_ = true;
    arm_timer(limits_.ping_interval);
    owner_.on_established(shared_from_this());
    if (closed_) return;
  }
  switch (frame.type) {
    case FrameType::kPing:
      send(FrameType::kPong, empty_body());
      break;
    case FrameType::kPong:
      break;
    case FrameType::kData:
      count_in(1, 0);
      owner_.on_data(*this, std::move(frame.body));
      break;
  }
}

SendResult Connection::send(FrameType type, std::shared_ptr<const Bytes> body) {
  if (body->size() > limits_.max_frame_bytes) return SendResult::kTooLarge;
  const std::size_t size = kFrameHeaderSize + body->size();
  bool start_writer = false;
  {
    std::lock_guard lock(send_mutex_);
    if (send_closed_) return SendResult::kNotConnected;
    if (size > limits_.max_send_queue_bytes - queued_bytes_) return SendResult::kQueueFull;
    queue_.push_back({encode_frame_header({type, static_cast<std::uint32_t>(body->size())}), std::move(body)});
    queued_bytes_ += size;
    start_writer = !std::exchange(writing_, true);
  }
  if (start_writer) asio::post(io_, [self = shared_from_this()] { self->write_next(); });
  return SendResult::kQueued;
}

void Connection::write_next() {
  if (closed_) return;
  std::uint64_t data_frames = 0;
  {
    std::lock_guard lock(send_mutex_);
    batch_.clear();
    while (!queue_.empty() && batch_.size() < kMaxBatchBytes) {
      const Outgoing& frame = queue_.front();
      batch_.insert(batch_.end(), frame.header.begin(), frame.header.end());
      batch_.insert(batch_.end(), frame.body->begin(), frame.body->end());
      if (frame.header[4] == static_cast<std::uint8_t>(FrameType::kData)) ++data_frames;
      queue_.pop_front();
    }
    if (batch_.empty()) {
      writing_ = false;
      return;
    }
  }
  asio::async_write(stream_, asio::buffer(batch_),
                    [self = shared_from_this(), data_frames](const boost::system::error_code& error, std::size_t) {
                      self->on_written(error, data_frames);
                    });
}

void Connection::on_written(const boost::system::error_code& error, std::uint64_t data_frames) {
  if (closed_) return;
  if (error) return close(CloseReason::kIoError);
  count_out(data_frames, batch_.size());
  {
    std::lock_guard lock(send_mutex_);
    queued_bytes_ -= batch_.size();
  }
  write_next();
}

std::size_t Connection::queued_bytes() const {
  std::lock_guard lock(send_mutex_);
  return queued_bytes_;
}

void Connection::arm_timer(std::chrono::milliseconds delay) {
  timer_.expires_after(delay);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& error) {
    if (!error && !self->closed_) self->on_timer();
  });
}

void Connection::on_timer() {
  if (!established_) return close(CloseReason::kHandshakeTimeout);
  // Checked once per ping interval, so silence is noticed within idle_timeout + ping_interval.
  if (Clock::now() - last_received_ >= limits_.idle_timeout) return close(CloseReason::kIdleTimeout);
  send(FrameType::kPing, empty_body());
  arm_timer(limits_.ping_interval);
}

void Connection::close(CloseReason reason) {
  if (closed_) return;
  const auto keep_alive = shared_from_this();  // the owner may drop its reference below
  closed_ = true;
  {
    std::lock_guard lock(send_mutex_);
    send_closed_ = true;
  }
  boost::system::error_code ignored;
  timer_.cancel();
  resolver_.cancel();
  socket().close(ignored);
  owner_.on_closed(*this, reason);
  std::lock_guard lock(send_mutex_);
  queue_.clear();
  queued_bytes_ = 0;
}

std::vector<std::shared_ptr<const Bytes>> Connection::take_unsent() {
  std::vector<std::shared_ptr<const Bytes>> out;
  std::lock_guard lock(send_mutex_);
  for (Outgoing& frame : queue_) {
    queued_bytes_ -= kFrameHeaderSize + frame.body->size();
    if (frame.header[4] == static_cast<std::uint8_t>(FrameType::kData)) out.push_back(std::move(frame.body));
  }
  queue_.clear();
  return out;
}

void Connection::adopt(const std::vector<std::shared_ptr<const Bytes>>& bodies) {
  for (const auto& body : bodies) send(FrameType::kData, body);
}

void Connection::count_in(std::uint64_t frames, std::uint64_t bytes) {
  for (TrafficCounters* t : {&traffic_, &host_traffic_}) {
    t->frames_in.fetch_add(frames, std::memory_order_relaxed);
    t->bytes_in.fetch_add(bytes, std::memory_order_relaxed);
  }
}

void Connection::count_out(std::uint64_t frames, std::uint64_t bytes) {
  for (TrafficCounters* t : {&traffic_, &host_traffic_}) {
    t->frames_out.fetch_add(frames, std::memory_order_relaxed);
    t->bytes_out.fetch_add(bytes, std::memory_order_relaxed);
  }
}

}  // namespace bizra::net
