// WebSocket fan-out benchmark (docs/http.md "WebSocket", spec/api.md: 10 000 connections,
// 100 000 messages/s). An in-process Server + WebSocketHub, N client connections subscribed to
// "blocks", and one thread publishing as fast as the clients keep up.
//
// The clients run in a child process (forked before any thread starts), so each process needs only
// N descriptors and the server's RSS is measured alone. They are raw non-blocking sockets read by
// one epoll thread that only splits frames and counts text frames, so the client side costs little
// CPU. The processes share a few atomics in a MAP_SHARED page.
// Publishing is flow-controlled (at most kWindow messages per client in flight) so that the
// measurement is the sustained delivery rate, not the slow-consumer limit.
//
//   bench_ws_fanout [--clients N] [--seconds S] [--payload BYTES] [--threads T]
//
// Prints: connections held, RSS per idle connection (VmRSS delta / N after every client is
// subscribed, before publishing), messages/s delivered (sum over clients, counted on the client
// side), and the hub's counters.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <new>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/server.hpp"
#include "http/websocket.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kWindow = 32;  // messages per client published but not yet received

long rss_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

// Raises the descriptor limit to `wanted` (the hard limit too where the process may, as root can),
// else to the hard limit; returns how many descriptors may be open.
rlim_t raise_fd_limit(rlim_t wanted) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  const rlimit raised{std::max(limit.rlim_cur, wanted), std::max(limit.rlim_max, wanted)};
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  return limit.rlim_cur;
}

// Frame splitter for server-to-client frames (never masked).
struct Conn {
  int fd = -1;
  std::uint8_t header[14] = {};
  std::uint8_t header_len = 0;
  std::uint64_t skip = 0;  // payload bytes of the current frame still to come

  // Returns the number of complete text-frame headers seen in `data`.
  std::uint64_t feed(const std::uint8_t* p, std::size_t n) {
    std::uint64_t texts = 0;
    const std::uint8_t* end = p + n;
    while (p < end) {
      if (skip > 0) {
        const auto take = std::min<std::uint64_t>(skip, static_cast<std::uint64_t>(end - p));
        p += take;
        skip -= take;
        continue;
      }
      header[header_len++] = *p++;
      if (header_len < 2) continue;
      const std::uint8_t len7 = header[1] & 0x7f;
      const std::size_t need = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0);
      if (header_len < need) continue;
      std::uint64_t length = len7;
      if (len7 >= 126) {
        length = 0;
        for (std::size_t i = 2; i < need; ++i) length = (length << 8) | header[i];
      }
      if ((header[0] & 0x0f) == 1) ++texts;
      skip = length;
      header_len = 0;
    }
    return texts;
  }
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Connects, upgrades and subscribes to "blocks" with blocking calls; returns the frames already
// received after the 101 (welcome, maybe more), or -1 on failure.
long open_client(Conn& conn, std::uint16_t port) {
  conn.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(conn.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) return -1;
  const std::string_view upgrade =
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  if (!write_all(conn.fd, upgrade)) return -1;
  std::string response;
  std::array<char, 1024> chunk{};
  std::size_t end = std::string::npos;
  while (end == std::string::npos) {
    const ssize_t n = ::recv(conn.fd, chunk.data(), chunk.size(), 0);
    if (n <= 0) return -1;
    response.append(chunk.data(), static_cast<std::size_t>(n));
    end = response.find("\r\n\r\n");
  }
  if (response.rfind("HTTP/1.1 101", 0) != 0) return -1;
  const std::string_view subscribe = R"({"op":"subscribe","topics":["blocks"]})";
  std::string frame = {'\x81', static_cast<char>(0x80 | subscribe.size()), 0, 0, 0, 0};  // mask key 0
  frame += subscribe;
  if (!write_all(conn.fd, frame)) return -1;
  const std::string rest = response.substr(end + 4);
  return static_cast<long>(conn.feed(reinterpret_cast<const std::uint8_t*>(rest.data()), rest.size()));
}

struct Options {
  std::size_t clients = 1000;
  double seconds = 3;
  std::size_t payload = 200;
  std::size_t threads = 2;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--clients") o.clients = std::strtoul(value, nullptr, 10);
    else if (flag == "--seconds") o.seconds = std::strtod(value, nullptr);
    else if (flag == "--payload") o.payload = std::strtoul(value, nullptr, 10);
    else if (flag == "--threads") o.threads = std::strtoul(value, nullptr, 10);
    else {
      std::fprintf(stderr, "unknown flag %s\n", argv[i]);
      std::exit(2);
    }
  }
  return o;
}

// What the two processes share.
struct SharedState {
  std::atomic<std::uint16_t> port{0};     // set by the server once listening
  std::atomic<std::uint64_t> received{0};  // text frames received by all clients
  std::atomic<int> clients_failed{0};
  std::atomic<bool> stop{false};
};

