#pragma once
// The BIZRA P2P transport (docs/network.md): authenticated, encrypted, framed links between
// nodes whose identities are their Ed25519 keys.
//
// A Host listens on one TCP port, dials the configured peers and keeps them connected
// (reconnecting with jittered exponential back-off), accepts connections only from allowed keys,
// and delivers every data frame to a Handler. Each link is TLS 1.3 with mutual authentication;
// there is at most one link per peer. Peers are scored (net/peer_score.hpp) and misbehaving ones
// refused, banned and pruned.
//
// Threading: the Host runs one network thread. Handler callbacks run on it; every Host method
// may be called from any thread, except that stop() (and so ~Host) must not be called from a
// Handler callback (it joins the network thread).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::net {

struct PeerAddress {
  crypto::PublicKey key;
  std::string host;
  std::uint16_t port = 0;
};

struct HostConfig {
  const crypto::SecretKey* identity = nullptr;   // the node's Ed25519 key (borrowed; outlives Host)
  std::string listen_host = "127.0.0.1";         // a numeric IPv4 or IPv6 address
  std::uint16_t listen_port = 0;                 // 0: ephemeral (tests); see Host::port()
  std::vector<PeerAddress> dial;                 // peers this node connects to and keeps connected
  std::vector<crypto::PublicKey> allowed;        // keys accepted (validator set + configured peers); dial keys are allowed implicitly
  std::size_t max_frame_bytes = 4 << 20;         // largest data frame body, both directions
  std::size_t max_send_queue_bytes = 32 << 20;   // per peer; beyond: send() refuses (backpressure)
  std::size_t max_peers = 64;                    // connected peers; also the cap on inbound handshakes in progress
  std::chrono::milliseconds ping_interval{2000}, idle_timeout{10000}, handshake_timeout{5000};
  std::chrono::milliseconds reconnect_min{100}, reconnect_max{5000};   // jittered exponential back-off
};

enum class SendResult {
  kQueued,        // will be written in order after the frames queued before it
  kNotConnected,  // no established connection to that peer
  kQueueFull,     // the peer's queue would exceed max_send_queue_bytes (it is not reading)
  kTooLarge,      // the frame exceeds max_frame_bytes (the peer would drop the connection)
};

class Handler {   // called on the network thread; must not block
 public:
  virtual ~Handler() = default;
  virtual void on_frame(const crypto::PublicKey& from, Bytes frame) = 0;
  // Up and down alternate per peer, starting with up. Replacing one connection to a peer by
  // another (duplicate resolution) produces neither.
  virtual void on_peer_up(const crypto::PublicKey& peer) = 0;
  virtual void on_peer_down(const crypto::PublicKey& peer) = 0;
};

// One known peer (a dial peer, or an allowed key that has connected at least once). Traffic
// totals cover all of its connections: frames count data frames, bytes count everything on the
// wire inside TLS (headers and keep-alives included).
struct PeerStatus {
  crypto::PublicKey key;
  std::string address;  // "host:port" of the live connection, else the last known one
  bool connected;
  bool outbound;        // the live connection was dialed by us
  double quality;
  double reputation;
  double health;
  std::uint64_t failures;
  bool banned;
  std::size_t queued_bytes;
  std::uint64_t frames_in, frames_out, bytes_in, bytes_out;
};

struct HostCounters {
  std::uint64_t handshakes_ok;        // connections established (TLS + first frame)
  std::uint64_t handshakes_failed;    // closed before that (includes refused dials and unknown keys)
  std::uint64_t frames_in, frames_out;  // data frames
  std::uint64_t bytes_in, bytes_out;    // on the wire: frames with their headers, keep-alives included
  std::uint64_t bad_frames;           // malformed header or unknown type: connection closed
  std::uint64_t oversized_frames;     // body above max_frame_bytes: connection closed
  std::uint64_t queue_full_drops;     // send()/broadcast() refused for a full queue
  std::uint64_t connections_refused;  // allowed key refused for low reputation or a ban, or too many handshakes
};

class Host {
 public:
  Host(HostConfig config, Handler& handler);
  ~Host();                       // stops
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  // Binds and listens, starts the network thread and dialing. Once per Host.
  // Errors: "bad_config", "tls_setup_failed", "bind_failed", "already_started".
  Status start();
  void stop();                   // closes everything, joins the thread; idempotent; no callbacks after it
  std::uint16_t port() const;    // the bound port (after start)
  SendResult send(const crypto::PublicKey& to, Bytes frame);   // thread-safe
  void broadcast(Bytes frame);   // to every connected peer (thread-safe), skipping full queues
  // The upper layer's verdict on a message from `peer`: reputation +0.01 / -0.05. A peer that
  // becomes banned is disconnected. Unknown keys are ignored.
  void report(const crypto::PublicKey& peer, bool good);
  std::vector<PeerStatus> peers() const;   // thread-safe snapshot, sorted by key
  HostCounters counters() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bizra::net
