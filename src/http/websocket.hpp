#pragma once
// WebSocket event hub for `GET /ws` (spec/api.md "WebSocket /ws"; docs/http.md has the protocol).
//
// The HTTP Server hands it the connections that ask for a WebSocket upgrade on the configured path
// (ServerConfig::websocket, ::websocket_path); from then on the hub owns them. The node publishes
// events with publish(); each connected client receives those of the topics it subscribed to.
//
// Bounded by design, because a subscriber is an untrusted remote party:
//   - inbound messages over 4 KiB close the connection (close code 1009);
//   - each connection's outbound queue is bounded in bytes: a client that does not read fast
//     enough is closed with code 1008 and reason "slow consumer" instead of growing memory;
//   - a client that answers nothing (no pong, no frame) for 2 heartbeat intervals is closed;
//   - at most max_connections connections: the upgrade of one more is answered HTTP 503.
// Boost stays out of this header, like server.hpp.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace bizra::http {

struct WebSocketConfig {
  std::size_t max_connections = 10000;
  std::size_t max_queue_bytes = 1 << 20;  // per connection: queued outbound bytes not yet written
  std::chrono::milliseconds heartbeat{15000};  // ping interval; silence for 2 of them closes
};

// What an event may be filtered on. Only the "attestations" topic uses it: a subscriber may ask
// for one attestation id or one attester account id.
struct EventKeys {
  std::string_view attestation_id = {};  // lowercase hex
  std::string_view attester = {};        // "bz..." account id
};

class WebSocketHub {
 public:
  // The topics a client may subscribe to, in the order the welcome message lists them.
  static constexpr std::size_t kTopicCount = 5;
  static constexpr std::string_view kTopics[kTopicCount] = {"blocks", "finality", "attestations", "peers", "ace"};

  // A heartbeat that is not positive is a programming error (std::invalid_argument).
  explicit WebSocketHub(WebSocketConfig config = {});
  // Must outlive the Server it is attached to (the server detaches it in stop()).
  ~WebSocketHub();
  WebSocketHub(const WebSocketHub&) = delete;
  WebSocketHub& operator=(const WebSocketHub&) = delete;

  // Sends {"type":"event","topic":<topic>,"data":<data_json>} to every connection subscribed to
  // `topic` (and, for "attestations", whose filter matches `keys`). `data_json` must be one JSON
  // value (it is inserted as is). The message is built once and shared by all its recipients.
  // Thread-safe and non-blocking: it only queues; the I/O threads write. An unknown topic is a
  // programming error (std::invalid_argument).
  void publish(std::string_view topic, std::string_view data_json, const EventKeys& keys = {});

  const WebSocketConfig& config() const;

  struct Counters {
    std::uint64_t connections_open;      // now
    std::uint64_t connections_accepted;  // upgrades completed, total
    std::uint64_t connections_rejected;  // upgrades refused over max_connections (HTTP 503)
    std::uint64_t messages_delivered;    // event messages fully written to a client
    std::uint64_t slow_consumer_closes;  // connections closed because their queue overflowed
    std::uint64_t messages_dropped;      // event messages not queued because the queue was full
    std::uint64_t heartbeat_closes;      // connections closed for not answering
    std::uint64_t max_queued_bytes;      // the largest queue any connection has held
    std::uint64_t subscribers[kTopicCount];  // now, per topic (in kTopics order)
  };
  Counters counters() const;

  struct Impl;  // websocket.cpp; the server reaches it through websocket_upgrade.hpp

 private:
  friend Impl& hub_impl(WebSocketHub& hub);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bizra::http
