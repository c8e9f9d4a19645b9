// The P2P Host on 127.0.0.1 (src/net/host.hpp): connection, one link per pair, frames both ways,
// refusal of unknown keys and bad clients, backpressure, keep-alive, idle close, reconnect,
// reputation refusal, ban and pruning. Every wait is bounded (harness.hpp); no timing asserts.

#include "net/host.hpp"

#include <algorithm>

#include <gtest/gtest.h>

#include "harness.hpp"
#include "net/frame.hpp"

namespace bizra::net {
namespace {

using namespace bizra::net::testing;
using std::chrono::milliseconds;

struct Node {
  explicit Node(std::uint8_t seed) : key(make_key(seed)) {}
  const crypto::PublicKey& id() const { return key.public_key(); }
  HostConfig config() const { return test_config(key); }
  Status start(HostConfig config) {
    host = std::make_unique<Host>(std::move(config), handler);
    return host->start();
  }
  PeerAddress address() const { return {id(), "127.0.0.1", host->port()}; }

  crypto::SecretKey key;
  RecordingHandler handler;
  std::unique_ptr<Host> host;  // last: stopped before the handler and key go away
};

std::optional<PeerStatus> status(const Host& host, const crypto::PublicKey& peer) {
  for (PeerStatus& s : host.peers()) {
    if (s.key == peer) return s;
  }
  return std::nullopt;
}

bool connected(const Host& host, const crypto::PublicKey& peer) {
  const std::optional<PeerStatus> s = status(host, peer);
  return s && s->connected;
}

// Both ends use the same single connection: each sees it connected, one as outbound, the other
// as inbound. (Which one survives depends on timing: the lower key's dial if both connections
// were established, else whichever was.)
bool settled(const Node& a, const Node& b) {
  const std::optional<PeerStatus> ab = status(*a.host, b.id());
  const std::optional<PeerStatus> ba = status(*b.host, a.id());
  return ab && ba && ab->connected && ba->connected && ab->outbound != ba->outbound;
}

bool has_frame(const RecordingHandler& h, const crypto::PublicKey& from, const std::string& text) {
  const std::vector<ReceivedFrame> frames = h.frames();
  return std::any_of(frames.begin(), frames.end(),
                     [&](const ReceivedFrame& f) { return f.from == from && f.body == to_bytes(text); });
}

bool wait_frame(RecordingHandler& h, const crypto::PublicKey& from, const std::string& text) {
  return eventually([&] { return has_frame(h, from, text); });
}

// Sends `text` from `from` to `to` until it arrives. For links that may still be swapping a
// duplicate connection, where a frame already written to the closing one can be lost (the
// transport does not retransmit; docs/network.md).
bool deliver(Node& from, const Node& to, const std::string& text) {
  int polls = 0;
  return eventually([&] {
    if (has_frame(to.handler, from.id(), text)) return true;
    if (polls++ % 25 == 0) from.host->send(to.id(), to_bytes(text));
    return false;
  });
}

bool wait_up(RecordingHandler& h, const crypto::PublicKey& peer, int count = 1) {
  return h.wait([&](const RecordingHandler& r) { return r.ups_locked(peer) >= count; });
}

bool wait_down(RecordingHandler& h, const crypto::PublicKey& peer, int count = 1) {
  return h.wait([&](const RecordingHandler& r) { return r.downs_locked(peer) >= count; });
}

Bytes ping_frame() { return encode_frame(FrameType::kPing, {}); }

// `a` dials `b`; returns once both report the other up.
void connect_pair(Node& a, Node& b, HostConfig config_a, HostConfig config_b) {
  config_b.allowed.push_back(a.id());
  ASSERT_TRUE(b.start(std::move(config_b)).ok());
  config_a.dial.push_back(b.address());
  ASSERT_TRUE(a.start(std::move(config_a)).ok());
  ASSERT_TRUE(wait_up(a.handler, b.id()));
  ASSERT_TRUE(wait_up(b.handler, a.id()));
}

TEST(Host, TwoHostsExchangeFramesBothWays) {
  Node a(1), b(2);
  connect_pair(a, b, a.config(), b.config());
  EXPECT_EQ(a.host->send(b.id(), to_bytes("from a")), SendResult::kQueued);
  EXPECT_EQ(b.host->send(a.id(), to_bytes("from b")), SendResult::kQueued);
  EXPECT_TRUE(wait_frame(b.handler, a.id(), "from a"));
  EXPECT_TRUE(wait_frame(a.handler, b.id(), "from b"));

  const PeerStatus ab = *status(*a.host, b.id());
  EXPECT_TRUE(ab.connected);
  EXPECT_TRUE(ab.outbound);
  EXPECT_EQ(ab.quality, 0.75);
  EXPECT_EQ(ab.reputation, 0.5);
  EXPECT_EQ(ab.address, "127.0.0.1:" + std::to_string(b.host->port()));
  EXPECT_EQ(ab.frames_in, 1u);
  EXPECT_FALSE(status(*b.host, a.id())->outbound);
  EXPECT_TRUE(eventually([&] { return a.host->counters().frames_out == 1 && a.host->counters().frames_in == 1; }));
  EXPECT_EQ(a.host->counters().handshakes_ok, 1u);
  EXPECT_EQ(a.host->counters().handshakes_failed, 0u);
  // Wire bytes: at least the data frame each way ("from a": 6 bytes + a 5-byte header).
  EXPECT_GE(a.host->counters().bytes_out, 11u);
  EXPECT_GE(a.host->counters().bytes_in, 11u);
}

TEST(Host, BothDialingKeepOneConnectionWithoutFlapping) {
  Node a(1), b(2);
  const std::vector<std::uint16_t> ports = free_ports(2);
  HostConfig ca = a.config(), cb = b.config();
  ca.listen_port = ports[0];
  cb.listen_port = ports[1];
  ca.dial = {{b.id(), "127.0.0.1", ports[1]}};
  cb.dial = {{a.id(), "127.0.0.1", ports[0]}};
  ASSERT_TRUE(a.start(ca).ok());
  ASSERT_TRUE(b.start(cb).ok());
  ASSERT_TRUE(eventually([&] { return settled(a, b); }));

  EXPECT_TRUE(deliver(a, b, "a->b"));
  EXPECT_TRUE(deliver(b, a, "b->a"));
  EXPECT_TRUE(settled(a, b));
  EXPECT_EQ(a.handler.ups(b.id()), 1);
  EXPECT_EQ(b.handler.ups(a.id()), 1);
  EXPECT_EQ(a.handler.downs(b.id()), 0);
  EXPECT_EQ(b.handler.downs(a.id()), 0);
}

TEST(Host, ThreeHostsFullMeshAndBroadcast) {
  std::vector<std::unique_ptr<Node>> nodes;
  for (std::uint8_t seed = 1; seed <= 3; ++seed) nodes.push_back(std::make_unique<Node>(seed));
  const std::vector<std::uint16_t> ports = free_ports(3);
  for (std::size_t i = 0; i < 3; ++i) {
    HostConfig config = nodes[i]->config();
    config.listen_port = ports[i];
    for (std::size_t j = 0; j < 3; ++j) {
      if (j != i) config.dial.push_back({nodes[j]->id(), "127.0.0.1", ports[j]});
    }
    ASSERT_TRUE(nodes[i]->start(std::move(config)).ok());
  }
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = i + 1; j < 3; ++j) ASSERT_TRUE(eventually([&] { return settled(*nodes[i], *nodes[j]); }));
  }
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      if (i == j) continue;
      EXPECT_TRUE(deliver(*nodes[i], *nodes[j], std::to_string(i) + " to " + std::to_string(j)));
    }
  }
  for (std::size_t i = 0; i < 3; ++i) nodes[i]->host->broadcast(to_bytes("hello from " + std::to_string(i)));
  for (std::size_t i = 0; i < 3; ++i) {
    for (std::size_t j = 0; j < 3; ++j) {
      if (i == j) continue;
      EXPECT_TRUE(wait_frame(nodes[j]->handler, nodes[i]->id(), "hello from " + std::to_string(i)));
      EXPECT_TRUE(settled(*nodes[i], *nodes[j]));
      EXPECT_EQ(nodes[j]->handler.ups(nodes[i]->id()), 1);
      EXPECT_EQ(nodes[j]->handler.downs(nodes[i]->id()), 0);
    }
    EXPECT_EQ(nodes[i]->host->peers().size(), 2u);
  }
}

