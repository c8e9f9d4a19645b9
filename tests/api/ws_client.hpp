#pragma once
// A blocking WebSocket client (Boost.Beast) for the API tests, whose reads fail after 10 s
// instead of hanging the test.
#include <sys/socket.h>
#include <sys/time.h>

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "test_node.hpp"

namespace bizra::api_test {

struct WsClient {
  boost::asio::io_context io;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws{io};

  explicit WsClient(std::uint16_t port, std::string origin = {}) {
    ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    const timeval timeout{10, 0};
    if (::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0)
      throw std::runtime_error("setsockopt");
    if (!origin.empty())
      ws.set_option(boost::beast::websocket::stream_base::decorator([origin](boost::beast::websocket::request_type& req) {
        req.set(boost::beast::http::field::origin, origin);
      }));
  }
  // The HTTP status of the handshake's answer (101 when it succeeded).
  unsigned handshake() {
    boost::beast::websocket::response_type response;
    boost::system::error_code ec;
    ws.handshake(response, "127.0.0.1", "/ws", ec);
    return response.result_int();
  }
  json::Value next() {
    boost::beast::flat_buffer buffer;
    ws.read(buffer);
    return parse_json(boost::beast::buffers_to_string(buffer.data()));
  }
  void send(std::string_view text) { ws.write(boost::asio::buffer(text.data(), text.size())); }
  // Subscribes and consumes the welcome and subscribed answers.
  void subscribe(std::string_view request) {
    EXPECT_EQ(member(next(), "type"), "welcome");
    send(request);
    EXPECT_EQ(member(next(), "type"), "subscribed");
  }
};

}  // namespace bizra::api_test