// The child: connects every client, then counts frames until told to stop.
int run_clients(SharedState& shared, std::size_t n) {
  while (shared.port.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::vector<Conn> conns(n);
  for (Conn& conn : conns) {
    const long early = open_client(conn, shared.port.load());
    if (early < 0) {
      std::fprintf(stderr, "client %zu failed to connect/upgrade: %s\n",
                   static_cast<std::size_t>(&conn - conns.data()), std::strerror(errno));
      shared.clients_failed.store(1);
      return 1;
    }
    shared.received += static_cast<std::uint64_t>(early);
  }
  const int epoll = epoll_create1(0);
  for (Conn& conn : conns) {
    ::fcntl(conn.fd, F_SETFL, ::fcntl(conn.fd, F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &conn;
    epoll_ctl(epoll, EPOLL_CTL_ADD, conn.fd, &event);
  }
  std::vector<epoll_event> events(1024);
  std::vector<std::uint8_t> buffer(256 << 10);
  while (!shared.stop.load(std::memory_order_relaxed)) {
    const int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < ready; ++i) {
      Conn& conn = *static_cast<Conn*>(events[static_cast<std::size_t>(i)].data.ptr);
      for (;;) {
        const ssize_t got = ::recv(conn.fd, buffer.data(), buffer.size(), 0);
        if (got <= 0) break;
        shared.received.fetch_add(conn.feed(buffer.data(), static_cast<std::size_t>(got)), std::memory_order_relaxed);
      }
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options = parse(argc, argv);
  const rlim_t fds = raise_fd_limit(options.clients + 64);
  if (fds < options.clients + 64) {
    const std::size_t fit = fds > 64 ? static_cast<std::size_t>(fds - 64) : 0;
    std::printf("RLIMIT_NOFILE hard limit %lu is too low for %zu clients: running %zu\n",
                static_cast<unsigned long>(fds), options.clients, fit);
    options.clients = fit;
  }
  const std::size_t n = options.clients;

  void* page = mmap(nullptr, sizeof(SharedState), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 1;
  auto& shared = *new (page) SharedState;
  const pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) _exit(run_clients(shared, n));

  const long rss_before = rss_kib();
  bizra::http::Router router;
  bizra::http::WebSocketHub hub(
      {.max_connections = n + 16, .max_queue_bytes = 1 << 20, .heartbeat = std::chrono::seconds(60)});
  bizra::http::Server server({.threads = options.threads, .max_connections = n + 16, .websocket = &hub}, router);
  if (auto started = server.start(); !started) {
    std::fprintf(stderr, "start: %s\n", std::string(started.error().message()).c_str());
    return 1;
  }
  const long rss_started = rss_kib();
  shared.port.store(server.port());

  // Every client has its welcome and subscribed answers: all connections idle and subscribed.
  const auto setup_deadline = Clock::now() + std::chrono::seconds(120);
  while (shared.received.load() < 2 * n && shared.clients_failed.load() == 0 && Clock::now() < setup_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  int status = 0;
  if (shared.received.load() < 2 * n) {
    std::fprintf(stderr, "only %lu of %zu setup messages arrived\n", static_cast<unsigned long>(shared.received.load()),
                 2 * n);
    shared.stop.store(true);
    waitpid(child, &status, 0);
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long rss_idle = rss_kib();

  const std::string payload = "{\"pad\":\"" + std::string(options.payload, 'x') + "\"}";
  const std::uint64_t base = shared.received.load();
  std::uint64_t published = 0;
  const auto start = Clock::now();
  const auto until = start + std::chrono::duration<double>(options.seconds);
  while (Clock::now() < until) {
    if (published * n > shared.received.load(std::memory_order_relaxed) - base + kWindow * n) {
      std::this_thread::yield();
      continue;
    }
    hub.publish("blocks", payload);
    ++published;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const std::uint64_t delivered = shared.received.load() - base;
  const auto counters = hub.counters();
  const long rss_end = rss_kib();
  shared.stop.store(true);
  waitpid(child, &status, 0);

  std::printf("clients            %zu (separate process; server threads %zu; event message %zu bytes)\n", n,
              options.threads, payload.size() + 41);
  std::printf("connections held   %lu\n", static_cast<unsigned long>(counters.connections_open));
  std::printf("RSS per idle conn  %.1f KiB (server VmRSS %ld KiB started, %ld KiB with the idle connections)\n",
              static_cast<double>(rss_idle - rss_started) / static_cast<double>(n), rss_started, rss_idle);
  std::printf("published          %lu events in %.2f s (%.0f/s)\n", static_cast<unsigned long>(published), elapsed,
              static_cast<double>(published) / elapsed);
  std::printf("delivered          %.0f messages/s (sum over clients, counted by the clients)\n",
              static_cast<double>(delivered) / elapsed);
  std::printf("slow-consumer closes %lu, max queued bytes %lu, server VmRSS after publishing %ld KiB (before start %ld)\n",
              static_cast<unsigned long>(counters.slow_consumer_closes),
              static_cast<unsigned long>(counters.max_queued_bytes), rss_end, rss_before);
  server.stop();
  return 0;
}
