#pragma once
// Test harness for the P2P host: keys, a Handler that records what it is told, raw TCP and TLS
// clients that can misbehave, and bounded waits (never a fixed sleep).

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "net/host.hpp"
#include "net/tls.hpp"
#include "support/free_ports.hpp"

namespace bizra::net::testing {

inline constexpr std::chrono::seconds kWait{8};  // generous: only reached when a test fails

crypto::SecretKey make_key(std::uint8_t seed);

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout = kWait);

using bizra::testing::free_ports;  // for hosts that must know each other's port before either starts

struct ReceivedFrame {
  crypto::PublicKey from;
  Bytes body;
};

class RecordingHandler final : public Handler {
 public:
  void on_frame(const crypto::PublicKey& from, Bytes frame) override;
  void on_peer_up(const crypto::PublicKey& peer) override;
  void on_peer_down(const crypto::PublicKey& peer) override;

  // Wait until the predicate over this handler's records holds (or kWait passes).
  bool wait(const std::function<bool(const RecordingHandler&)>& predicate);
  // Caller holds no lock: these lock.
  int ups(const crypto::PublicKey& peer) const;
  int downs(const crypto::PublicKey& peer) const;
  std::vector<ReceivedFrame> frames() const;

  // Valid only inside wait()'s predicate (which runs with the lock held).
  int ups_locked(const crypto::PublicKey& peer) const;
  int downs_locked(const crypto::PublicKey& peer) const;
  std::size_t frames_locked() const { return frames_.size(); }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<crypto::PublicKey> ups_, downs_;
  std::vector<ReceivedFrame> frames_;
};

// Short timers so that failure paths finish quickly.
HostConfig test_config(const crypto::SecretKey& identity);

// A hand-driven TLS client with a node key (or a deliberately wrong setup): it can send any
// bytes, including malformed frames, and never reads unless asked to.
class TlsClient final : private PeerVerifier {
 public:
  enum class Mode { kNormal, kTls12Only, kNoCertificate };
  explicit TlsClient(const crypto::SecretKey& identity, Mode mode = Mode::kNormal);

  // TCP connect and TLS handshake to 127.0.0.1:port; false on failure or timeout.
  bool connect(std::uint16_t port);
  bool write(ByteSpan bytes);
  // Reads (and discards) until the server closes the connection; true if it did in time.
  bool wait_closed(std::chrono::milliseconds timeout = kWait);

 private:
  bool verify_peer_key(const crypto::PublicKey&) override { return true; }
  bool run(std::chrono::milliseconds timeout, const bool& done);

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::optional<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> stream_;
};

// A plain TCP client that writes bytes (garbage) and waits to be disconnected.
bool send_garbage_and_wait_closed(std::uint16_t port, ByteSpan garbage);

}  // namespace bizra::net::testing
