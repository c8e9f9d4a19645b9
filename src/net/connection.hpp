#pragma once
// One P2P connection: TCP, TLS 1.3 handshake, framing, bounded send queue, keep-alive
// (internal to the Host; docs/network.md).
//
// Life cycle: connecting (outbound) → TLS handshake, during which the owner vets the peer's key →
// authenticated: both sides send a ping → established when the peer's first frame arrives. The
// first-frame step matters: in TLS 1.3 the client finishes its handshake before the server has
// checked the client's certificate, so only a frame from the server proves that it accepted us.
// The whole sequence must finish within handshake_timeout.
//
// Every method except send(), queued_bytes() and traffic() runs on the network thread. close()
// is idempotent and reports to the owner exactly once; after it every pending operation ends
// without effect.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/frame.hpp"
#include "net/host.hpp"
#include "net/tls.hpp"

namespace bizra::net {

enum class CloseReason {
  kStopping,          // the Host is stopping
  kConnectFailed,     // resolve or TCP connect failed
  kHandshakeFailed,   // TLS failed, or the peer went away before its first frame
  kNotAllowed,        // the peer's key is not acceptable here
  kRefused,           // an allowed key refused for its reputation or a ban
  kHandshakeTimeout,  // not established within handshake_timeout
  kIdleTimeout,       // nothing received for idle_timeout
  kOversizedFrame,
  kBadFrame,          // malformed header or unknown type
  kIoError,
  kPeerClosed,        // orderly end of stream
  kDuplicate,         // another connection to the same peer was kept
  kPruned,            // too many peers; this one had the lowest health
  kBanned,
};

enum class Verdict { kAccept, kNotAllowed, kRefused };

struct TrafficCounters {
  std::atomic<std::uint64_t> frames_in{0}, frames_out{0}, bytes_in{0}, bytes_out{0};
};

struct ConnectionLimits {
  std::size_t max_frame_bytes = 0;
  std::size_t max_send_queue_bytes = 0;
  std::chrono::milliseconds ping_interval{0}, idle_timeout{0}, handshake_timeout{0};
};

class Connection;

// What a connection reports to (and asks of) the Host. Called on the network thread.
class ConnectionOwner {
 public:
  virtual ~ConnectionOwner() = default;
  virtual Verdict vet_peer(const Connection& connection, const crypto::PublicKey& key) = 0;
  virtual void on_authenticated(const std::shared_ptr<Connection>& connection) = 0;
  virtual void on_established(const std::shared_ptr<Connection>& connection) = 0;
  virtual void on_data(Connection& connection, Bytes body) = 0;
  virtual void on_closed(Connection& connection, CloseReason reason) = 0;
};

class Connection final : public std::enable_shared_from_this<Connection>, private PeerVerifier {
 public:
  // `dialed`: the key an outbound connection must reach; nullopt for an inbound one.
  Connection(boost::asio::io_context& io, boost::asio::ssl::context& tls, ConnectionOwner& owner,
             const ConnectionLimits& limits, std::optional<crypto::PublicKey> dialed,
             TrafficCounters& host_traffic);

  boost::asio::ip::tcp::socket& socket() { return stream_.next_layer(); }  // for the acceptor
  void start_inbound();
  void start_outbound(const std::string& host, std::uint16_t port);

  // Thread-safe. kNotConnected once closed.
  SendResult send(FrameType type, std::shared_ptr<const Bytes> body);
  // Data frames queued but not yet written (in order), removed from this connection: for the
  // connection that replaces it. Works until close() returns, so the owner can call it from
  // on_closed. Thread-safe.
  std::vector<std::shared_ptr<const Bytes>> take_unsent();
  // Queues frames taken from a replaced connection; those beyond the queue cap are dropped.
  void adopt(const std::vector<std::shared_ptr<const Bytes>>& bodies);
  void close(CloseReason reason);

  bool outbound() const { return dialed_.has_value(); }
  const std::optional<crypto::PublicKey>& dialed() const { return dialed_; }
  const std::optional<crypto::PublicKey>& peer() const { return peer_; }  // once authenticated
  bool established() const { return established_; }
  // Set when the connection starts, before the owner hears of it; constant afterwards.
  const std::string& remote_address() const { return remote_address_; }
  std::size_t queued_bytes() const;  // thread-safe: queued plus in flight
  const TrafficCounters& traffic() const { return traffic_; }

 private:
  struct Outgoing {
    FrameHeaderBytes header;
    std::shared_ptr<const Bytes> body;
  };

  bool verify_peer_key(const crypto::PublicKey& key) override;
  void start_handshake(boost::asio::ssl::stream_base::handshake_type type);
  void on_handshake(const boost::system::error_code& error);
  void read_next();
  void on_read(const boost::system::error_code& error, std::size_t size);
  void handle_frame(Frame frame);
  void write_next();
  void on_written(const boost::system::error_code& error, std::uint64_t data_frames);
  void arm_timer(std::chrono::milliseconds delay);
  void on_timer();
  void count_in(std::uint64_t frames, std::uint64_t bytes);
  void count_out(std::uint64_t frames, std::uint64_t bytes);

  boost::asio::io_context& io_;
  ConnectionOwner& owner_;
  const ConnectionLimits limits_;
  const std::optional<crypto::PublicKey> dialed_;
  TrafficCounters& host_traffic_;
  TrafficCounters traffic_;

  boost::asio::ssl::stream<boost::asio::ip::tcp::socket> stream_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;  // handshake deadline, then the keep-alive tick
  std::string remote_address_;
  Verdict verdict_ = Verdict::kNotAllowed;
  std::optional<crypto::PublicKey> peer_;
  bool established_ = false;
  bool closed_ = false;
  std::chrono::steady_clock::time_point last_received_;
  FrameDecoder decoder_;
  std::array<std::uint8_t, 64 * 1024> read_buffer_{};
  Bytes batch_;  // the bytes of the write in flight

  mutable std::mutex send_mutex_;
  std::deque<Outgoing> queue_;     // send_mutex_
  std::size_t queued_bytes_ = 0;   // send_mutex_: queue_ plus batch_
  bool writing_ = false;           // send_mutex_: a write is posted or in flight
  bool send_closed_ = false;       // send_mutex_
};

}  // namespace bizra::net