TEST(Host, UnknownKeyIsRefusedOnBothSides) {
  Node a(1), stranger(9);
  HostConfig ca = a.config();
  ca.allowed = {make_key(2).public_key()};
  ASSERT_TRUE(a.start(ca).ok());
  HostConfig cs = stranger.config();
  cs.dial = {a.address()};
  ASSERT_TRUE(stranger.start(cs).ok());

  ASSERT_TRUE(eventually([&] {
    return a.host->counters().handshakes_failed >= 2 && stranger.host->counters().handshakes_failed >= 2;
  }));
  EXPECT_EQ(a.handler.ups(stranger.id()), 0);
  EXPECT_EQ(stranger.handler.ups(a.id()), 0);
  EXPECT_EQ(a.host->counters().handshakes_ok, 0u);
  EXPECT_FALSE(status(*a.host, stranger.id()));  // strangers get no record
  EXPECT_GE(status(*stranger.host, a.id())->failures, 2u);
  EXPECT_FALSE(connected(*stranger.host, a.id()));
}

TEST(Host, ClientsWithoutTls13OrWithoutCertificateAreRefused) {
  Node a(1);
  const crypto::SecretKey k = make_key(7);
  HostConfig ca = a.config();
  ca.allowed = {k.public_key()};
  ASSERT_TRUE(a.start(ca).ok());
  for (const TlsClient::Mode mode : {TlsClient::Mode::kTls12Only, TlsClient::Mode::kNoCertificate}) {
    const std::uint64_t failed_before = a.host->counters().handshakes_failed;
    TlsClient client(k, mode);
    if (client.connect(a.host->port())) {  // TLS 1.3: the client may finish before the server rejects
      client.write(ping_frame());
      EXPECT_TRUE(client.wait_closed());
    }
    EXPECT_TRUE(eventually([&] { return a.host->counters().handshakes_failed == failed_before + 1; }));
  }
  EXPECT_EQ(a.handler.ups(k.public_key()), 0);
}

