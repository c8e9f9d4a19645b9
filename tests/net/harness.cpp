#include "harness.hpp"

#include <algorithm>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

namespace bizra::net::testing {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

crypto::SecretKey make_key(std::uint8_t seed) {
  Bytes bytes(crypto::SecretKey::kSeedSize, 0);
  bytes[0] = seed;
  bytes[31] = 0x5a;
  return std::move(crypto::SecretKey::from_seed(bytes).value());
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

void RecordingHandler::on_frame(const crypto::PublicKey& from, Bytes frame) {
  std::lock_guard lock(mutex_);
  frames_.push_back({from, std::move(frame)});
  changed_.notify_all();
}

void RecordingHandler::on_peer_up(const crypto::PublicKey& peer) {
  std::lock_guard lock(mutex_);
  ups_.push_back(peer);
  changed_.notify_all();
}

void RecordingHandler::on_peer_down(const crypto::PublicKey& peer) {
  std::lock_guard lock(mutex_);
  downs_.push_back(peer);
  changed_.notify_all();
}

bool RecordingHandler::wait(const std::function<bool(const RecordingHandler&)>& predicate) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, kWait, [&] { return predicate(*this); });
}

int RecordingHandler::ups_locked(const crypto::PublicKey& peer) const {
  return static_cast<int>(std::count(ups_.begin(), ups_.end(), peer));
}

int RecordingHandler::downs_locked(const crypto::PublicKey& peer) const {
  return static_cast<int>(std::count(downs_.begin(), downs_.end(), peer));
}

int RecordingHandler::ups(const crypto::PublicKey& peer) const {
  std::lock_guard lock(mutex_);
  return ups_locked(peer);
}

int RecordingHandler::downs(const crypto::PublicKey& peer) const {
  std::lock_guard lock(mutex_);
  return downs_locked(peer);
}

std::vector<ReceivedFrame> RecordingHandler::frames() const {
  std::lock_guard lock(mutex_);
  return frames_;
}

HostConfig test_config(const crypto::SecretKey& identity) {
  HostConfig config;
  config.identity = &identity;
  config.ping_interval = std::chrono::milliseconds(200);
  config.idle_timeout = std::chrono::milliseconds(5000);
  config.handshake_timeout = std::chrono::milliseconds(3000);
  config.reconnect_min = std::chrono::milliseconds(20);
  config.reconnect_max = std::chrono::milliseconds(200);
  return config;
}

TlsClient::TlsClient(const crypto::SecretKey& identity, Mode mode) {
  if (mode == Mode::kNoCertificate) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  } else {
    tls_ = std::move(make_tls_context(identity).value());
    if (mode == Mode::kTls12Only) {
      SSL_CTX_set_min_proto_version(tls_->native_handle(), TLS1_2_VERSION);
      SSL_CTX_set_max_proto_version(tls_->native_handle(), TLS1_2_VERSION);
    }
  }
  stream_.emplace(io_, *tls_);
  set_peer_verifier(stream_->native_handle(), this);
}

bool TlsClient::run(std::chrono::milliseconds timeout, const bool& done) {
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) io_.run_one_for(std::chrono::milliseconds(50));
  if (done) return true;
  // Timed out: abort the pending operation and let its handler finish now, while the locals it
  // refers to still exist.
  boost::system::error_code ignored;
  stream_->next_layer().close(ignored);
  while (!done) io_.run_one();
  return false;
}

bool TlsClient::connect(std::uint16_t port) {
  bool done = false;
  bool ok = false;
  const tcp::endpoint server(asio::ip::make_address("127.0.0.1"), port);
  stream_->next_layer().async_connect(server, [&](const boost::system::error_code& error) {
    if (error) {
      done = true;
      return;
    }
    stream_->async_handshake(asio::ssl::stream_base::client, [&](const boost::system::error_code& handshake_error) {
      ok = !handshake_error;
      done = true;
    });
  });
  return run(kWait, done) && ok;
}

bool TlsClient::write(ByteSpan bytes) {
  bool done = false;
  bool ok = false;
  asio::async_write(*stream_, asio::buffer(bytes.data(), bytes.size()),
                    [&](const boost::system::error_code& error, std::size_t) {
                      ok = !error;
                      done = true;
                    });
  return run(kWait, done) && ok;
}

bool TlsClient::wait_closed(std::chrono::milliseconds timeout) {
  bool closed = false;
  std::array<std::uint8_t, 4096> buffer{};
  std::function<void()> read_more = [&] {
    stream_->async_read_some(asio::buffer(buffer), [&](const boost::system::error_code& error, std::size_t) {
      if (error) {
        closed = true;
      } else {
        read_more();
      }
    });
  };
  read_more();
  return run(timeout, closed);
}

bool send_garbage_and_wait_closed(std::uint16_t port, ByteSpan garbage) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  asio::write(socket, asio::buffer(garbage.data(), garbage.size()));
  bool closed = false;
  std::array<std::uint8_t, 4096> buffer{};
  std::function<void()> read_more = [&] {
    socket.async_read_some(asio::buffer(buffer), [&](const boost::system::error_code& error, std::size_t) {
      if (error) {
        closed = true;
      } else {
        read_more();
      }
    });
  };
  read_more();
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!closed && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
  return closed;
}

}  // namespace bizra::net::testing
