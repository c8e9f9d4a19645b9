// node.toml: defaults, a lossless round trip, relative paths, and strict errors naming the key.
#include "node/config.hpp"

#include <gtest/gtest.h>

#include "crypto/identity.hpp"

namespace bizra::node {
namespace {

const std::string kKey = "ed25519:" + std::string(64, 'a');

std::string error_of(std::string_view text) {
  auto c = parse_config(text, "/etc/bizra");
  return c ? "ok" : std::string(c.error().code()) + " " + c.error().message();
}

TEST(Config, EmptyFileMeansDefaultsWithPathsBesideTheConfig) {
  auto c = parse_config("", "/etc/bizra");
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->data_dir, "/etc/bizra/data");
  EXPECT_EQ(c->key_file, "/etc/bizra/node.key");
  EXPECT_EQ(c->genesis_file, "/etc/bizra/genesis.json");
  EXPECT_EQ(c->p2p_listen, "127.0.0.1:26600");
  EXPECT_EQ(c->api_listen, "127.0.0.1:3006");
  EXPECT_TRUE(c->peers.empty());
  EXPECT_TRUE(c->ace.enabled);
  EXPECT_EQ(c->ace.evidence_dir, "/etc/bizra/evidence");
  EXPECT_EQ(c->ace.backup_dir, "/etc/bizra/backups");
  EXPECT_TRUE(c->ace.llm.empty());
}

TEST(Config, FormatsAndParsesBackEqual) {
  NodeConfig c;
  c.data_dir = "/var/lib/bizra";
  c.key_file = "/etc/bizra/v0.key";
  c.genesis_file = "/etc/bizra/genesis.json";
  c.p2p_listen = "0.0.0.0:26600";
  c.peers.push_back(parse_peer(kKey + "@10.0.0.7:26600").value());
  c.max_peers = 12;
  c.api_listen = "";
  c.api_threads = 4;
  c.api_keys = {"0123456789abcdef-key"};
  c.rate_limit_per_second = 50;
  c.rate_limit_burst = 100;
  c.cors_origins = {"https://dashboard.example"};
  c.mempool_max_transactions = 5000;
  c.mempool_max_bytes = 1 << 20;
  c.log_level = "debug";
  c.log_format = "json";
  c.jwt_hs256_secret_file = "/etc/bizra/jwt.secret";
  c.jwt_eddsa_public_keys = {parse_peer(kKey + "@10.0.0.7:26600").value().key};
  c.ace.enabled = false;
  c.ace.workers = 3;
  c.ace.evidence_dir = "/srv/evidence";
  c.ace.backup_dir = "/srv/backups";
  c.ace.backups_kept = 7;
  c.ace.health_interval_s = 0;
  c.ace.backup_interval_s = 3600;
  c.ace.attest_receipts = true;
  c.ace.llm = "ollama";
  c.ace.llm_url = "http://127.0.0.1:11434";
  c.ace.llm_model = "llama3";
  c.ace.llm_api_key_file = "/etc/bizra/llm.key";
  c.ace.llm_timeout_ms = 5000;
  auto parsed = parse_config(format_config(c), "/elsewhere");
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string() << "\n" << format_config(c);
  EXPECT_EQ(*parsed, c);
}

TEST(Config, RejectsUnknownKeysWrongTypesAndBadValues) {
  EXPECT_EQ(error_of("[nod]\n"), "bad_config nod: unknown table");
  EXPECT_EQ(error_of("[node]\ndatadir = \"x\"\n"), "bad_config node.datadir: unknown key");
  EXPECT_EQ(error_of("[p2p]\nmax_peers = \"3\"\n"), "bad_config p2p.max_peers: expected an integer");
  EXPECT_EQ(error_of("[p2p]\nmax_peers = 0\n"), "bad_config p2p.max_peers: 0 is outside 1..10000");
  EXPECT_EQ(error_of("[api]\nthreads = -1\n"), "bad_config api.threads: -1 is outside 1..256");
  EXPECT_EQ(error_of("[p2p]\nlisten = \"nowhere\"\n"),
            "bad_config p2p.listen: expected host:port, got 'nowhere'");
  EXPECT_EQ(error_of("[p2p]\npeers = [\"" + kKey + "\"]\n"),
            "bad_config p2p.peers: expected ed25519:<hex>@host:port, got '" + kKey + "'");
  EXPECT_EQ(error_of("[p2p]\npeers = [1]\n"), "bad_config p2p.peers: expected an array of strings");
  EXPECT_EQ(error_of("[log]\nlevel = \"loud\"\n"), "bad_config log.level: expected trace, debug, info, warn or error");
  EXPECT_EQ(error_of("[log]\nformat = \"xml\"\n"), "bad_config log.format: expected text or json");
  const std::string bad_jwt_key = error_of("[api]\njwt_eddsa_public_keys = [\"" + kKey.substr(0, 20) + "\"]\n");
  EXPECT_EQ(bad_jwt_key.rfind("bad_config api.jwt_eddsa_public_keys: ", 0), 0u) << bad_jwt_key;
  EXPECT_EQ(error_of("[api]\napi_keys = [\"short\"]\n"), "bad_config api.api_keys: each key must be 16..256 bytes");
  EXPECT_EQ(error_of("[ace]\nenabled = 1\n"), "bad_config ace.enabled: expected true or false");
  EXPECT_EQ(error_of("[ace]\nllm = \"gpt\"\n"), "bad_config ace.llm: expected \"\", \"openai\" or \"ollama\"");
  EXPECT_EQ(error_of("[ace]\nllm = \"ollama\"\n"), "bad_config ace.llm: llm_url and llm_model are required with llm");
  EXPECT_EQ(error_of("[ace]\nworkers = 0\n"), "bad_config ace.workers: 0 is outside 1..256");
  EXPECT_EQ(error_of("[ace]\nmodel = \"x\"\n"), "bad_config ace.model: unknown key");
  EXPECT_EQ(error_of("ace = 1\n"), "bad_config ace: must be a [table]");
  EXPECT_EQ(error_of("node = 1\n"), "bad_config config: every top-level entry must be a [table]");
  const std::string syntax = error_of("[node\n");
  EXPECT_EQ(syntax.rfind("bad_config config: line 1: ", 0), 0u) << syntax;
  EXPECT_EQ(error_of(std::string(kMaxConfigBytes + 1, '#')), "bad_config config: larger than 256 KiB");
}

TEST(Config, PeerTextRoundTrips) {
  auto peer = parse_peer(kKey + "@127.0.0.1:9");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(format_peer(*peer), kKey + "@127.0.0.1:9");
  EXPECT_EQ(parse_peer("ed25519:zz@127.0.0.1:9").error().code(), "bad_peer");
  EXPECT_EQ(parse_peer(kKey + "@127.0.0.1").error().code(), "bad_peer");
}

}  // namespace
}  // namespace bizra::node
