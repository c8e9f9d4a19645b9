// node0 init | genesis | run: setting up and running one node (docs/operations.md).
#include <signal.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "base/file.hpp"
#include "base/hex.hpp"
#include "base/log.hpp"
#include "commands.hpp"
#include "crypto/identity.hpp"
#include "crypto/keyfile.hpp"
#include "http/server.hpp"
#include "node/config.hpp"
#include "node/genesis.hpp"
#include "node/node.hpp"
#include "service/node_service.hpp"
#include "version.hpp"

namespace node0 {
namespace {

using namespace bizra;

// "name=v0,pubkey=ed25519:…,p2p=host:port[,api=host:port][,weight=N][,stake=N]"
node::GenesisValidator parse_validator_flag(const std::string& text) {
  node::GenesisValidator v;
  std::size_t start = 0;
  bool has_key = false;
  while (start < text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    const auto eq = item.find('=');
    if (eq == std::string::npos) fail("--validator: expected key=value items, got '" + item + "'");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (key == "name") v.name = value;
    else if (key == "pubkey") v.key = must(crypto::parse_public_key(value), "--validator pubkey"), has_key = true;
    else if (key == "p2p") v.p2p = value;
    else if (key == "api") v.api = value;
    else if (key == "weight") v.weight = std::stoull(value);
    else if (key == "stake") v.stake_bond = std::stoull(value);
    else fail("--validator: unknown item '" + key + "' (name, pubkey, p2p, api, weight, stake)");
    start = comma + 1;
  }
  if (!has_key || v.name.empty() || v.p2p.empty()) fail("--validator: name, pubkey and p2p are required");
  return v;
}

void add_init(CLI::App& app) {
  struct Options {
    std::string dir, p2p = "127.0.0.1:26600", api = "127.0.0.1:3006";
    std::vector<std::string> peers;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("init", "Create a node directory: a new key (0600) and node.toml");
  cmd->add_option("--dir", o->dir, "Directory to create (must not hold a key already)")->required();
  cmd->add_option("--p2p", o->p2p, "P2P listen address host:port");
  cmd->add_option("--api", o->api, "HTTP API listen address host:port (\"\" for none)");
  cmd->add_option("--peer", o->peers, "Extra peer ed25519:<hex>@host:port to dial (repeatable)");
  cmd->callback([o] {
    const std::filesystem::path dir = o->dir;
    std::filesystem::create_directories(dir);
    const auto key = crypto::SecretKey::generate();
    must(crypto::write_key_file(dir / "node.key", key), "key file");
    node::NodeConfig config;
    config.p2p_listen = o->p2p;
    config.api_listen = o->api;
    for (const auto& p : o->peers) config.peers.push_back(must(node::parse_peer(p), "--peer"));
    const std::string text = node::format_config(config);
    must(node::parse_config(text, dir), "config");  // refuse to write what run would refuse
    must(write_file_atomic(dir / "node.toml", text), "node.toml");
    std::cout << "node directory: " << dir.string() << "\npubkey: " << crypto::format_public_key(key.public_key())
              << "\nid:     " << crypto::account_id(key.public_key()) << "\nnext: put genesis.json there, then node0 run --config "
              << (dir / "node.toml").string() << "\n";
  });
}

void add_genesis(CLI::App& app) {
  struct Options {
    std::string out, chain_id = "bizra-devnet";
    std::vector<std::string> validators;
    std::uint32_t max_txs = 10'000, max_payload_bytes = 4 << 20;
    std::uint64_t base_timeout_ms = 1000, time_ms = 0;
    bool bench = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("genesis", "Build a genesis file from validator descriptions");
  cmd->add_option("--out", o->out, "Genesis file to write")->required();
  cmd->add_option("--chain-id", o->chain_id, "Chain id");
  cmd->add_option("--validator", o->validators,
                  "name=N,pubkey=ed25519:<hex>,p2p=host:port[,api=host:port][,weight=W][,stake=S] (repeatable)")
      ->required();
  cmd->add_option("--max-txs", o->max_txs, "Maximum transactions per block");
  cmd->add_option("--max-payload-bytes", o->max_payload_bytes, "Maximum block payload bytes");
  cmd->add_option("--base-timeout-ms", o->base_timeout_ms, "Base round timeout (ms)");
  cmd->add_option("--time-ms", o->time_ms, "Genesis time, unix ms (default: now)");
  cmd->add_flag("--bench-transactions", o->bench, "Enable the benchmark-only transaction kind (never on a real network)");
  cmd->callback([o] {
    node::Genesis g;
    g.chain_id = o->chain_id;
    g.genesis_time_ms = o->time_ms != 0 ? o->time_ms
                                        : static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                         std::chrono::system_clock::now().time_since_epoch())
                                                                         .count());
    for (const auto& v : o->validators) g.validators.push_back(parse_validator_flag(v));
    g.max_block_transactions = o->max_txs;
    g.max_block_payload_bytes = o->max_payload_bytes;
    g.base_timeout_ms = o->base_timeout_ms;
    g.bench_transactions = o->bench;
    must(node::parse_genesis(node::format_genesis(g)), "genesis");  // the same checks run applies
    must(node::write_genesis_file(o->out, g), o->out);
    std::cout << "genesis: " << o->out << "\nroot:    " << hex::encode(node::genesis_root(g)) << "\n";
  });
}

void add_run(CLI::App& app) {
  auto config_path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("run", "Run a node until SIGINT/SIGTERM");
  cmd->add_option("--config", *config_path, "node.toml")->required();
  cmd->callback([config_path] {
    const sigset_t signals = block_stop_signals();
    const auto config = must(node::read_config_file(*config_path), "config");
    log::configure(*log::parse_level(config.log_level), *log::parse_format(config.log_format));  // checked by the parser
    const auto genesis = must(node::read_genesis_file(config.genesis_file), "genesis");
    auto key = must(crypto::read_key_file(config.key_file), "key file");
    // The ACE runtime signs task receipts with the node key ([ace] enabled).
    std::optional<service::AceSetup> ace;
    if (config.ace.enabled) ace = service::AceSetup{must(crypto::SecretKey::from_seed(key.seed())), config.ace};
    auto node = must(node::Node::open(config, genesis, std::move(key)), "opening the node");
    auto surface = must(service::make_node_service(*node, std::string(kVersion), genesis.chain_id,
                                                   must(service::api_security(config), "api"), std::move(ace)),
                        "api");
    must(node->start(), "starting the node");
    std::unique_ptr<http::Server> server;
    if (!config.api_listen.empty()) {
      const auto listen = must(node::parse_host_port(config.api_listen), "api.listen");
      http::ServerConfig sc;
      sc.host = listen.first;
      sc.port = listen.second;
      sc.threads = config.api_threads;
      sc.websocket = surface->websocket.get();
      server = std::make_unique<http::Server>(sc, surface->router);
      must(server->start(), "starting the API");
    }
    const auto status = node->status();
    log::info("node started", {{"node_id", status.node_id},
                               {"role", status.validator ? "validator" : "full node"},
                               {"chain", genesis.chain_id},
                               {"height", std::to_string(status.committed_height)},
                               {"p2p", config.p2p_listen},
                               {"api", config.api_listen},
                               {"version", std::string(kVersion)}});
    int signal = 0;
    sigwait(&signals, &signal);
    log::info("stopping", {{"signal", std::to_string(signal)}});
    if (server) server->stop();
    surface->ace.reset();  // running tasks end (or are recorded) before the node's store closes
    node->stop();
    log::info("node stopped", {{"height", std::to_string(node->status().committed_height)}});
  });
}

}  // namespace

void add_node_commands(CLI::App& app) {
  add_init(app);
  add_genesis(app);
  add_run(app);
}

}  // namespace node0