TEST(Host, GarbageFromRawTcpIsDroppedAndHostKeepsServing) {
  Node a(1), b(2);
  HostConfig ca = a.config();
  ca.allowed = {b.id()};
  ASSERT_TRUE(a.start(ca).ok());
  const Bytes garbage = to_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n\x16\x03\x01\xff\xff garbage");
  EXPECT_TRUE(send_garbage_and_wait_closed(a.host->port(), garbage));
  EXPECT_TRUE(eventually([&] { return a.host->counters().handshakes_failed == 1; }));

  HostConfig cb = b.config();
  cb.dial = {a.address()};
  ASSERT_TRUE(b.start(cb).ok());
  ASSERT_TRUE(wait_up(a.handler, b.id()));
  ASSERT_TRUE(wait_up(b.handler, a.id()));
  EXPECT_EQ(b.host->send(a.id(), to_bytes("still serving")), SendResult::kQueued);
  EXPECT_TRUE(wait_frame(a.handler, b.id(), "still serving"));
}

TEST(Host, SilentConnectionIsClosedAfterTheHandshakeTimeout) {
  Node a(1);
  HostConfig ca = a.config();
  ca.handshake_timeout = milliseconds(200);
  ASSERT_TRUE(a.start(ca).ok());
  EXPECT_TRUE(send_garbage_and_wait_closed(a.host->port(), {}));  // connects, sends nothing
  EXPECT_TRUE(eventually([&] { return a.host->counters().handshakes_failed == 1; }));
}

