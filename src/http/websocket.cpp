#include "http/websocket.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "codec/json.hpp"
#include "http/message.hpp"
#include "http/websocket_upgrade.hpp"

namespace bizra::http {
namespace {

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Message = std::shared_ptr<const std::string>;

constexpr std::size_t kMaxInboundBytes = 4096;
// Requests that earn an error, per heartbeat interval, before the connection is closed: a client
// may get a request wrong, but one that only sends garbage costs us parsing for nothing.
constexpr std::size_t kMaxErrorsPerInterval = 16;
// The inbound buffer keeps at most this much capacity between messages (idle memory).
constexpr std::size_t kKeptInboundCapacity = 512;
constexpr std::size_t kKeptBatchCapacity = 64;

std::optional<std::size_t> topic_index(std::string_view topic) {
  for (std::size_t i = 0; i < WebSocketHub::kTopicCount; ++i) {
    if (WebSocketHub::kTopics[i] == topic) return i;
  }
  return std::nullopt;
}

constexpr unsigned bit(std::size_t topic) { return 1U << topic; }
constexpr std::size_t kAttestations = 2;
static_assert(WebSocketHub::kTopics[kAttestations] == "attestations");

std::string topics_json(unsigned mask) {
  std::string out = "[";
  for (std::size_t i = 0; i < WebSocketHub::kTopicCount; ++i) {
    if ((mask & bit(i)) == 0) continue;
    if (out.size() > 1) out += ',';
    out += json_quote(WebSocketHub::kTopics[i]);
  }
  return out + "]";
}

Message make_message(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

Message error_message(std::string_view code, std::string_view message) {
  return make_message(R"({"type":"error","code":)" + json_quote(code) + R"(,"message":)" + json_quote(message) + "}");
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// An attestations filter: empty strings match everything.
struct Filter {
  std::string attestation_id;
  std::string attester;
  bool matches(const EventKeys& keys) const {
    return (attestation_id.empty() || keys.attestation_id == attestation_id) &&
           (attester.empty() || keys.attester == attester);
  }
};

// {"attestations":{"id":"<64 hex>"}} or {"attestations":{"attester":"bz<40 hex>"}}.
Result<Filter> parse_filter(const json::Value& value) {
  const auto bad = [](std::string_view why) { return Error("bad_filter", std::string(why)); };
  if (!value.is_object() || value.members().size() != 1 || value.members()[0].first != "attestations") {
    return bad(R"(filter must be {"attestations":{"id":...}} or {"attestations":{"attester":...}})");
  }
  const json::Value& inner = value.members()[0].second;
  if (!inner.is_object() || inner.members().size() != 1 || !inner.members()[0].second.is_string()) {
    return bad("the attestations filter must have exactly one string member, id or attester");
  }
  const auto& [key, text] = inner.members()[0];
  const std::string& s = text.as_string();
  Filter filter;
  if (key == "id" && s.size() == 64 && is_lower_hex(s)) {
    filter.attestation_id = s;
  } else if (key == "attester" && s.size() == 42 && s.starts_with("bz") && is_lower_hex(s.substr(2))) {
    filter.attester = s;
  } else {
    return bad("id must be 64 lowercase hex digits, attester \"bz\" and 40 lowercase hex digits");
  }
  return filter;
}

// The topics of a request's "topics" array as a mask; every name must be known.
Result<unsigned> parse_topics(const json::Value* topics) {
  if (topics == nullptr || !topics->is_array()) return Error("bad_request", "\"topics\" must be an array of strings");
  unsigned mask = 0;
  for (const json::Value& item : topics->items()) {
    if (!item.is_string()) return Error("bad_request", "\"topics\" must be an array of strings");
    const auto index = topic_index(item.as_string());
    if (!index) return Error("unknown_topic", "unknown topic " + json_quote(item.as_string()));
    mask |= bit(*index);
  }
  return mask;
}

}  // namespace

class WebSocketSession;

struct WebSocketHub::Impl {
  explicit Impl(WebSocketConfig c) : config(c) {}

  void add(const std::shared_ptr<WebSocketSession>& session);
  void remove(WebSocketSession* session);
  void sweep();

  const WebSocketConfig config;
  std::atomic<std::size_t> open{0};
  std::atomic<std::uint64_t> accepted{0}, rejected{0}, delivered{0}, slow_closes{0}, dropped{0},
      heartbeat_closes{0}, max_queued{0};
  std::array<std::atomic<std::uint64_t>, kTopicCount> subscribers{};

  // Connections past their handshake. Publishers read it under a shared lock; connections add and
  // remove themselves.
  mutable std::shared_mutex mutex;
  std::vector<std::shared_ptr<WebSocketSession>> sessions;

  // The heartbeat sweep, on the attached server's io_context. Touched only by its own handler and
  // by attach/detach while no I/O thread runs.
  std::optional<net::steady_timer> timer;
};

WebSocketHub::Impl& hub_impl(WebSocketHub& hub) { return *hub.impl_; }

// One WebSocket connection. Everything except offer() runs on the socket's strand; offer() runs on
// publishers' threads and shares only the fields under `mutex_` with the strand.
class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(WebSocketHub::Impl& hub, tcp::socket&& socket) : hub_(hub), ws_(std::move(socket)) {}
  ~WebSocketSession() { hub_.open.fetch_sub(1); }
  WebSocketSession(const WebSocketSession&) = delete;
  WebSocketSession& operator=(const WebSocketSession&) = delete;

  void start(const detail::WebSocketRequest& request) {
    // Whole messages in one frame: auto-fragmenting would allocate a write buffer per connection.
    ws_.auto_fragment(false);
    ws_.read_message_max(kMaxInboundBytes);
    ws_.control_callback([this](websocket::frame_type, beast::string_view) { last_heard_ = Clock::now(); });
    ws_.async_accept(request, [self = shared_from_this()](error_code ec) {
      if (ec) return;  // Beast answered the bad handshake; dropping the session closes the socket
      self->on_open();
    });
  }

  std::size_t index = 0;  // in Impl::sessions, under Impl::mutex

  // Publisher side: queues `message` if this connection subscribed to `topic` (and its filter
  // matches).
  void offer(std::size_t topic, const EventKeys& keys, const Message& message) {
    std::lock_guard lock(mutex_);
    if ((mask_ & bit(topic)) == 0 || (topic == kAttestations && !filter_.matches(keys))) return;
    enqueue_locked(message, true);
  }

  // From the hub's sweep: ping, or close a connection that has been silent for two intervals.
  void heartbeat() {
    net::post(ws_.get_executor(), [self = shared_from_this()] { self->on_heartbeat(); });
  }

 private:
  struct Queued {
    Message message;
    bool event;
  };

  void on_open() {
    last_heard_ = Clock::now();
    hub_.accepted.fetch_add(1);
    hub_.add(shared_from_this());
    send(make_message(R"({"type":"welcome","topics":)" + topics_json(bit(WebSocketHub::kTopicCount) - 1) +
                      R"(,"heartbeat_ms":)" + std::to_string(hub_.config.heartbeat.count()) + "}"));
    read();
  }

  void read() {
    ws_.async_read(inbound_, [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  // A read error is final: the peer closed, the connection broke, or the message was too big (Beast
  // has then sent close code 1009 itself).
  void on_read(error_code ec) {
    if (ec) return finish();
    last_heard_ = Clock::now();
    const std::string text = beast::buffers_to_string(inbound_.data());
    inbound_.consume(inbound_.size());
    if (inbound_.capacity() > kKeptInboundCapacity) inbound_.shrink_to_fit();
    if (!ws_.got_text()) {
      fail("bad_request", "messages must be JSON text frames");
    } else {
      handle(text);
    }
    if (!closing_) read();
  }

  void handle(std::string_view text) {
    auto request = json::parse(text, {.max_bytes = kMaxInboundBytes, .max_depth = 8});
    if (!request) return fail("bad_json", request.error().message());
    const json::Value* op = request->find("op");
    if (op == nullptr || !op->is_string()) return fail("bad_request", R"(a request needs a string "op")");
    const std::string& name = op->as_string();
    if (name == "ping") return send(make_message(R"({"type":"pong"})"));
    if (name == "subscribe") return subscribe(*request);
    if (name == "unsubscribe") return unsubscribe(*request);
    fail("unknown_op", "unknown op " + json_quote(name));
  }

  void subscribe(const json::Value& request) {
    auto topics = parse_topics(request.find("topics"));
    if (!topics) return fail(topics.error().code(), topics.error().message());
    std::optional<Filter> filter;
    if (const json::Value* value = request.find("filter")) {
      auto parsed = parse_filter(*value);
      if (!parsed) return fail(parsed.error().code(), parsed.error().message());
      filter = std::move(*parsed);
    }
    std::lock_guard lock(mutex_);
    if (filter) filter_ = std::move(*filter);
    set_mask_locked(mask_ | *topics);
    enqueue_locked(make_message(R"({"type":"subscribed","topics":)" + topics_json(mask_) + "}"), false);
  }

  void unsubscribe(const json::Value& request) {
    auto topics = parse_topics(request.find("topics"));
    if (!topics) return fail(topics.error().code(), topics.error().message());
    std::lock_guard lock(mutex_);
    set_mask_locked(mask_ & ~*topics);
    if ((mask_ & bit(kAttestations)) == 0) filter_ = {};
    enqueue_locked(make_message(R"({"type":"unsubscribed","topics":)" + topics_json(mask_) + "}"), false);
  }

  void set_mask_locked(unsigned mask) {
    for (std::size_t i = 0; i < WebSocketHub::kTopicCount; ++i) {
      const bool was = (mask_ & bit(i)) != 0, is = (mask & bit(i)) != 0;
      if (is && !was) hub_.subscribers[i].fetch_add(1);
      if (was && !is) hub_.subscribers[i].fetch_sub(1);
    }
    mask_ = mask;
  }

  void fail(std::string_view code, std::string_view message) {
    if (++errors_ > kMaxErrorsPerInterval) return close_with(websocket::close_code::policy_error, "too many errors");
    send(error_message(code, message));
  }

  void send(const Message& message) {
    std::lock_guard lock(mutex_);
    enqueue_locked(message, false);
  }

  // Bounded queue: past max_queue_bytes the connection is given up (1008 "slow consumer") rather
  // than dropping single messages silently, so a client never sees a stream with holes.
  void enqueue_locked(const Message& message, bool event) {
    if (closed_ || overflowed_) {
      if (event) hub_.dropped.fetch_add(1);
      return;
    }
    if (queued_bytes_ + message->size() > hub_.config.max_queue_bytes) {
      overflowed_ = true;
      if (event) hub_.dropped.fetch_add(1);
      hub_.slow_closes.fetch_add(1);
      pending_.clear();
      pending_.shrink_to_fit();
      net::post(ws_.get_executor(), [self = shared_from_this()] {
        self->close_with(websocket::close_code::policy_error, "slow consumer");
      });
      return;
    }
    pending_.push_back({message, event});
    queued_bytes_ += message->size();
    std::uint64_t seen = hub_.max_queued.load();
    while (queued_bytes_ > seen && !hub_.max_queued.compare_exchange_weak(seen, queued_bytes_)) {
    }
    if (!writing_) {
      writing_ = true;
      net::post(ws_.get_executor(), [self = shared_from_this()] { self->write_next(); });
    }
  }

  // Writes the queue one message at a time; publishers append to `pending_` meanwhile, and the
  // writer takes it over whole when its own batch is done.
  void write_next() {
    if (next_ == sending_.size()) {
      sending_.clear();
      // After a burst of small messages the batch vector would keep its capacity (up to
      // max_queue_bytes / message size entries) on an idle connection.
      if (sending_.capacity() > kKeptBatchCapacity) sending_.shrink_to_fit();
      next_ = 0;
      std::lock_guard lock(mutex_);
      if (pending_.empty() || overflowed_ || closed_) {
        writing_ = false;
        return;
      }
      std::swap(sending_, pending_);
    }
    const Message& message = sending_[next_].message;
    ws_.async_write(net::buffer(*message), [self = shared_from_this()](error_code ec, std::size_t) {
      self->on_written(ec);
    });
  }

  void on_written(error_code ec) {
    const Queued& done = sending_[next_++];
    if (done.event) hub_.delivered.fetch_add(1);
    {
      std::lock_guard lock(mutex_);
      queued_bytes_ -= done.message->size();
      if (ec || overflowed_) {
        writing_ = false;
        sending_.clear();
        sending_.shrink_to_fit();
        next_ = 0;
        return;
      }
    }
    write_next();
  }

  void on_heartbeat() {
    errors_ = 0;
    const auto interval = hub_.config.heartbeat;
    const auto now = Clock::now();
    if (now - last_heard_ > 2 * interval || (closing_ && now - closing_since_ > 2 * interval)) {
      if (!closing_) hub_.heartbeat_closes.fetch_add(1);
      return force_close();
    }
    if (closing_ || pinging_) return;
    pinging_ = true;
    ws_.async_ping({}, [self = shared_from_this()](error_code) { self->pinging_ = false; });
  }

  // Sends a close frame once the message being written is out (Beast waits for it). A peer that
  // does not read it is cut off by the heartbeat sweep two intervals later.
  void close_with(websocket::close_code code, const char* reason) {
    if (closing_) return;
    closing_ = true;
    closing_since_ = Clock::now();
    {
      std::lock_guard lock(mutex_);
      overflowed_ = true;  // nothing more is queued
      pending_.clear();
    }
    ws_.async_close(websocket::close_reason(code, reason), [self = shared_from_this()](error_code) {
      self->force_close();
    });
  }

  void force_close() {
    error_code ignored;
    beast::get_lowest_layer(ws_).close(ignored);
    finish();
  }

  // Leaves the hub; the session is freed when its last pending handler returns.
  void finish() {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = true;
      set_mask_locked(0);
      pending_.clear();
    }
    closing_ = true;
    hub_.remove(this);
  }

  WebSocketHub::Impl& hub_;
  websocket::stream<tcp::socket> ws_;
  beast::flat_buffer inbound_;
  Clock::time_point last_heard_{}, closing_since_{};
  std::size_t errors_ = 0;
  bool pinging_ = false, closing_ = false;
  std::vector<Queued> sending_;  // the batch being written, from next_ on
  std::size_t next_ = 0;

  std::mutex mutex_;  // guards what publishers touch:
  unsigned mask_ = 0;
  Filter filter_;
  std::vector<Queued> pending_;
  std::size_t queued_bytes_ = 0;  // pending_ and the unwritten part of sending_
  bool writing_ = false, overflowed_ = false, closed_ = false;
};

void WebSocketHub::Impl::add(const std::shared_ptr<WebSocketSession>& session) {
  std::unique_lock lock(mutex);
  session->index = sessions.size();
  sessions.push_back(session);
}

void WebSocketHub::Impl::remove(WebSocketSession* session) {
  std::unique_lock lock(mutex);
  const std::size_t i = session->index;
  if (i >= sessions.size() || sessions[i].get() != session) return;  // already dropped by detach
  std::swap(sessions[i], sessions.back());
  sessions[i]->index = i;
  sessions.pop_back();
}

void WebSocketHub::Impl::sweep() {
  timer->expires_after(config.heartbeat);
  timer->async_wait([this](error_code ec) {
    if (ec) return;
    {
      std::shared_lock lock(mutex);
      for (const auto& session : sessions) session->heartbeat();
    }
    sweep();
  });
}

WebSocketHub::WebSocketHub(WebSocketConfig config) : impl_(std::make_unique<Impl>(config)) {
  if (config.heartbeat.count() <= 0) throw std::invalid_argument("WebSocketConfig::heartbeat must be positive");
}
WebSocketHub::~WebSocketHub() = default;

const WebSocketConfig& WebSocketHub::config() const { return impl_->config; }

void WebSocketHub::publish(std::string_view topic, std::string_view data_json, const EventKeys& keys) {
  const auto index = topic_index(topic);
  if (!index) throw std::invalid_argument("WebSocketHub::publish: unknown topic " + std::string(topic));
  std::shared_lock lock(impl_->mutex);
  if (impl_->subscribers[*index].load() == 0) return;  // nobody to build the message for
  std::string text;
  text.reserve(data_json.size() + topic.size() + 40);
  text.append(R"({"type":"event","topic":")").append(topic).append(R"(","data":)").append(data_json).append("}");
  const Message message = make_message(std::move(text));
  for (const auto& session : impl_->sessions) session->offer(*index, keys, message);
}

WebSocketHub::Counters WebSocketHub::counters() const {
  const Impl& s = *impl_;
  Counters c{s.open.load(),      s.accepted.load(), s.rejected.load(),         s.delivered.load(),
             s.slow_closes.load(), s.dropped.load(),  s.heartbeat_closes.load(), s.max_queued.load(), {}};
  for (std::size_t i = 0; i < kTopicCount; ++i) c.subscribers[i] = s.subscribers[i].load();
  return c;
}

namespace detail {

bool websocket_accept(WebSocketHub& hub, tcp::socket& socket, const WebSocketRequest& request) {
  WebSocketHub::Impl& impl = hub_impl(hub);
  if (impl.open.fetch_add(1) >= impl.config.max_connections) {
    impl.open.fetch_sub(1);
    impl.rejected.fetch_add(1);
    return false;
  }
  std::make_shared<WebSocketSession>(impl, std::move(socket))->start(request);
  return true;
}

void websocket_attach(WebSocketHub& hub, net::io_context& io) {
  WebSocketHub::Impl& impl = hub_impl(hub);
  if (impl.timer) throw std::logic_error("WebSocketHub attached to two servers");
  impl.timer.emplace(io);
  impl.sweep();
}

void websocket_detach(WebSocketHub& hub) {
  WebSocketHub::Impl& impl = hub_impl(hub);
  impl.timer.reset();
  std::vector<std::shared_ptr<WebSocketSession>> sessions;
  {
    std::unique_lock lock(impl.mutex);
    sessions.swap(impl.sessions);
  }
  // The connections are destroyed with the io_context's pending handlers, without finishing.
  for (auto& count : impl.subscribers) count.store(0);
}

}  // namespace detail
}  // namespace bizra::http
