#pragma once
// Ports on 127.0.0.1 that are free right now, for tests that start servers whose addresses must
// be known before they start (configs, genesis files). They are drawn at random below the
// kernel's ephemeral range (net.ipv4.ip_local_port_range): an outgoing connection of any process
// takes its local port from that range, so it cannot grab one of ours between this check and the
// server's bind (with many test processes connecting at once, the way such a port used to be
// lost). All n sockets stay bound until every port is chosen, so the ports are distinct; they are
// released on return, so a rare race with another test drawing the same port remains.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

namespace bizra::testing {

// The first port of the kernel's ephemeral range (32768 when it cannot be read).
inline int ephemeral_range_start() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  int first = 0;
  return range >> first && first > 1024 ? first : 32768;
}

// A socket bound to 127.0.0.1:port, or -1.
inline int bound_socket(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline std::vector<std::uint16_t> free_ports(std::size_t n) {
  constexpr int kLowest = 10000;
  const int end = ephemeral_range_start();
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> draw(kLowest, std::max(kLowest, end - 1));
  std::vector<int> sockets;
  std::vector<std::uint16_t> ports;
  for (int tries = 0; ports.size() < n && tries < 10'000; ++tries) {
    const auto port = static_cast<std::uint16_t>(draw(rng));
    if (std::find(ports.begin(), ports.end(), port) != ports.end()) continue;
    const int fd = bound_socket(port);
    if (fd < 0) continue;
    sockets.push_back(fd);
    ports.push_back(port);
  }
  for (const int s : sockets) ::close(s);
  if (ports.size() < n) throw std::runtime_error("no free port on 127.0.0.1 below the ephemeral range");
  return ports;
}

inline std::uint16_t free_port() { return free_ports(1)[0]; }

}  // namespace bizra::testing