TEST(Host, InboundHandshakesInProgressAreCapped) {
  Node a(1);
  HostConfig ca = a.config();
  ca.max_peers = 1;
  ASSERT_TRUE(a.start(ca).ok());
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket first(io);  // holds the only handshake slot (3 s timeout)
  first.connect({boost::asio::ip::make_address("127.0.0.1"), a.host->port()});
  EXPECT_TRUE(send_garbage_and_wait_closed(a.host->port(), {}));  // the next is closed at once
  EXPECT_EQ(a.host->counters().connections_refused, 1u);
  EXPECT_EQ(a.host->counters().handshakes_failed, 0u);
}

// A TLS client with an allowed key that completes the handshake and is up at `host`.
std::unique_ptr<TlsClient> connected_client(Node& host, const crypto::SecretKey& key, int expected_ups = 1) {
  auto client = std::make_unique<TlsClient>(key);
  EXPECT_TRUE(client->connect(host.host->port()));
  EXPECT_TRUE(client->write(ping_frame()));
  EXPECT_TRUE(wait_up(host.handler, key.public_key(), expected_ups));
  return client;
}

TEST(Host, OversizedFrameClosesTheConnectionAndLowersTheScore) {
  Node a(1), b(2);
  const crypto::SecretKey k = make_key(7);
  HostConfig ca = a.config();
  ca.max_frame_bytes = 1024;
  ca.allowed = {k.public_key(), b.id()};
  ASSERT_TRUE(a.start(ca).ok());

  auto client = connected_client(a, k);
  ASSERT_TRUE(client->write(encode_frame(FrameType::kData, Bytes(1024, 0xab))));  // at the limit: fine
  EXPECT_TRUE(eventually([&] { return a.handler.frames().size() == 1; }));
  ASSERT_TRUE(client->write(encode_frame_header({FrameType::kData, 1025})));
  EXPECT_TRUE(client->wait_closed());
  EXPECT_TRUE(wait_down(a.handler, k.public_key()));
  EXPECT_EQ(a.host->counters().oversized_frames, 1u);
  const PeerStatus s = *status(*a.host, k.public_key());
  EXPECT_DOUBLE_EQ(s.reputation, 0.45);
  EXPECT_EQ(s.failures, 1u);
  EXPECT_EQ(s.quality, 0.375);  // up then down: (0.5 + 1) / 2 / 2
  EXPECT_FALSE(s.connected);

  HostConfig cb = b.config();  // the host keeps serving others
  cb.dial = {a.address()};
  ASSERT_TRUE(b.start(cb).ok());
  EXPECT_TRUE(wait_up(a.handler, b.id()));
}

TEST(Host, UnknownTypeAndBadControlFrameCloseTheConnection) {
  Node a(1);
  const crypto::SecretKey k = make_key(7);
  HostConfig ca = a.config();
  ca.allowed = {k.public_key()};
  ASSERT_TRUE(a.start(ca).ok());
  const std::vector<Bytes> bad_headers{{0, 0, 0, 0, 7}, {0, 0, 0, 3, 1, 'x', 'y', 'z'}};
  int round = 0;
  for (const Bytes& bad : bad_headers) {
    ++round;
    auto client = connected_client(a, k, round);
    ASSERT_TRUE(client->write(bad));
    EXPECT_TRUE(client->wait_closed());
    EXPECT_TRUE(wait_down(a.handler, k.public_key(), round));
    EXPECT_EQ(a.host->counters().bad_frames, static_cast<std::uint64_t>(round));
  }
  EXPECT_EQ(status(*a.host, k.public_key())->failures, 2u);
}

