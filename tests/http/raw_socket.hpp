#pragma once
// A plain blocking TCP connection to 127.0.0.1 for server tests that need byte-level control
// (partial headers, lying Content-Length, garbage). Every read and write is bounded by a safety
// timeout, so a server that hangs fails the test instead of hanging it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace bizra::http::testing {

inline constexpr int kSafetySeconds = 10;

struct RawResponse {
  int status = 0;
  std::string head;  // status line and fields
  std::string body;
  bool has_header(std::string_view line) const { return head.find(line) != std::string::npos; }
};

class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const timeval limit{kSafetySeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return connected_; }

  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response (header, then a Content-Length body), or nullopt if the connection closed or the
  // safety timeout passed first.
  std::optional<RawResponse> read_response() {
    std::size_t end;
    while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    RawResponse response;
    response.head = pending_.substr(0, end + 2);
    pending_.erase(0, end + 4);
    if (response.head.size() < 12) return std::nullopt;
    response.status = std::stoi(response.head.substr(9, 3));
    const std::size_t length = content_length(response.head);
    while (pending_.size() < length) {
      if (!fill()) return std::nullopt;
    }
    response.body = pending_.substr(0, length);
    pending_.erase(0, length);
    return response;
  }

  // True when the peer closed the connection (end of stream or reset) with no further bytes;
  // false when bytes arrived or the safety timeout passed.
  bool closed_by_peer() {
    if (!pending_.empty()) return false;
    char byte;
    const ssize_t n = ::recv(fd_, &byte, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  static std::size_t content_length(const std::string& head) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::size_t at = lower.find("\r\ncontent-length:");
    return at == std::string::npos ? 0 : std::stoul(head.substr(at + 17));
  }

  bool fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    pending_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string pending_;
};

}  // namespace bizra::http::testing
