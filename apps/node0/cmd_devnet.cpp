// node0 devnet | load: a local multi-process network and the load generator (docs/operations.md).
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "base/file.hpp"
#include "base/hex.hpp"
#include "codec/json.hpp"
#include "commands.hpp"
#include "crypto/identity.hpp"
#include "crypto/keyfile.hpp"
#include "http/client.hpp"
#include "loadgen/loadgen.hpp"
#include "node/config.hpp"
#include "node/genesis.hpp"

namespace node0 {
namespace {

using namespace bizra;
using Clock = std::chrono::steady_clock;

struct DevnetOptions {
  std::uint32_t validators = 4;
  std::string dir = "devnet";
  std::uint16_t p2p_port = 26600;
  std::uint16_t api_port = 3006;
  double load = 0;
  bool bench = false;
  std::uint64_t base_timeout_ms = 1000;
  std::uint32_t max_txs = 10'000;
  std::uint64_t seconds = 0;  // 0: until SIGINT/SIGTERM
};

struct Member {
  std::filesystem::path dir;
  std::string api_host = "127.0.0.1";
  std::uint16_t api_port = 0;
  pid_t pid = -1;
};

// Written 0600: node.toml holds the API key once one is set.
Status write_private_file(const std::filesystem::path& path, std::string_view contents) {
  BIZRA_TRY(write_file_atomic(path, contents));
  std::error_code ec;
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  if (ec) return Error("io_error", "chmod 600 " + path.string() + ": " + ec.message());
  return ok_status();
}

// The devnet's bearer key for the routes that need one (POST /ace/orchestrate): 64 random hex
// digits in `path`, for `node0 ace run --token-file`.
std::string write_api_key(const std::filesystem::path& path) {
  const std::string key = hex::encode(crypto::SecretKey::generate().seed());
  must(write_private_file(path, key + "\n"), "api.key");
  return key;
}

// Fresh keys, configs and genesis, unless `dir` already holds a devnet (then it restarts it).
std::vector<Member> prepare(const DevnetOptions& o) {
  const std::filesystem::path dir = o.dir;
  std::vector<Member> members(o.validators);
  for (std::uint32_t i = 0; i < o.validators; ++i) {
    members[i].dir = dir / ("v" + std::to_string(i));
    members[i].api_port = static_cast<std::uint16_t>(o.api_port + i);
  }
  if (std::filesystem::exists(dir / "genesis.json")) {
    std::cout << "devnet: restarting the network in " << dir.string() << " (delete it for a fresh one)\n";
    return members;
  }
  node::Genesis genesis;
  genesis.chain_id = "bizra-devnet";
  genesis.genesis_time_ms = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  genesis.base_timeout_ms = o.base_timeout_ms;
  genesis.max_block_transactions = o.max_txs;
  genesis.bench_transactions = o.bench;
  std::filesystem::create_directories(dir);
  const std::string api_key = write_api_key(dir / "api.key");
  for (std::uint32_t i = 0; i < o.validators; ++i) {
    std::filesystem::create_directories(members[i].dir);
    const auto key = crypto::SecretKey::generate();
    must(crypto::write_key_file(members[i].dir / "node.key", key), "key file");
    node::NodeConfig config;
    config.genesis_file = "../genesis.json";
    config.p2p_listen = "127.0.0.1:" + std::to_string(o.p2p_port + i);
    config.api_listen = "127.0.0.1:" + std::to_string(members[i].api_port);
    config.api_threads = 1;
    config.api_keys = {api_key};
    must(write_private_file(members[i].dir / "node.toml", node::format_config(config)), "node.toml");
    genesis.validators.push_back(
        {"v" + std::to_string(i), key.public_key(), 1, 1000, config.p2p_listen, config.api_listen});
  }
  must(node::write_genesis_file(dir / "genesis.json", genesis), "genesis");
  std::cout << "devnet: new network in " << dir.string() << " (chain bizra-devnet, " << o.validators << " validators)\n";
  return members;
}

pid_t spawn(const Member& m) {
  const pid_t pid = fork();
  if (pid < 0) fail("fork failed");
  if (pid == 0) {
    const int log = ::open((m.dir / "node.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    const std::string config = (m.dir / "node.toml").string();
    execl("/proc/self/exe", "node0", "run", "--config", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

struct Sample {
  std::uint64_t height = 0, round = 0, txs = 0, finality_ms = 0, mempool = 0;
  bool up = false;
};

Sample poll(const Member& m) {
  http::Client client(m.api_host, m.api_port, std::chrono::milliseconds(500));
  auto response = client.request("GET", "/api/v1/consensus/status");
  if (!response || response->status != 200) return {};
  auto doc = json::parse(response->body);
  if (!doc) return {};
  auto num = [&](std::string_view k) {
    const json::Value* v = doc->find(k);
    return v != nullptr && v->is_number() ? static_cast<std::uint64_t>(v->number()) : 0;
  };
  return {num("committed_height"), num("round"), num("committed_transactions"), num("last_finality_ms"),
          num("mempool_transactions"), true};
}

void stop_all(std::vector<Member>& members) {
  for (auto& m : members)
    if (m.pid > 0) kill(m.pid, SIGTERM);
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  for (auto& m : members) {
    while (m.pid > 0) {
      if (waitpid(m.pid, nullptr, WNOHANG) == m.pid) m.pid = -1;
      else if (Clock::now() > deadline) kill(m.pid, SIGKILL);
      else std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

void run_devnet(const DevnetOptions& o) {
  const sigset_t signals = block_stop_signals();
  auto members = prepare(o);
  for (auto& m : members) {
    m.pid = spawn(m);
    std::cout << "  " << m.dir.filename().string() << ": pid " << m.pid << ", API http://" << m.api_host << ":" << m.api_port
              << ", log " << (m.dir / "node.log").string() << "\n";
  }
  std::cout << std::flush;
  std::thread load;
  std::atomic<bool> stop_load{false};
  if (o.load > 0) {
    load = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::seconds(2));  // let the nodes open their ports
      loadgen::LoadConfig lc;
      for (const auto& m : members) lc.targets.push_back({m.api_host, m.api_port});
      lc.rate = o.load;
      lc.kind = o.bench ? loadgen::Kind::kBench : loadgen::Kind::kAttestation;
      lc.duration = std::chrono::milliseconds(o.seconds > 0 ? o.seconds * 1000 : 3'600'000);
      lc.stop = &stop_load;
      auto report = loadgen::run_load(lc);
      std::cout << "load: " << (report ? report->to_text() : report.error().to_string()) << std::endl;
    });
  }
  const auto start = Clock::now();
  Sample last;
  auto last_at = Clock::now();
  for (;;) {
    const timespec second{1, 0};
    if (sigtimedwait(&signals, nullptr, &second) > 0) break;
    if (o.seconds > 0 && Clock::now() - start >= std::chrono::seconds(o.seconds)) break;
    std::size_t up = 0;
    Sample best;
    for (const auto& m : members) {
      const Sample s = poll(m);
      if (!s.up) continue;
      ++up;
      if (s.height >= best.height) best = s;
    }
    const double dt = std::chrono::duration<double>(Clock::now() - last_at).count();
    std::printf("height %llu  round %llu  commits/s %.1f  txs/s %.0f  finality %llu ms  mempool %llu  nodes up %zu/%zu\n",
                static_cast<unsigned long long>(best.height), static_cast<unsigned long long>(best.round),
                static_cast<double>(best.height - std::min(best.height, last.height)) / dt,
                static_cast<double>(best.txs - std::min(best.txs, last.txs)) / dt,
                static_cast<unsigned long long>(best.finality_ms), static_cast<unsigned long long>(best.mempool), up,
                members.size());
    std::fflush(stdout);
    last = best;
    last_at = Clock::now();
  }
  std::cout << "devnet: stopping" << std::endl;
  stop_load = true;  // the load reports (and reads the nodes' counters) before they stop
  if (load.joinable()) load.join();
  stop_all(members);
}

std::vector<loadgen::Target> parse_targets(const std::vector<std::string>& urls) {
  std::vector<loadgen::Target> targets;
  for (std::string url : urls) {
    if (url.rfind("http://", 0) == 0) url = url.substr(7);
    while (!url.empty() && url.back() == '/') url.pop_back();
    const auto hp = must(node::parse_host_port(url), "--target");
    targets.push_back({hp.first, hp.second});
  }
  return targets;
}

}  // namespace

void add_devnet_commands(CLI::App& app) {
  auto o = std::make_shared<DevnetOptions>();
  auto* devnet = app.add_subcommand("devnet", "Run a local network of validator processes on 127.0.0.1 until Ctrl-C");
  devnet->add_option("--validators", o->validators, "Number of validators")->check(CLI::Range(1, 100));
  devnet->add_option("--dir", o->dir, "Directory for keys, configs, genesis, data and logs (reused if it holds a devnet)");
  devnet->add_option("--p2p-port", o->p2p_port, "P2P port of the first validator (then +1 each)");
  devnet->add_option("--api-port", o->api_port, "API port of the first validator (then +1 each)");
  devnet->add_option("--load", o->load, "Also submit this many transactions per second (node0 load)");
  devnet->add_flag("--bench", o->bench, "Enable and load the payload-free benchmark transaction kind");
  devnet->add_option("--base-timeout-ms", o->base_timeout_ms, "Base round timeout in the new genesis");
  devnet->add_option("--max-txs", o->max_txs, "Maximum transactions per block in the new genesis");
  devnet->add_option("--seconds", o->seconds, "Stop after this many seconds (0: on Ctrl-C)");
  devnet->callback([o] { run_devnet(*o); });

  struct LoadOptions {
    std::vector<std::string> targets;
    double rate = 100;
    double seconds = 10;
    std::size_t batch = 100;
    std::size_t sample_every = 50;
    bool bench = false, json = false;
  };
  auto l = std::make_shared<LoadOptions>();
  auto* load = app.add_subcommand("load", "Submit signed attestations at a rate and measure acceptance and finality");
  load->add_option("--target", l->targets, "Node API URL, e.g. http://127.0.0.1:3006 (repeatable)")->required();
  load->add_option("--rate", l->rate, "Transactions per second offered")->check(CLI::PositiveNumber);
  load->add_option("--duration", l->seconds, "Seconds of load")->check(CLI::PositiveNumber);
  load->add_option("--batch", l->batch, "Transactions per request")->check(CLI::Range(1, 10'000));
  load->add_option("--sample-every", l->sample_every, "Track the latency of every Nth accepted transaction")
      ->check(CLI::Range(1, 1'000'000));
  load->add_flag("--bench", l->bench, "Payload-free benchmark transactions (the chain must enable them)");
  load->add_flag("--json", l->json, "Print the report as JSON");
  load->callback([l] {
    loadgen::LoadConfig lc;
    lc.targets = parse_targets(l->targets);
    lc.rate = l->rate;
    lc.duration = std::chrono::milliseconds(static_cast<std::int64_t>(l->seconds * 1000));
    lc.batch = l->batch;
    lc.sample_every = l->sample_every;
    lc.kind = l->bench ? loadgen::Kind::kBench : loadgen::Kind::kAttestation;
    const auto report = must(loadgen::run_load(lc), "load");
    std::cout << (l->json ? report.to_json() : report.to_text()) << std::endl;
  });
}

}  // namespace node0
