#pragma once
// Between server.cpp and websocket.cpp only: how the HTTP server hands an upgrade request's
// connection to the WebSocketHub, and ties the hub's timer to its I/O threads. Includes Boost, so
// it is not part of the public headers.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/websocket.hpp"

namespace bizra::http::detail {

using WebSocketRequest = boost::beast::http::request<boost::beast::http::string_body>;

// Completes the WebSocket handshake for `request` on `socket` and serves the connection from then
// on. Returns false, leaving `socket` untouched, when max_connections are open (the caller answers
// 503). `socket` must have a strand executor of the io_context the hub is attached to.
bool websocket_accept(WebSocketHub& hub, boost::asio::ip::tcp::socket& socket, const WebSocketRequest& request);

// Server::start: the hub's heartbeat timer runs on `io`. Attaching a hub to two running servers is
// a programming error (std::logic_error).
void websocket_attach(WebSocketHub& hub, boost::asio::io_context& io);
// Server::stop, after the I/O threads are joined and before `io` is destroyed: drops the timer and
// every connection.
void websocket_detach(WebSocketHub& hub);

}  // namespace bizra::http::detail
