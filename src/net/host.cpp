#include "net/host.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/backoff.hpp"
#include "net/connection.hpp"
#include "net/peer_score.hpp"
#include "net/tls.hpp"

namespace bizra::net {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using crypto::PublicKey;

constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

Status validate(const HostConfig& config) {
  const auto bad = [](const char* what) { return Error("bad_config", what); };
  if (config.identity == nullptr) return bad("identity is not set");
  if (config.max_frame_bytes == 0 || config.max_frame_bytes > 0xFFFFFFFFu) return bad("max_frame_bytes must be 1..2^32-1");
  if (config.max_send_queue_bytes < kFrameHeaderSize) return bad("max_send_queue_bytes is too small");
  if (config.max_peers == 0) return bad("max_peers must be positive");
  if (config.ping_interval.count() <= 0 || config.idle_timeout.count() <= 0 || config.handshake_timeout.count() <= 0 ||
      config.reconnect_min.count() <= 0 || config.reconnect_max < config.reconnect_min) {
    return bad("timeouts must be positive and reconnect_min <= reconnect_max");
  }
  return ok_status();
}

}  // namespace

// All connection state lives on the network thread. What other threads read or change (links,
// scores) is behind `mutex_`; a connection's send queue has its own lock. `mutex_` is never held
// while calling a Handler or closing a connection (which re-enters on_closed), so the Impl
// decides under the lock and acts after it (Effects).
class Host::Impl final : public ConnectionOwner {
 public:
  Impl(HostConfig config, Handler& handler);

  Status start();
  void stop();
  std::uint16_t port() const { return port_.load(); }
  SendResult send(const PublicKey& to, Bytes frame);
  void broadcast(Bytes frame);
  void report(const PublicKey& peer, bool good);
  std::vector<PeerStatus> peers() const;
  HostCounters counters() const;

 private:
  // Everything the Host knows about one peer key (mutex_).
  struct Link {
    std::shared_ptr<Connection> active;
    std::set<const Connection*> authenticating;  // past TLS, awaiting the peer's first frame
    bool up = false;                             // on_peer_up delivered, on_peer_down not yet
    std::string address;                         // of the last connection, or the dial address
    // Unsent frames of an active connection that closed while another was authenticating: they
    // go out on that one if it is established (see on_closed).
    std::vector<std::shared_ptr<const Bytes>> carried;
    std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;  // closed connections
  };
  // A dial peer's reconnect state (network thread).
  struct Dial {
    PeerAddress address;
    std::unique_ptr<asio::steady_timer> timer;
    unsigned attempt = 0;
    bool scheduled = false;  // the timer is running
    bool in_flight = false;  // an outbound connection to it exists
  };
  // What to do once mutex_ is released, in this order.
  struct Effects {
    std::vector<std::pair<std::shared_ptr<Connection>, CloseReason>> closes;
    std::optional<PublicKey> down, up;
  };

  // ConnectionOwner (network thread).
  Verdict vet_peer(const Connection& connection, const PublicKey& key) override;
  void on_authenticated(const std::shared_ptr<Connection>& connection) override;
  void on_established(const std::shared_ptr<Connection>& connection) override;
  void on_data(Connection& connection, Bytes body) override;
  void on_closed(Connection& connection, CloseReason reason) override;

  bool is_allowed(const PublicKey& key) const { return allowed_.contains(key) || dials_.contains(key); }
  std::shared_ptr<Connection> make_connection(std::optional<PublicKey> dialed);
  void accept_next();
  void dial(const PublicKey& key);
  void schedule_redial(const PublicKey& key);
  void shutdown();
  void close_banned(const PublicKey& key);
  const std::shared_ptr<Connection>& preferred(const PublicKey& key, const std::shared_ptr<Connection>& a,
                                               const std::shared_ptr<Connection>& b) const;
  void choose_victim(const PublicKey& key, const std::shared_ptr<Connection>& connection, Effects& effects);
  void record_close(const Connection& connection, CloseReason reason, const PublicKey* key, Time now);
  void apply(Effects& effects);

  const HostConfig config_;
  Handler& handler_;
  const PublicKey self_;
  const std::set<PublicKey> allowed_;
  const ConnectionLimits limits_;