TEST(Host, PeerThatNeverReadsHitsTheQueueCap) {
  Node a(1);
  const crypto::SecretKey k = make_key(7);
  HostConfig ca = a.config();
  ca.max_send_queue_bytes = 256 << 10;
  ca.max_frame_bytes = 64 << 10;
  ca.idle_timeout = milliseconds(60000);
  ca.allowed = {k.public_key()};
  ASSERT_TRUE(a.start(ca).ok());
  auto client = connected_client(a, k);  // handshakes, then never reads again

  const Bytes frame(32 << 10, 0x42);
  SendResult result = SendResult::kQueued;
  ASSERT_TRUE(eventually([&] {
    result = a.host->send(k.public_key(), frame);
    return result != SendResult::kQueued;
  }));
  EXPECT_EQ(result, SendResult::kQueueFull);
  const PeerStatus s = *status(*a.host, k.public_key());
  EXPECT_LE(s.queued_bytes, ca.max_send_queue_bytes);
  EXPECT_GT(s.queued_bytes, ca.max_send_queue_bytes - frame.size() - kFrameHeaderSize);
  a.host->broadcast(frame);  // skips the full queue
  EXPECT_EQ(a.host->counters().queue_full_drops, 2u);
  EXPECT_LE(status(*a.host, k.public_key())->queued_bytes, ca.max_send_queue_bytes);
}

TEST(Host, IdleConnectionIsClosed) {
  Node a(1);
  const crypto::SecretKey k = make_key(7);
  HostConfig ca = a.config();
  ca.ping_interval = milliseconds(50);
  ca.idle_timeout = milliseconds(300);
  ca.allowed = {k.public_key()};
  ASSERT_TRUE(a.start(ca).ok());
  auto client = connected_client(a, k);  // reads the host's pings but never answers
  EXPECT_TRUE(client->wait_closed());
  EXPECT_TRUE(wait_down(a.handler, k.public_key()));
  EXPECT_EQ(status(*a.host, k.public_key())->failures, 1u);
}

TEST(Host, KeepAlivePingsHoldAnIdleLinkOpen) {
  Node a(1), b(2);
  HostConfig ca = a.config(), cb = b.config();
  for (HostConfig* c : {&ca, &cb}) {
    c->ping_interval = milliseconds(50);
    c->idle_timeout = milliseconds(300);
  }
  connect_pair(a, b, ca, cb);
  // 100 bytes of 5-byte pings and pongs: ten ping intervals, well past the idle timeout.
  const std::uint64_t start = status(*a.host, b.id())->bytes_in;
  ASSERT_TRUE(eventually([&] { return status(*a.host, b.id())->bytes_in >= start + 100; }));
  EXPECT_TRUE(connected(*a.host, b.id()));
  EXPECT_EQ(a.handler.downs(b.id()), 0);
  EXPECT_EQ(b.handler.downs(a.id()), 0);
  EXPECT_EQ(a.host->counters().frames_in, 0u);  // keep-alives are not data frames
}

TEST(Host, ReconnectsToARestartedPeerOnTheSamePort) {
  Node a(1), b(2);
  connect_pair(a, b, a.config(), b.config());
  const std::uint16_t port = b.host->port();
  b.host->stop();
  ASSERT_TRUE(wait_down(a.handler, b.id()));

  HostConfig cb = b.config();
  cb.listen_port = port;
  cb.allowed = {a.id()};
  ASSERT_TRUE(b.start(cb).ok());
  ASSERT_TRUE(wait_up(a.handler, b.id(), 2));
  EXPECT_EQ(a.host->send(b.id(), to_bytes("welcome back")), SendResult::kQueued);
  EXPECT_TRUE(wait_frame(b.handler, a.id(), "welcome back"));
}

TEST(Host, LowReputationPeerIsRefused) {
  Node a(1);
  const crypto::SecretKey k = make_key(7);
  HostConfig ca = a.config();
  ca.allowed = {k.public_key()};
  ASSERT_TRUE(a.start(ca).ok());
  auto client = connected_client(a, k);
  for (int i = 0; i < 5; ++i) a.host->report(k.public_key(), false);
  EXPECT_DOUBLE_EQ(status(*a.host, k.public_key())->reputation, 0.25);
  EXPECT_TRUE(connected(*a.host, k.public_key()));  // refusal applies to new connections
  client.reset();
  ASSERT_TRUE(wait_down(a.handler, k.public_key()));

  TlsClient again(k);
  if (again.connect(a.host->port())) {
    again.write(ping_frame());
    EXPECT_TRUE(again.wait_closed());
  }
  EXPECT_TRUE(eventually([&] { return a.host->counters().connections_refused == 1; }));
  EXPECT_EQ(a.handler.ups(k.public_key()), 1);
}

