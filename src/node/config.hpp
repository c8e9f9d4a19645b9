#pragma once
// node.toml: one node's local settings (where its data and key live, which addresses it listens
// on, which extra peers it dials, resource limits). Everything the network must agree on lives in
// the genesis file instead (node/genesis.hpp). Read strictly: unknown tables or keys, wrong types
// and out-of-range values are errors naming the key, so a typo never goes unnoticed.
//
//   [node]
//   data_dir = "data"             # relative paths are relative to the config file's directory
//   key_file = "node.key"
//   genesis  = "genesis.json"
//   [p2p]
//   listen    = "127.0.0.1:26600"
//   peers     = ["ed25519:<64 hex>@10.0.0.7:26600"]   # besides the genesis validators
//   max_peers = 64
//   [api]
//   listen  = "127.0.0.1:3006"    # "" disables the HTTP API
//   threads = 2
//   api_keys = []                 # bearer keys for ACE/admin routes (16..256 bytes each)
//   rate_limit_per_second = 0     # per client IP on POST routes; 0: off
//   rate_limit_burst = 0          # 0: twice the rate
//   cors_origins = []             # e.g. ["https://dashboard.example"], or ["*"]
//   jwt_hs256_secret_file = ""    # file holding the HS256 secret (>= 32 bytes; keep it 0600)
//   jwt_eddsa_public_keys = []    # ["ed25519:<64 hex>"]: EdDSA JWT issuers' keys
//   [mempool]
//   max_transactions = 100000
//   max_bytes        = 67108864
//   [log]
//   level = "info"                # trace, debug, info, warn, error
//   format = "text"               # text or json (one JSON object per line), on stderr
//   [ace]                          # the agent runtime (docs/ace.md)
//   enabled = true
//   workers = 2
//   evidence_dir = "evidence"      # security.hash_evidence reads files under it only
//   backup_dir = "backups"         # operations.checkpoint / backup write under it only
//   backups_kept = 3
//   health_interval_s = 60         # SAT task operations.health every N s; 0: never
//   backup_interval_s = 0          # SAT task operations.backup every N s; 0: never
//   attest_receipts = false        # submit goals that passed the Ihsan gate as PoI attestations
//   llm = ""                       # "", "openai" or "ollama": the Architect's LLM planner
//   llm_url = ""                   # e.g. "http://127.0.0.1:11434"
//   llm_model = ""
//   llm_api_key_file = ""          # bearer key for an OpenAI-compatible server (file, 0600)
//   llm_timeout_ms = 30000

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::node {

inline constexpr std::size_t kMaxConfigBytes = 256 << 10;

struct PeerEntry {
  crypto::PublicKey key;
  std::string address;  // host:port
  bool operator==(const PeerEntry&) const = default;
};

// [ace]: see the table above.
struct AceSettings {
  bool enabled = true;
  std::size_t workers = 2;
  std::filesystem::path evidence_dir = "evidence";
  std::filesystem::path backup_dir = "backups";
  std::size_t backups_kept = 3;
  std::size_t health_interval_s = 60;
  std::size_t backup_interval_s = 0;
  bool attest_receipts = false;
  std::string llm;  // "", "openai", "ollama"
  std::string llm_url;
  std::string llm_model;
  std::filesystem::path llm_api_key_file;  // empty: none
  std::size_t llm_timeout_ms = 30'000;
  bool operator==(const AceSettings&) const = default;
};

struct NodeConfig {
  std::filesystem::path data_dir = "data";
  std::filesystem::path key_file = "node.key";
  std::filesystem::path genesis_file = "genesis.json";
  std::string p2p_listen = "127.0.0.1:26600";
  std::vector<PeerEntry> peers;
  std::size_t max_peers = 64;
  std::string api_listen = "127.0.0.1:3006";
  std::size_t api_threads = 2;
  // Bearer API keys (16..256 bytes each) for state-changing routes that are not self-authorized
  // (ACE tasks); none: those routes refuse every request (401). Keep this file 0600 if you set any.
  std::vector<std::string> api_keys;
  std::size_t rate_limit_per_second = 0;  // per client IP, on write/verify routes; 0: no limit
  std::size_t rate_limit_burst = 0;       // bucket size; 0: twice the rate
  std::vector<std::string> cors_origins;  // exact origins or "*"; empty: CORS off
  // JWT bearer tokens (http/auth.hpp): the HS256 secret is read from this file when the API
  // starts (never kept in node.toml, never logged); empty: HS256 not accepted.
  std::filesystem::path jwt_hs256_secret_file;
  std::vector<crypto::PublicKey> jwt_eddsa_public_keys;  // empty: EdDSA tokens not accepted
  std::size_t mempool_max_transactions = 100'000;
  std::size_t mempool_max_bytes = 64 << 20;
  std::string log_level = "info";
  std::string log_format = "text";  // "text" or "json"
  AceSettings ace;

  bool operator==(const NodeConfig&) const = default;
};

// Parses node.toml text; relative paths are resolved against `base_dir`. Errors: "bad_config".
Result<NodeConfig> parse_config(std::string_view text, const std::filesystem::path& base_dir);
// Errors: "io_error", "too_large", "bad_config".
Result<NodeConfig> read_config_file(const std::filesystem::path& path);
// TOML that parse_config reads back equal (paths written as given).
std::string format_config(const NodeConfig& config);

// "ed25519:<hex>@host:port". Errors: "bad_peer".
Result<PeerEntry> parse_peer(std::string_view text);
std::string format_peer(const PeerEntry& peer);

}  // namespace bizra::node