  // Declared before everything that uses it, so it is destroyed last.
  asio::io_context io_{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::unique_ptr<asio::ssl::context> tls_;
  asio::ip::tcp::acceptor acceptor_{io_};
  asio::steady_timer accept_retry_{io_};
  std::map<PublicKey, Dial> dials_;  // keys fixed at construction; values: network thread
  std::unordered_map<const Connection*, std::shared_ptr<Connection>> connections_;  // network thread
  std::set<const Connection*> handshaking_inbound_;  // inbound, not yet established; network thread
  std::mt19937_64 jitter_{std::random_device{}()};                                   // network thread
  bool stopping_ = false;                                                            // network thread

  mutable std::mutex mutex_;
  PeerBook book_;                   // mutex_
  std::map<PublicKey, Link> links_;  // mutex_; allowed and dial keys only

  TrafficCounters traffic_;
  std::atomic<std::uint64_t> handshakes_ok_{0}, handshakes_failed_{0}, bad_frames_{0}, oversized_frames_{0},
      queue_full_drops_{0}, connections_refused_{0};
  std::atomic<std::uint16_t> port_{0};

  std::mutex lifecycle_mutex_;
  bool started_ = false;  // lifecycle_mutex_
  std::thread thread_;    // lifecycle_mutex_
};

Host::Impl::Impl(HostConfig config, Handler& handler)
    : config_(std::move(config)),
      handler_(handler),
      self_(config_.identity != nullptr ? config_.identity->public_key() : PublicKey{}),
      allowed_(config_.allowed.begin(), config_.allowed.end()),
      limits_{config_.max_frame_bytes, config_.max_send_queue_bytes, config_.ping_interval, config_.idle_timeout,
              config_.handshake_timeout} {
  for (const PeerAddress& address : config_.dial) {
    if (address.key == self_) continue;
    Dial& entry = dials_[address.key];
    entry.address = address;
    entry.timer = std::make_unique<asio::steady_timer>(io_);
    links_[address.key].address = address.host + ":" + std::to_string(address.port);
  }
}

Status Host::Impl::start() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (started_) return Error("already_started", "a Host starts once");
  BIZRA_TRY(validate(config_));
  Result<std::unique_ptr<asio::ssl::context>> tls = make_tls_context(*config_.identity);
  if (!tls.ok()) return tls.error();
  tls_ = std::move(*tls);

  boost::system::error_code error;
  const asio::ip::address address = asio::ip::make_address(config_.listen_host, error);
  const asio::ip::tcp::endpoint endpoint(address, config_.listen_port);
  if (!error) acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return Error("bind_failed", config_.listen_host + ":" + std::to_string(config_.listen_port) + ": " + error.message());
  }
  port_ = acceptor_.local_endpoint().port();

  started_ = true;
  work_.emplace(io_.get_executor());
  asio::post(io_, [this] {
    accept_next();
    for (const auto& [key, entry] : dials_) dial(key);
  });
  thread_ = std::thread([this] { io_.run(); });
  return ok_status();
}

void Host::Impl::stop() {
  std::lock_guard lifecycle(lifecycle_mutex_);
  if (!thread_.joinable()) return;
  asio::post(io_, [this] { shutdown(); });
  work_.reset();
  thread_.join();  // run() returns once every closed connection's handlers have finished
}

void Host::Impl::shutdown() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_retry_.cancel();
  for (auto& [key, entry] : dials_) entry.timer->cancel();
  std::vector<std::shared_ptr<Connection>> all;
  for (const auto& [raw, connection] : connections_) all.push_back(connection);
  for (const auto& connection : all) connection->close(CloseReason::kStopping);
}

std::shared_ptr<Connection> Host::Impl::make_connection(std::optional<PublicKey> dialed) {
  return std::make_shared<Connection>(io_, *tls_, *this, limits_, std::move(dialed), traffic_);
}

void Host::Impl::accept_next() {
  auto connection = make_connection(std::nullopt);  // tracked once accepted
  acceptor_.async_accept(connection->socket(), [this, connection](const boost::system::error_code& error) {
    if (stopping_) return;
    if (error) {
      // Out of descriptors and the like: try again shortly rather than spin.
      accept_retry_.expires_after(kAcceptRetryDelay);
      accept_retry_.async_wait([this](const boost::system::error_code& e) {
        if (!e && !stopping_) accept_next();
      });
      return;
    }
    if (handshaking_inbound_.size() >= config_.max_peers) {
      // A flood of connections that never finish (or never send their first frame): at most
      // max_peers inbound handshakes are in progress, each for at most handshake_timeout.
      connections_refused_.fetch_add(1);
      boost::system::error_code ignored;
      connection->socket().close(ignored);
    } else {
      connections_.emplace(connection.get(), connection);
      handshaking_inbound_.insert(connection.get());
      connection->start_inbound();
    }
    accept_next();
  });
}

