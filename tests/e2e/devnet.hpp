#pragma once
// A devnet of real `node0 run` processes on 127.0.0.1 for end-to-end tests: fresh keys, configs
// and genesis in a temporary directory, free ports, and helpers to kill, restart, freeze and
// query nodes over their HTTP APIs. Every wait is bounded.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"

namespace bizra::e2e {

struct BlockInfo {
  std::uint64_t height = 0;
  std::string id;
  std::string state_digest;
  std::string receipts_digest;
};

struct StatusInfo {
  std::uint64_t height = 0;
  std::uint64_t round = 0;
  std::uint64_t committed_transactions = 0;
  std::string committed_id;
  std::string chain_id;
  std::string genesis_root;
};

class Devnet {
 public:
  struct Options {
    std::size_t validators = 4;
    std::size_t full_nodes = 0;  // non-validators (indices after the validators), peered with every validator
    bool bench = false;
    std::uint64_t base_timeout_ms = 500;
    // Each node in its own network namespace, on a veth pair into one bridge (10.77.x.0/24), so
    // partition() can cut a running node's links. Needs root and `ip`; see Devnet::netns_available().
    bool netns = false;
  };
  // Whether this process may create network namespaces (root, `ip` present, kernel allows it).
  static bool netns_available();
  explicit Devnet(Options options);
  ~Devnet();  // SIGKILLs whatever still runs, removes the directory

  void start_all();
  void start(std::size_t i);
  void kill(std::size_t i);    // SIGKILL, reaped
  void stop(std::size_t i);    // SIGTERM, reaped (clean shutdown)
  void freeze(std::size_t i);  // SIGSTOP: its links go silent both ways
  void thaw(std::size_t i);    // SIGCONT
  // netns mode only: takes node i's link down (it keeps running, isolated) / back up.
  void partition(std::size_t i);
  void heal(std::size_t i);
  bool running(std::size_t i);  // still alive (not exited)

  // Every node accepts this bearer API key (routes that need one: POST /ace/orchestrate).
  static constexpr std::string_view kApiKey = "e2e-api-key-0123456789abcdef";
  std::filesystem::path api_key_file() const { return root_ / "api.key"; }
  const std::filesystem::path& root() const { return root_; }
  const std::string& pubkey(std::size_t i) const { return nodes_[i].pubkey; }  // "ed25519:<hex>"

  std::size_t size() const { return nodes_.size(); }
  std::uint16_t api_port(std::size_t i) const { return nodes_[i].api_port; }
  const std::string& host(std::size_t i) const { return nodes_[i].host; }
  std::uint16_t p2p_port(std::size_t i) const { return nodes_[i].p2p_port; }
  std::string log(std::size_t i) const;

  std::optional<StatusInfo> status(std::size_t i) const;
  std::optional<BlockInfo> block(std::size_t i, std::uint64_t height) const;
  // GET path on node i: (status, body), or nullopt when it did not answer.
  std::optional<std::pair<int, std::string>> get(std::size_t i, const std::string& path) const;
  // POST body to path on node i; returns (status, body) or nullopt when it did not answer.
  std::optional<std::pair<int, std::string>> post(std::size_t i, const std::string& path, const std::string& body) const;

  // Polls `done` every 50 ms until it holds or `timeout` passes.
  static bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  bool wait_height(std::size_t i, std::uint64_t height, std::chrono::milliseconds timeout) const;

 private:
  void setup_netns();
  void teardown_netns();
  std::string ns_name(std::size_t i) const;
  std::string veth_name(std::size_t i) const;

  struct Node {
    std::filesystem::path dir;
    std::string host = "127.0.0.1";
    std::uint16_t p2p_port = 0;
    std::uint16_t api_port = 0;
    std::string pubkey;
    pid_t pid = -1;
  };
  std::filesystem::path root_;
  std::vector<Node> nodes_;
  bool netns_ = false;
  std::string tag_;  // unique per Devnet: namespace, link and bridge names
};

}  // namespace bizra::e2e
