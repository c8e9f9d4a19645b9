#include "e2e/devnet.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "base/file.hpp"
#include "codec/json.hpp"
#include "crypto/identity.hpp"
#include "crypto/keyfile.hpp"
#include "http/client.hpp"
#include "node/config.hpp"
#include "node/genesis.hpp"
#include "support/free_ports.hpp"

namespace bizra::e2e {
namespace {

// Runs a command (argv[0] looked up on PATH) and waits for it. True when it exits 0.
bool run(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (devnull >= 0) {
      ::dup2(devnull, STDOUT_FILENO);
      ::dup2(devnull, STDERR_FILENO);
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void must_run(const std::vector<std::string>& argv) {
  if (!run(argv)) {
    std::string line;
    for (const auto& a : argv) line += a + " ";
    throw std::runtime_error("e2e: failed: " + line);
  }
}

std::optional<json::Value> get_json(const std::string& host, std::uint16_t port, const std::string& path) {
  http::Client client(host, port, std::chrono::milliseconds(1000));
  auto response = client.request("GET", path);
  if (!response || response->status != 200) return std::nullopt;
  auto doc = json::parse(response->body);
  if (!doc) return std::nullopt;
  return std::move(*doc);
}

std::uint64_t num(const json::Value& doc, std::string_view key) {
  const json::Value* v = doc.find(key);
  return v != nullptr && v->is_number() ? static_cast<std::uint64_t>(v->number()) : 0;
}

std::string str(const json::Value& doc, std::string_view key) {
  const json::Value* v = doc.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

}  // namespace

bool Devnet::netns_available() {
  static const bool available = ::geteuid() == 0 && run({"unshare", "-n", "true"}) && run({"ip", "-V"});
  return available;
}

Devnet::Devnet(Options options) : netns_(options.netns) {
  static int instances = 0;
  tag_ = std::to_string(::getpid() % 100000) + "x" + std::to_string(instances++ % 10);
  root_ = std::filesystem::temp_directory_path() /
          ("bizra-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(root_);
  node::Genesis genesis;
  genesis.chain_id = "bizra-e2e";
  genesis.genesis_time_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  genesis.base_timeout_ms = options.base_timeout_ms;
  genesis.bench_transactions = options.bench;
  // Keys and ports first: validators list the full nodes as peers (connections are mutually
  // authenticated, so each side must know the other), full nodes list every validator.
  std::vector<crypto::SecretKey> keys;
  const std::size_t count = options.validators + options.full_nodes;
  const std::vector<std::uint16_t> ports = netns_ ? std::vector<std::uint16_t>{} : testing::free_ports(2 * count);
  for (std::size_t i = 0; i < count; ++i) {
    Node n;
    n.dir = root_ / ((i < options.validators ? "v" : "f") + std::to_string(i));
    if (netns_) {  // one address per node: fixed ports
      n.host = "10.77." + std::to_string(::getpid() % 200 + 1) + "." + std::to_string(10 + i);
      n.p2p_port = 26600;
      n.api_port = 3006;
    } else {
      n.p2p_port = ports[2 * i];
      n.api_port = ports[2 * i + 1];
    }
    std::filesystem::create_directories(n.dir);
    keys.push_back(crypto::SecretKey::generate());
    if (!crypto::write_key_file(n.dir / "node.key", keys.back()).ok()) throw std::runtime_error("e2e: key file");
    n.pubkey = crypto::format_public_key(keys.back().public_key());
    nodes_.push_back(std::move(n));
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const bool validator = i < options.validators;
    node::NodeConfig config;
    config.genesis_file = "../genesis.json";
    config.p2p_listen = nodes_[i].host + ":" + std::to_string(nodes_[i].p2p_port);
    config.api_listen = nodes_[i].host + ":" + std::to_string(nodes_[i].api_port);
    config.api_threads = 1;
    config.api_keys = {std::string(kApiKey)};
    for (std::size_t j = validator ? options.validators : 0; j < (validator ? nodes_.size() : options.validators); ++j)
      config.peers.push_back({keys[j].public_key(), nodes_[j].host + ":" + std::to_string(nodes_[j].p2p_port)});
    if (!write_file_atomic(nodes_[i].dir / "node.toml", node::format_config(config)).ok())
      throw std::runtime_error("e2e: config");
    if (validator)
      genesis.validators.push_back({"v" + std::to_string(i), keys[i].public_key(), 1, 1000, config.p2p_listen, config.api_listen});
  }
  if (!node::write_genesis_file(root_ / "genesis.json", genesis).ok()) throw std::runtime_error("e2e: genesis");
  if (!write_file_atomic(api_key_file(), std::string(kApiKey) + "\n").ok()) throw std::runtime_error("e2e: api key");
  if (netns_) setup_netns();
}

std::string Devnet::ns_name(std::size_t i) const { return "bz" + tag_ + "n" + std::to_string(i); }
std::string Devnet::veth_name(std::size_t i) const { return "bz" + tag_ + "v" + std::to_string(i); }

// A bridge in this namespace, and per node a namespace joined to it by a veth pair: the nodes
// reach each other (and this process reaches them) through the bridge, and taking a node's
// host-side link down isolates it while it keeps running.
void Devnet::setup_netns() {
  const std::string bridge = "bz" + tag_ + "br";
  const std::string subnet = nodes_[0].host.substr(0, nodes_[0].host.rfind('.'));
  must_run({"ip", "link", "add", bridge, "type", "bridge"});
  must_run({"ip", "addr", "add", subnet + ".1/24", "dev", bridge});
  must_run({"ip", "link", "set", bridge, "up"});
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    must_run({"ip", "netns", "add", ns_name(i)});
    must_run({"ip", "link", "add", veth_name(i), "type", "veth", "peer", "name", "eth0", "netns", ns_name(i)});
    must_run({"ip", "link", "set", veth_name(i), "master", bridge});
    must_run({"ip", "link", "set", veth_name(i), "up"});
    must_run({"ip", "-n", ns_name(i), "addr", "add", nodes_[i].host + "/24", "dev", "eth0"});
    must_run({"ip", "-n", ns_name(i), "link", "set", "eth0", "up"});
    must_run({"ip", "-n", ns_name(i), "link", "set", "lo", "up"});
  }
}

void Devnet::teardown_netns() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    run({"ip", "link", "del", veth_name(i)});
    run({"ip", "netns", "del", ns_name(i)});
  }
  run({"ip", "link", "del", "bz" + tag_ + "br"});
}

void Devnet::partition(std::size_t i) { must_run({"ip", "link", "set", veth_name(i), "down"}); }
void Devnet::heal(std::size_t i) { must_run({"ip", "link", "set", veth_name(i), "up"}); }

Devnet::~Devnet() {
  for (std::size_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].pid > 0) {
      ::kill(nodes_[i].pid, SIGCONT);
      kill(i);
    }
  if (netns_) teardown_netns();
  std::error_code ignored;
  std::filesystem::remove_all(root_, ignored);
}

void Devnet::start_all() {
  for (std::size_t i = 0; i < nodes_.size(); ++i) start(i);
}

void Devnet::start(std::size_t i) {
  Node& n = nodes_[i];
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("e2e: fork");
  if (pid == 0) {
    const int log = ::open((n.dir / "node.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
    }
    const std::string config = (n.dir / "node.toml").string();
    if (netns_) {
      const std::string ns = ns_name(i);
      ::execlp("ip", "ip", "netns", "exec", ns.c_str(), BIZRA_NODE0_BIN, "run", "--config", config.c_str(),
               static_cast<char*>(nullptr));
    } else {
      ::execl(BIZRA_NODE0_BIN, "node0", "run", "--config", config.c_str(), static_cast<char*>(nullptr));
    }
    ::_exit(127);
  }
  n.pid = pid;
}

void Devnet::kill(std::size_t i) {
  Node& n = nodes_[i];
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGKILL);
  ::waitpid(n.pid, nullptr, 0);
  n.pid = -1;
}

void Devnet::stop(std::size_t i) {
  Node& n = nodes_[i];
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (::waitpid(n.pid, nullptr, WNOHANG) != n.pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(n.pid, SIGKILL);
      ::waitpid(n.pid, nullptr, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  n.pid = -1;
}

void Devnet::freeze(std::size_t i) { ::kill(nodes_[i].pid, SIGSTOP); }
void Devnet::thaw(std::size_t i) { ::kill(nodes_[i].pid, SIGCONT); }

bool Devnet::running(std::size_t i) {
  Node& n = nodes_[i];
  if (n.pid <= 0) return false;
  if (::waitpid(n.pid, nullptr, WNOHANG) == n.pid) {
    n.pid = -1;
    return false;
  }
  return true;
}

std::string Devnet::log(std::size_t i) const {
  std::ifstream in(nodes_[i].dir / "node.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<StatusInfo> Devnet::status(std::size_t i) const {
  auto doc = get_json(nodes_[i].host, nodes_[i].api_port, "/api/v1/consensus/status");
  if (!doc) return std::nullopt;
  return StatusInfo{num(*doc, "committed_height"), num(*doc, "round"), num(*doc, "committed_transactions"),
                    str(*doc, "committed_id"), str(*doc, "chain_id"), str(*doc, "genesis_root")};
}

std::optional<BlockInfo> Devnet::block(std::size_t i, std::uint64_t height) const {
  auto doc = get_json(nodes_[i].host, nodes_[i].api_port, "/api/v1/consensus/block/" + std::to_string(height));
  if (!doc) return std::nullopt;
  return BlockInfo{num(*doc, "height"), str(*doc, "id"), str(*doc, "state_digest"), str(*doc, "receipts_digest")};
}

std::optional<std::pair<int, std::string>> Devnet::get(std::size_t i, const std::string& path) const {
  http::Client client(nodes_[i].host, nodes_[i].api_port, std::chrono::milliseconds(5000));
  auto response = client.request("GET", path);
  if (!response) return std::nullopt;
  return std::pair{response->status, response->body};
}

std::optional<std::pair<int, std::string>> Devnet::post(std::size_t i, const std::string& path,
                                                        const std::string& body) const {
  http::Client client(nodes_[i].host, nodes_[i].api_port, std::chrono::milliseconds(5000));
  auto response = client.request("POST", path, body);
  if (!response) return std::nullopt;
  return std::pair{response->status, response->body};
}

bool Devnet::wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

bool Devnet::wait_height(std::size_t i, std::uint64_t height, std::chrono::milliseconds timeout) const {
  return wait_for(
      [&] {
        const auto s = status(i);
        return s && s->height >= height;
      },
      timeout);
}

}  // namespace bizra::e2e