void Host::Impl::dial(const PublicKey& key) {
  Dial& entry = dials_.at(key);
  entry.scheduled = false;
  if (stopping_ || entry.in_flight) return;
  bool banned = false;
  {
    std::lock_guard lock(mutex_);
    const Link& link = links_[key];
    if (link.active || !link.authenticating.empty()) return;  // already linked (inbound)
    banned = book_.banned(key, Clock::now());
  }
  if (banned) return schedule_redial(key);  // look again later; the ban may have expired
  entry.in_flight = true;
  auto connection = make_connection(key);
  connections_.emplace(connection.get(), connection);
  connection->start_outbound(entry.address.host, entry.address.port);
}

void Host::Impl::schedule_redial(const PublicKey& key) {
  const auto it = dials_.find(key);
  if (it == dials_.end() || stopping_) return;
  Dial& entry = it->second;
  if (entry.scheduled || entry.in_flight) return;
  {
    std::lock_guard lock(mutex_);
    const Link& link = links_[key];
    if (link.active || !link.authenticating.empty()) return;
  }
  const double unit = std::uniform_real_distribution<double>(0.0, 1.0)(jitter_);
  entry.timer->expires_after(backoff_delay(entry.attempt, config_.reconnect_min, config_.reconnect_max, unit));
  entry.attempt = std::min(entry.attempt + 1, 30u);
  entry.scheduled = true;
  entry.timer->async_wait([this, key](const boost::system::error_code& error) {
    if (!error && !stopping_) dial(key);
  });
}

Verdict Host::Impl::vet_peer(const Connection& connection, const PublicKey& key) {
  if (key == self_) return Verdict::kNotAllowed;
  if (connection.outbound()) return key == *connection.dialed() ? Verdict::kAccept : Verdict::kNotAllowed;
  if (!is_allowed(key)) return Verdict::kNotAllowed;
  std::lock_guard lock(mutex_);
  return book_.admit(key, Clock::now()) == Admission::kAccept ? Verdict::kAccept : Verdict::kRefused;
}

void Host::Impl::on_authenticated(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mutex_);
  links_[*connection->peer()].authenticating.insert(connection.get());
}

// Of two connections to `key`, the one both ends keep: the one initiated by the lower key of
// the pair (each end computes the same answer); between two from the same initiator, the newer
// `b` (the older one is probably stale: its initiator would not have dialed again otherwise).
const std::shared_ptr<Connection>& Host::Impl::preferred(const PublicKey& key, const std::shared_ptr<Connection>& a,
                                                         const std::shared_ptr<Connection>& b) const {
  const PublicKey& lower = std::min(self_, key);
  const auto initiator = [&](const Connection& c) -> const PublicKey& { return c.outbound() ? self_ : key; };
  if (initiator(*a) == initiator(*b)) return b;
  return initiator(*a) == lower ? a : b;
}

void Host::Impl::on_established(const std::shared_ptr<Connection>& connection) {
  handshakes_ok_.fetch_add(1);
  handshaking_inbound_.erase(connection.get());
  const PublicKey key = *connection->peer();
  Effects effects;
  {
    std::lock_guard lock(mutex_);
    Link& link = links_[key];
    link.authenticating.erase(connection.get());
    if (link.active) {
      const std::shared_ptr<Connection> keep = preferred(key, link.active, connection);
      if (keep == connection) connection->adopt(link.active->take_unsent());
      effects.closes.emplace_back(keep == connection ? link.active : connection, CloseReason::kDuplicate);
      link.active = keep;
    } else {
      choose_victim(key, connection, effects);
      if (effects.closes.empty() || effects.closes.front().first != connection) {
        link.active = connection;
        connection->adopt(std::exchange(link.carried, {}));  // under mutex_: before any newer send
        if (!link.up) {
          link.up = true;
          book_.on_connect(key);
          effects.up = key;
        }
      }
    }
    if (link.active) link.address = link.active->remote_address();
  }
  if (effects.up) {
    if (const auto it = dials_.find(key); it != dials_.end()) it->second.attempt = 0;
  }
  apply(effects);
}

