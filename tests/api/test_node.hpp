#pragma once
// A real in-process node for the API tests: a single-validator genesis in a temp dir (it commits
// on its own), its routes on an http::Router served by an http::Server on 127.0.0.1, and helpers
// to talk to it with http::Client and to make signed attestations.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "api/node_api.hpp"
#include "api/rpc.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "codec/json.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "http/client.hpp"
#include "http/message.hpp"
#include "http/server.hpp"
#include "node/node.hpp"
#include "poi/attestation.hpp"
#include "support/free_ports.hpp"

namespace bizra::api_test {

using bizra::testing::free_port;

inline crypto::SecretKey fixed_key(std::uint8_t tag) {
  Bytes seed(32, tag);
  return crypto::SecretKey::from_seed(seed).value();
}

inline json::Value parse_json(std::string_view text) {
  auto v = json::parse(text);
  if (!v) throw std::runtime_error("not JSON: " + std::string(text));
  return std::move(*v);
}

// Member `key` of an object as text (strings unquoted, numbers as written, bools, null).
inline std::string member(const json::Value& v, std::string_view key) {
  const json::Value* m = v.find(key);
  if (m == nullptr) return "<absent>";
  if (m->is_string()) return m->as_string();
  if (m->is_number()) return m->number_text();
  if (m->is_bool()) return m->as_bool() ? "true" : "false";
  if (m->is_null()) return "null";
  return "<composite>";
}

class TestNode {
 public:
  // `mount`: start the node and mount the REST and JSON-RPC routes (false: an idle node whose
  // caller assembles routes itself, e.g. through service::make_node_service).
  explicit TestNode(bool mount = true) : key_(fixed_key(7)) {
    static std::atomic<int> instances{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("bizra-api-" + std::to_string(::getpid()) + "-" + std::to_string(instances++) + "-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir_);
    const std::string p2p = "127.0.0.1:" + std::to_string(free_port());
    genesis_.chain_id = "bizra-api-test";
    genesis_.genesis_time_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
    genesis_.base_timeout_ms = 200;
    genesis_.validators.push_back({"v0", key_.public_key(), 1, 0, p2p, ""});
    node::NodeConfig config;
    config.data_dir = dir_ / "data";
    config.p2p_listen = p2p;
    node_ = node::Node::open(config, genesis_, fixed_key(7)).value();
    if (!mount) return;
    if (!node_->start().ok()) throw std::runtime_error("node start failed");
    api::mount_node_routes(router_, *node_, api::ApiOptions{"test"});
    api::mount_rpc(router_, *node_);
  }
  ~TestNode() {
    if (server_) server_->stop();
    node_->stop();
    node_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Serves the router (mount more routes on router() before calling this).
  void serve() {
    server_ = std::make_unique<http::Server>(http::ServerConfig{}, router_);
    if (!server_->start().ok()) throw std::runtime_error("server start failed");
  }
  std::unique_ptr<http::Client> client() const {
    return std::make_unique<http::Client>("127.0.0.1", server_->port(), std::chrono::seconds(5));
  }
  std::uint16_t port() const { return server_->port(); }

  node::Node& node() { return *node_; }
  http::Router& router() { return router_; }
  const crypto::SecretKey& validator_key() const { return key_; }

  // Waits (bounded) until the node has committed past `height`.
  bool wait_for_height(std::uint64_t height) const {
    for (int i = 0; i < 500; ++i) {
      if (node_->status().committed_height > height) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  // A valid, signed attestation for this node's chain (canonical form), unique per `n`.
  std::string attestation(std::uint64_t n, const crypto::SecretKey& key) const {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const std::string nonce = hex::encode(crypto::blake3("api test nonce " + std::to_string(n) + " " + dir_.string()));
    const std::string document =
        "{\"version\":\"poi-1.0\",\"anchor\":{\"chain_id\":\"" + genesis_.chain_id + "\",\"genesis_root\":\"" +
        hex::encode(node_->genesis_root()) + "\"},\"attester\":{\"id\":\"" + crypto::account_id(key.public_key()) +
        "\",\"pubkey\":\"" + crypto::format_public_key(key.public_key()) + "\"},\"evidence\":{\"pack_sha256\":\"" +
        hex::encode(crypto::blake3(nonce)) +
        "\"},\"measurement\":{\"dimensions\":{\"quality\":0.9,\"reach\":0.5},\"weights\":{\"quality\":0.6,\"reach\":0.4},"
        "\"impact_score\":0.74},\"time_window\":[\"" +
        poi::format_utc(now - 3600).value() + "\",\"" + poi::format_utc(now - 60).value() + "\"],\"nonce\":\"" + nonce +
        "\"}";
    return poi::sign(document, key).value();
  }

 private:
  std::filesystem::path dir_;
  crypto::SecretKey key_;
  node::Genesis genesis_;
  std::unique_ptr<node::Node> node_;
  http::Router router_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace bizra::api_test
