#include "node/config.hpp"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <sstream>

#include <toml++/toml.h>

#include "base/file.hpp"
#include "crypto/identity.hpp"
#include "node/genesis.hpp"

namespace bizra::node {
namespace {

constexpr std::array<std::string_view, 5> kLogLevels = {"trace", "debug", "info", "warn", "error"};

Error bad_config(std::string_view key, std::string_view what) {
  return Error("bad_config", std::string(key) + ": " + std::string(what));
}

// Reads one [table] of the document strictly: get_*() consume known keys; finish() reports
// the first key nobody asked for.
class Section {
 public:
  Section(const toml::table& root, std::string_view name) : name_(name) {
    if (const toml::node* n = root.get(name)) table_ = n->as_table();
  }

  bool present_but_not_table(const toml::table& root) const { return root.get(name_) != nullptr && table_ == nullptr; }

  Status get(std::string_view key, std::string& out) {
    const toml::node* n = find(key);
    if (n == nullptr) return ok_status();
    const auto* s = n->as_string();
    if (s == nullptr) return bad_config(path(key), "expected a string");
    out = s->get();
    return ok_status();
  }

  Status get(std::string_view key, bool& out) {
    const toml::node* n = find(key);
    if (n == nullptr) return ok_status();
    const auto* b = n->as_boolean();
    if (b == nullptr) return bad_config(path(key), "expected true or false");
    out = b->get();
    return ok_status();
  }

