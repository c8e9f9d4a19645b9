#pragma once
// Ports on 127.0.0.1 that the kernel considers free right now, for tests that start servers
// whose addresses must be known before they start (configs, genesis files). All n sockets stay
// bound until every port is chosen, so the ports are distinct; they are released on return, so a
// rare race with another process remains.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace bizra::testing {

inline std::vector<std::uint16_t> free_ports(std::size_t n) {
  std::vector<int> sockets;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < n; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool bound = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;
    if (fd >= 0) sockets.push_back(fd);
    if (!bound) {
      for (const int s : sockets) ::close(s);
      throw std::runtime_error("no free port on 127.0.0.1");
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (const int s : sockets) ::close(s);
  return ports;
}

inline std::uint16_t free_port() { return free_ports(1)[0]; }

}  // namespace bizra::testing