// With max_peers connections already up, the new one to `key` replaces the one of lowest health
// — or is itself refused if it is the lowest. Dial peers are never pruned: the operator asked
// for them, and pruning one would only make us dial it again.
void Host::Impl::choose_victim(const PublicKey& key, const std::shared_ptr<Connection>& connection,
                               Effects& effects) {
  std::size_t connected = 0;
  std::vector<PublicKey> candidates;
  for (const auto& [peer, link] : links_) {
    if (!link.active) continue;
    ++connected;
    if (!dials_.contains(peer)) candidates.push_back(peer);
  }
  if (connected < config_.max_peers) return;
  if (!dials_.contains(key)) candidates.push_back(key);
  const std::optional<PublicKey> victim = book_.prune_candidate(candidates);
  if (!victim) return;
  effects.closes.emplace_back(*victim == key ? connection : links_[*victim].active, CloseReason::kPruned);
}

void Host::Impl::on_data(Connection& connection, Bytes body) {
  if (!stopping_) handler_.on_frame(*connection.peer(), std::move(body));
}

void Host::Impl::on_closed(Connection& connection, CloseReason reason) {
  connections_.erase(&connection);  // close() keeps the object alive until it returns
  handshaking_inbound_.erase(&connection);
  if (connection.outbound()) dials_.at(*connection.dialed()).in_flight = false;

  // The key to account to: the authenticated one, else the one we dialed.
  const std::optional<PublicKey>& peer = connection.peer() ? connection.peer() : connection.dialed();
  Effects effects;
  {
    std::lock_guard lock(mutex_);
    record_close(connection, reason, peer && is_allowed(*peer) ? &*peer : nullptr, Clock::now());
    if (peer && is_allowed(*peer)) {
      Link& link = links_[*peer];
      link.authenticating.erase(&connection);
      if (link.active.get() == &connection) {
        link.active.reset();
        link.carried = connection.take_unsent();
      }
      // A link being replaced (another connection to this peer still authenticating, as when
      // both ends dialed and the peer closed the duplicate first) is not down.
      if (link.up && !link.active && link.authenticating.empty()) {
        link.up = false;
        link.carried.clear();
        book_.on_disconnect(*peer);
        effects.down = *peer;
      }
    }
  }
  if (peer) schedule_redial(*peer);
  apply(effects);
}

// Counters and scores for a closed connection (mutex_ held). `key`: the allowed key it belongs
// to, if any; strangers get counters but no record.
void Host::Impl::record_close(const Connection& connection, CloseReason reason, const PublicKey* key, Time now) {
  if (key) {
    Link& link = links_[*key];
    const TrafficCounters& t = connection.traffic();
    link.frames_in += t.frames_in.load();
    link.frames_out += t.frames_out.load();
    link.bytes_in += t.bytes_in.load();
    link.bytes_out += t.bytes_out.load();
  }
  bool failure = false;
  switch (reason) {
    case CloseReason::kOversizedFrame:
    case CloseReason::kBadFrame:
      (reason == CloseReason::kOversizedFrame ? oversized_frames_ : bad_frames_).fetch_add(1);
      if (key) book_.on_bad_message(*key, now);
      failure = true;
      break;
    case CloseReason::kRefused:
      connections_refused_.fetch_add(1);
      return;
    case CloseReason::kStopping:
    case CloseReason::kDuplicate:
    case CloseReason::kPruned:
    case CloseReason::kBanned:
      return;
    case CloseReason::kPeerClosed:
      failure = !connection.established();
      break;
    case CloseReason::kConnectFailed:
    case CloseReason::kHandshakeFailed:
    case CloseReason::kNotAllowed:
    case CloseReason::kHandshakeTimeout:
    case CloseReason::kIdleTimeout:
    case CloseReason::kIoError:
      failure = true;
      break;
  }
  if (!connection.established()) handshakes_failed_.fetch_add(1);
  if (failure && key) book_.on_failure(*key, now);
}

void Host::Impl::apply(Effects& effects) {
  for (auto& [connection, reason] : effects.closes) {
    if (connection) connection->close(reason);
  }
  if (stopping_) return;
  if (effects.down) handler_.on_peer_down(*effects.down);
  if (effects.up) handler_.on_peer_up(*effects.up);
}

void Host::Impl::close_banned(const PublicKey& key) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    const auto it = links_.find(key);
    if (it != links_.end()) connection = it->second.active;
  }
  if (connection) connection->close(CloseReason::kBanned);
}