  Status get(std::string_view key, std::size_t& out, std::size_t min, std::size_t max) {
    const toml::node* n = find(key);
    if (n == nullptr) return ok_status();
    const auto* i = n->as_integer();
    if (i == nullptr) return bad_config(path(key), "expected an integer");
    const std::int64_t v = i->get();
    if (v < 0 || static_cast<std::uint64_t>(v) < min || static_cast<std::uint64_t>(v) > max)
      return bad_config(path(key), std::to_string(v) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
    out = static_cast<std::size_t>(v);
    return ok_status();
  }

  Status get(std::string_view key, std::vector<std::string>& out) {
    const toml::node* n = find(key);
    if (n == nullptr) return ok_status();
    const auto* a = n->as_array();
    if (a == nullptr) return bad_config(path(key), "expected an array of strings");
    out.clear();
    for (const toml::node& item : *a) {
      const auto* s = item.as_string();
      if (s == nullptr) return bad_config(path(key), "expected an array of strings");
      out.push_back(s->get());
    }
    return ok_status();
  }

  Status finish() const {
    if (table_ == nullptr) return ok_status();
    for (const auto& [key, value] : *table_)
      if (std::find(used_.begin(), used_.end(), key.str()) == used_.end()) return bad_config(path(key.str()), "unknown key");
    return ok_status();
  }

 private:
  const toml::node* find(std::string_view key) {
    used_.emplace_back(key);
    return table_ == nullptr ? nullptr : table_->get(key);
  }
  std::string path(std::string_view key) const { return name_ + "." + std::string(key); }

  std::string name_;
  const toml::table* table_ = nullptr;
  std::vector<std::string> used_;
};

Status check_address(std::string_view key, const std::string& address, bool may_be_empty) {
  if (may_be_empty && address.empty()) return ok_status();
  if (auto parsed = parse_host_port(address); !parsed) return bad_config(key, parsed.error().message());
  return ok_status();
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& text) {
  const std::filesystem::path p(text);
  return p.is_absolute() || base.empty() ? p : base / p;
}

Status read_ace_section(const toml::table& root, const std::filesystem::path& base_dir, AceSettings& out) {
  Section ace(root, "ace");
  if (ace.present_but_not_table(root)) return bad_config("ace", "must be a [table]");
  std::string evidence = out.evidence_dir.string(), backups = out.backup_dir.string(),
              llm_key = out.llm_api_key_file.string();
  BIZRA_TRY(ace.get("enabled", out.enabled));
  BIZRA_TRY(ace.get("workers", out.workers, 1, 256));
  BIZRA_TRY(ace.get("evidence_dir", evidence));
  BIZRA_TRY(ace.get("backup_dir", backups));
  BIZRA_TRY(ace.get("backups_kept", out.backups_kept, 1, 1000));
  BIZRA_TRY(ace.get("health_interval_s", out.health_interval_s, 0, 86'400));
  BIZRA_TRY(ace.get("backup_interval_s", out.backup_interval_s, 0, 30 * 86'400));
  BIZRA_TRY(ace.get("attest_receipts", out.attest_receipts));
  BIZRA_TRY(ace.get("llm", out.llm));
  BIZRA_TRY(ace.get("llm_url", out.llm_url));
  BIZRA_TRY(ace.get("llm_model", out.llm_model));
  BIZRA_TRY(ace.get("llm_api_key_file", llm_key));
  BIZRA_TRY(ace.get("llm_timeout_ms", out.llm_timeout_ms, 100, 600'000));
  BIZRA_TRY(ace.finish());
  if (out.llm != "" && out.llm != "openai" && out.llm != "ollama")
    return bad_config("ace.llm", "expected \"\", \"openai\" or \"ollama\"");
  if (!out.llm.empty() && (out.llm_url.empty() || out.llm_model.empty()))
    return bad_config("ace.llm", "llm_url and llm_model are required with llm");
  if (evidence.empty() || backups.empty()) return bad_config("ace", "evidence_dir and backup_dir must not be empty");
  out.evidence_dir = resolve(base_dir, evidence);
  out.backup_dir = resolve(base_dir, backups);
  out.llm_api_key_file = llm_key.empty() ? std::filesystem::path() : resolve(base_dir, llm_key);
  return ok_status();
}

Status read_sections(const toml::table& root, const std::filesystem::path& base_dir, NodeConfig& out) {
  for (const auto& [key, value] : root)
    if (key.str() != "node" && key.str() != "p2p" && key.str() != "api" && key.str() != "mempool" && key.str() != "log" &&
        key.str() != "ace")
      return bad_config(key.str(), "unknown table");
  Section node(root, "node"), p2p(root, "p2p"), api(root, "api"), mempool(root, "mempool"), log(root, "log");
  for (const Section* s : {&node, &p2p, &api, &mempool, &log})
    if (s->present_but_not_table(root)) return bad_config("config", "every top-level entry must be a [table]");
  std::string data_dir = out.data_dir.string(), key_file = out.key_file.string(), genesis = out.genesis_file.string();
  std::vector<std::string> peers;
  BIZRA_TRY(node.get("data_dir", data_dir));
  BIZRA_TRY(node.get("key_file", key_file));
  BIZRA_TRY(node.get("genesis", genesis));
  BIZRA_TRY(p2p.get("listen", out.p2p_listen));
  BIZRA_TRY(p2p.get("peers", peers));
  BIZRA_TRY(p2p.get("max_peers", out.max_peers, 1, 10'000));
  BIZRA_TRY(api.get("listen", out.api_listen));
  BIZRA_TRY(api.get("threads", out.api_threads, 1, 256));
  BIZRA_TRY(api.get("api_keys", out.api_keys));
  BIZRA_TRY(api.get("rate_limit_per_second", out.rate_limit_per_second, 0, 1'000'000));
  BIZRA_TRY(api.get("rate_limit_burst", out.rate_limit_burst, 0, 10'000'000));
  BIZRA_TRY(api.get("cors_origins", out.cors_origins));
  std::string jwt_secret_file = out.jwt_hs256_secret_file.string();
  std::vector<std::string> jwt_keys;
  BIZRA_TRY(api.get("jwt_hs256_secret_file", jwt_secret_file));
  BIZRA_TRY(api.get("jwt_eddsa_public_keys", jwt_keys));
  BIZRA_TRY(mempool.get("max_transactions", out.mempool_max_transactions, 1, 10'000'000));
  BIZRA_TRY(mempool.get("max_bytes", out.mempool_max_bytes, 1024, std::size_t{64} << 30));
  BIZRA_TRY(log.get("level", out.log_level));
  BIZRA_TRY(log.get("format", out.log_format));
  for (const Section* s : {&node, &p2p, &api, &mempool, &log}) BIZRA_TRY(s->finish());
  BIZRA_TRY(read_ace_section(root, base_dir, out.ace));

  BIZRA_TRY(check_address("p2p.listen", out.p2p_listen, false));
  BIZRA_TRY(check_address("api.listen", out.api_listen, true));
  for (const auto& key : out.api_keys)
    if (key.size() < 16 || key.size() > 256) return bad_config("api.api_keys", "each key must be 16..256 bytes");
  if (std::find(kLogLevels.begin(), kLogLevels.end(), out.log_level) == kLogLevels.end())
    return bad_config("log.level", "expected trace, debug, info, warn or error");
  if (out.log_format != "text" && out.log_format != "json") return bad_config("log.format", "expected text or json");
  out.jwt_hs256_secret_file = jwt_secret_file.empty() ? std::filesystem::path() : resolve(base_dir, jwt_secret_file);
  out.jwt_eddsa_public_keys.clear();
  for (const auto& text : jwt_keys) {
    auto key = crypto::parse_public_key(text);
    if (!key) return bad_config("api.jwt_eddsa_public_keys", key.error().message());
    out.jwt_eddsa_public_keys.push_back(*key);
  }
  if (data_dir.empty() || key_file.empty() || genesis.empty()) return bad_config("node", "paths must not be empty");
  out.data_dir = resolve(base_dir, data_dir);
  out.key_file = resolve(base_dir, key_file);
  out.genesis_file = resolve(base_dir, genesis);
  out.peers.clear();
  for (const auto& text : peers) {
    auto peer = parse_peer(text);
    if (!peer) return bad_config("p2p.peers", peer.error().message());
    out.peers.push_back(std::move(*peer));
  }
  return ok_status();
}

std::string toml_string(std::string_view s) {
  std::ostringstream out;
  out << toml::value<std::string>(std::string(s));
  return out.str();
}

}  // namespace

Result<PeerEntry> parse_peer(std::string_view text) {
  const auto at = text.find('@');
  if (at == std::string_view::npos) return Error("bad_peer", "expected ed25519:<hex>@host:port, got '" + std::string(text) + "'");
  auto key = crypto::parse_public_key(text.substr(0, at));
  if (!key) return Error("bad_peer", key.error().message());
  auto address = parse_host_port(text.substr(at + 1));
  if (!address) return Error("bad_peer", address.error().message());
  return PeerEntry{*key, std::string(text.substr(at + 1))};
}

std::string format_peer(const PeerEntry& peer) { return crypto::format_public_key(peer.key) + "@" + peer.address; }

Result<NodeConfig> parse_config(std::string_view text, const std::filesystem::path& base_dir) {
  if (text.size() > kMaxConfigBytes) return bad_config("config", "larger than 256 KiB");
  NodeConfig out;
  try {
    const toml::table root = toml::parse(text);
    BIZRA_TRY(read_sections(root, base_dir, out));
  } catch (const toml::parse_error& e) {
    return bad_config("config", "line " + std::to_string(e.source().begin.line) + ": " + std::string(e.description()));
  }
  return out;
}

Result<NodeConfig> read_config_file(const std::filesystem::path& path) {
  auto text = read_bounded_file(path, kMaxConfigBytes);
  if (!text) return text.error();
  auto config = parse_config(*text, path.parent_path());
  if (!config) return config.error().with_context(path.string());
  return config;
}

namespace {

std::string toml_strings(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i > 0 ? ", " : "") + toml_string(items[i]);
  return out + "]";
}

std::string format_ace(const AceSettings& a) {
  return "\n[ace]\nenabled = " + std::string(a.enabled ? "true" : "false") + "\nworkers = " + std::to_string(a.workers) +
         "\nevidence_dir = " + toml_string(a.evidence_dir.string()) + "\nbackup_dir = " + toml_string(a.backup_dir.string()) +
         "\nbackups_kept = " + std::to_string(a.backups_kept) + "\nhealth_interval_s = " + std::to_string(a.health_interval_s) +
         "\nbackup_interval_s = " + std::to_string(a.backup_interval_s) +
         "\nattest_receipts = " + std::string(a.attest_receipts ? "true" : "false") + "\nllm = " + toml_string(a.llm) +
         "\nllm_url = " + toml_string(a.llm_url) + "\nllm_model = " + toml_string(a.llm_model) +
         "\nllm_api_key_file = " + toml_string(a.llm_api_key_file.string()) +
         "\nllm_timeout_ms = " + std::to_string(a.llm_timeout_ms) + "\n";
}

}  // namespace

std::string format_config(const NodeConfig& c) {
  std::vector<std::string> peer_texts;
  for (const auto& p : c.peers) peer_texts.push_back(format_peer(p));
  const std::string peers = toml_strings(peer_texts);
  std::vector<std::string> jwt_keys;
  for (const auto& key : c.jwt_eddsa_public_keys) jwt_keys.push_back(crypto::format_public_key(key));
  return "[node]\ndata_dir = " + toml_string(c.data_dir.string()) + "\nkey_file = " + toml_string(c.key_file.string()) +
         "\ngenesis = " + toml_string(c.genesis_file.string()) + "\n\n[p2p]\nlisten = " + toml_string(c.p2p_listen) +
         "\npeers = " + peers + "\nmax_peers = " + std::to_string(c.max_peers) +
         "\n\n[api]\nlisten = " + toml_string(c.api_listen) + "\nthreads = " + std::to_string(c.api_threads) +
         "\napi_keys = " + toml_strings(c.api_keys) + "\nrate_limit_per_second = " + std::to_string(c.rate_limit_per_second) +
         "\nrate_limit_burst = " + std::to_string(c.rate_limit_burst) + "\ncors_origins = " + toml_strings(c.cors_origins) +
         "\njwt_hs256_secret_file = " + toml_string(c.jwt_hs256_secret_file.string()) +
         "\njwt_eddsa_public_keys = " + toml_strings(jwt_keys) +
         "\n\n[mempool]\nmax_transactions = " + std::to_string(c.mempool_max_transactions) +
         "\nmax_bytes = " + std::to_string(c.mempool_max_bytes) + "\n\n[log]\nlevel = " + toml_string(c.log_level) +
         "\nformat = " + toml_string(c.log_format) + "\n" + format_ace(c.ace);
}

}  // namespace bizra::node