TEST(Host, BanDisconnectsAndStopsDialing) {
  Node a(1);
  const crypto::SecretKey k = make_key(7);
  HostConfig ca = a.config();
  ca.reconnect_max = milliseconds(40);
  ca.dial = {{k.public_key(), "127.0.0.1", free_ports(1)[0]}};  // nobody listens there
  ASSERT_TRUE(a.start(ca).ok());
  ASSERT_TRUE(eventually([&] { return status(*a.host, k.public_key())->failures > 10; }));

  auto client = connected_client(a, k);  // k connects in instead; a stops dialing it
  for (int i = 0; i < 9; ++i) a.host->report(k.public_key(), false);  // reputation 0.05: banned
  EXPECT_TRUE(status(*a.host, k.public_key())->banned);
  EXPECT_TRUE(client->wait_closed());
  EXPECT_TRUE(wait_down(a.handler, k.public_key()));

  TlsClient again(k);  // and stays out
  if (again.connect(a.host->port())) {
    again.write(ping_frame());
    EXPECT_TRUE(again.wait_closed());
  }
  EXPECT_TRUE(eventually([&] { return a.host->counters().connections_refused == 1; }));
  EXPECT_EQ(a.handler.ups(k.public_key()), 1);
}

TEST(Host, PrunesTheLowestHealthConnectionAboveMaxPeers) {
  Node a(1);
  const crypto::SecretKey k1 = make_key(7), k2 = make_key(8);
  HostConfig ca = a.config();
  ca.max_peers = 1;
  ca.allowed = {k1.public_key(), k2.public_key()};
  ASSERT_TRUE(a.start(ca).ok());
  auto first = connected_client(a, k1);  // k1: quality 0.75, health 0.625

  TlsClient second(k2);  // k2: health 0.5, the lowest: the newcomer itself is dropped
  ASSERT_TRUE(second.connect(a.host->port()));
  ASSERT_TRUE(second.write(ping_frame()));
  EXPECT_TRUE(second.wait_closed());
  EXPECT_EQ(a.handler.ups(k2.public_key()), 0);
  EXPECT_TRUE(connected(*a.host, k1.public_key()));

  for (int i = 0; i < 6; ++i) a.host->report(k1.public_key(), false);  // k1: health 0.475
  auto third = connected_client(a, k2);
  EXPECT_TRUE(first->wait_closed());
  EXPECT_TRUE(wait_down(a.handler, k1.public_key()));
  EXPECT_TRUE(connected(*a.host, k2.public_key()));
}

TEST(Host, SendAndStartErrors) {
  Node a(1), b(2);
  HostConfig ca = a.config();
  ca.max_frame_bytes = 16;
  ASSERT_TRUE(a.start(ca).ok());
  EXPECT_EQ(a.host->send(b.id(), to_bytes("x")), SendResult::kNotConnected);
  EXPECT_EQ(a.host->send(b.id(), Bytes(17)), SendResult::kTooLarge);
  EXPECT_EQ(a.host->start().error().code(), "already_started");

  HostConfig cb = b.config();
  cb.listen_port = a.host->port();
  EXPECT_EQ(b.start(cb).error().code(), "bind_failed");
  cb.listen_host = "not-an-address";
  cb.listen_port = 0;
  EXPECT_EQ(b.start(cb).error().code(), "bind_failed");
  cb.identity = nullptr;
  EXPECT_EQ(b.start(cb).error().code(), "bad_config");
  a.host->stop();
  a.host->stop();  // idempotent
}

}  // namespace
}  // namespace bizra::net