SendResult Host::Impl::send(const PublicKey& to, Bytes frame) {
  if (frame.size() > config_.max_frame_bytes) return SendResult::kTooLarge;
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard lock(mutex_);
    const auto it = links_.find(to);
    if (it == links_.end() || !it->second.active) return SendResult::kNotConnected;
    connection = it->second.active;
  }
  const SendResult result = connection->send(FrameType::kData, std::make_shared<const Bytes>(std::move(frame)));
  if (result == SendResult::kQueueFull) queue_full_drops_.fetch_add(1);
  return result;
}

void Host::Impl::broadcast(Bytes frame) {
  if (frame.size() > config_.max_frame_bytes) return;
  std::vector<std::shared_ptr<Connection>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [key, link] : links_) {
      if (link.active) targets.push_back(link.active);
    }
  }
  const auto body = std::make_shared<const Bytes>(std::move(frame));  // shared by every queue
  for (const auto& connection : targets) {
    if (connection->send(FrameType::kData, body) == SendResult::kQueueFull) queue_full_drops_.fetch_add(1);
  }
}

void Host::Impl::report(const PublicKey& peer, bool good) {
  if (!is_allowed(peer)) return;
  bool disconnect = false;
  {
    std::lock_guard lock(mutex_);
    const Time now = Clock::now();
    if (good) {
      book_.on_good_message(peer, now);
    } else {
      book_.on_bad_message(peer, now);
      disconnect = book_.banned(peer, now);
    }
  }
  if (disconnect) asio::post(io_, [this, peer] { close_banned(peer); });
}

std::vector<PeerStatus> Host::Impl::peers() const {
  std::lock_guard lock(mutex_);
  const Time now = Clock::now();
  std::vector<PeerStatus> out;
  out.reserve(links_.size());
  for (const auto& [key, link] : links_) {  // a std::map: sorted by key
    const PeerScore score = book_.score(key);
    const Connection* live = link.active.get();
    const auto live_count = [live](const std::atomic<std::uint64_t> TrafficCounters::*field) -> std::uint64_t {
      return live ? (live->traffic().*field).load() : 0;
    };
    out.push_back(PeerStatus{
        .key = key,
        .address = live ? live->remote_address() : link.address,
        .connected = live != nullptr,
        .outbound = live && live->outbound(),
        .quality = score.quality(),
        .reputation = score.reputation(),
        .health = score.health(),
        .failures = score.failures(),
        .banned = score.banned_until() && now < *score.banned_until(),
        .queued_bytes = live ? live->queued_bytes() : 0,
        .frames_in = link.frames_in + live_count(&TrafficCounters::frames_in),
        .frames_out = link.frames_out + live_count(&TrafficCounters::frames_out),
        .bytes_in = link.bytes_in + live_count(&TrafficCounters::bytes_in),
        .bytes_out = link.bytes_out + live_count(&TrafficCounters::bytes_out),
    });
  }
  return out;
}

HostCounters Host::Impl::counters() const {
  return HostCounters{
      .handshakes_ok = handshakes_ok_.load(),
      .handshakes_failed = handshakes_failed_.load(),
      .frames_in = traffic_.frames_in.load(),
      .frames_out = traffic_.frames_out.load(),
      .bytes_in = traffic_.bytes_in.load(),
      .bytes_out = traffic_.bytes_out.load(),
      .bad_frames = bad_frames_.load(),
      .oversized_frames = oversized_frames_.load(),
      .queue_full_drops = queue_full_drops_.load(),
      .connections_refused = connections_refused_.load(),
  };
}

Host::Host(HostConfig config, Handler& handler) : impl_(std::make_unique<Impl>(std::move(config), handler)) {}
Host::~Host() { stop(); }
Status Host::start() { return impl_->start(); }
void Host::stop() { impl_->stop(); }
std::uint16_t Host::port() const { return impl_->port(); }
SendResult Host::send(const crypto::PublicKey& to, Bytes frame) { return impl_->send(to, std::move(frame)); }
void Host::broadcast(Bytes frame) { impl_->broadcast(std::move(frame)); }
void Host::report(const crypto::PublicKey& peer, bool good) { impl_->report(peer, good); }
std::vector<PeerStatus> Host::peers() const { return impl_->peers(); }
HostCounters Host::counters() const { return impl_->counters(); }

}  // namespace bizra::net
