#include "node/genesis.hpp"

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <set>

#include "base/file.hpp"
#include "codec/jcs.hpp"
#include "codec/json.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "poi/decimal.hpp"

namespace bizra::node {
namespace {

constexpr std::uint64_t kMaxJsonInteger = (std::uint64_t{1} << 53) - 1;
constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxChainIdBytes = 64;

Error bad_genesis(const std::string& path, std::string_view what) {
  return Error("bad_genesis", path + ": " + std::string(what));
}

// Strict member access on the parsed document: every accessor names the member's path in its
// error, and objects are checked for unknown members before anything is read from them.
Status expect_object(const json::Value& v, const std::string& path, std::initializer_list<std::string_view> allowed) {
  if (!v.is_object()) return bad_genesis(path, "expected an object");
  for (const auto& [key, value] : v.members())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return bad_genesis(path + "." + key, "unknown member");
  return ok_status();
}

Result<const json::Value*> member(const json::Value& object, const std::string& path, std::string_view key) {
  const json::Value* v = object.find(key);
  if (v == nullptr) return bad_genesis(path + "." + std::string(key), "missing");
  return v;
}

Result<std::string> string_member(const json::Value& object, const std::string& path, std::string_view key) {
  auto v = member(object, path, key);
  if (!v) return v.error();
  if (!(*v)->is_string()) return bad_genesis(path + "." + std::string(key), "expected a string");
  return (*v)->as_string();
}

Result<std::uint64_t> integer_member(const json::Value& object, const std::string& path, std::string_view key,
                                     std::uint64_t min, std::uint64_t max) {
  auto v = member(object, path, key);
  if (!v) return v.error();
  const std::string where = path + "." + std::string(key);
  if (!(*v)->is_number()) return bad_genesis(where, "expected an integer");
  const auto value = poi::decimal::to_scaled((*v)->number_text(), 0);
  if (!value || *value < 0 || static_cast<std::uint64_t>(*value) > kMaxJsonInteger)
    return bad_genesis(where, "expected an integer in [0, 2^53-1]");
  const auto u = static_cast<std::uint64_t>(*value);
  if (u < min || u > max)
    return bad_genesis(where, std::to_string(u) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  return u;
}

Result<bool> bool_member(const json::Value& object, const std::string& path, std::string_view key) {
  auto v = member(object, path, key);
  if (!v) return v.error();
  if (!(*v)->is_bool()) return bad_genesis(path + "." + std::string(key), "expected true or false");
  return (*v)->as_bool();
}

bool is_label(std::string_view s, std::size_t max) {
  return !s.empty() && s.size() <= max && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

Result<GenesisValidator> read_validator(const json::Value& v, const std::string& path) {
  BIZRA_TRY(expect_object(v, path, {"name", "pubkey", "weight", "stake_bond", "p2p", "api"}));
  GenesisValidator out;
  auto name = string_member(v, path, "name");
  if (!name) return name.error();
  if (!is_label(*name, kMaxNameBytes)) return bad_genesis(path + ".name", "expected 1..64 of [A-Za-z0-9._-]");
  out.name = std::move(*name);
  auto key_text = string_member(v, path, "pubkey");
  if (!key_text) return key_text.error();
  auto key = crypto::parse_public_key(*key_text);
  if (!key) return bad_genesis(path + ".pubkey", key.error().message());
  out.key = *key;
  auto weight = integer_member(v, path, "weight", 1, kMaxJsonInteger);
  if (!weight) return weight.error();
  out.weight = *weight;
  auto bond = integer_member(v, path, "stake_bond", 0, kMaxJsonInteger);
  if (!bond) return bond.error();
  out.stake_bond = *bond;
  auto p2p = string_member(v, path, "p2p");
  if (!p2p) return p2p.error();
  if (auto parsed = parse_host_port(*p2p); !parsed) return bad_genesis(path + ".p2p", parsed.error().message());
  out.p2p = std::move(*p2p);
  auto api = string_member(v, path, "api");
  if (!api) return api.error();
  if (!api->empty())
    if (auto parsed = parse_host_port(*api); !parsed) return bad_genesis(path + ".api", parsed.error().message());
  out.api = std::move(*api);
  return out;
}

Status read_validators(const json::Value& doc, Genesis& out) {
  auto list = member(doc, "genesis", "validators");
  if (!list) return list.error();
  const auto& items = (*list)->items();
  if (!(*list)->is_array() || items.empty() || items.size() > kMaxGenesisValidators)
    return bad_genesis("genesis.validators", "expected an array of 1.." + std::to_string(kMaxGenesisValidators));
  std::set<crypto::PublicKey> keys;
  std::set<std::string> names;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string path = "genesis.validators[" + std::to_string(i) + "]";
    auto validator = read_validator(items[i], path);
    if (!validator) return validator.error();
    if (!keys.insert(validator->key).second) return bad_genesis(path + ".pubkey", "duplicate key");
    if (!names.insert(validator->name).second) return bad_genesis(path + ".name", "duplicate name");
    out.validators.push_back(std::move(*validator));
  }
  std::uint64_t total = 0;
  for (const auto& v : out.validators)
    if (__builtin_add_overflow(total, v.weight, &total)) return bad_genesis("genesis.validators", "total weight overflows");
  return ok_status();
}

Status read_limits(const json::Value& doc, Genesis& out) {
  auto block = member(doc, "genesis", "block");
  if (!block) return block.error();
  BIZRA_TRY(expect_object(**block, "genesis.block", {"max_transactions", "max_payload_bytes"}));
  auto txs = integer_member(**block, "genesis.block", "max_transactions", 1, 1'000'000);
  if (!txs) return txs.error();
  auto bytes = integer_member(**block, "genesis.block", "max_payload_bytes", 1024, 64 << 20);
  if (!bytes) return bytes.error();
  out.max_block_transactions = static_cast<std::uint32_t>(*txs);
  out.max_block_payload_bytes = static_cast<std::uint32_t>(*bytes);
  auto consensus = member(doc, "genesis", "consensus");
  if (!consensus) return consensus.error();
  BIZRA_TRY(expect_object(**consensus, "genesis.consensus", {"base_timeout_ms"}));
  auto timeout = integer_member(**consensus, "genesis.consensus", "base_timeout_ms", 10, 600'000);
  if (!timeout) return timeout.error();
  out.base_timeout_ms = *timeout;
  return ok_status();
}

std::string json_string(std::string_view s) { return jcs::serialize(json::Value::string(std::string(s))); }

}  // namespace

Result<std::pair<std::string, std::uint16_t>> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return Error("bad_address", "expected host:port, got '" + std::string(text) + "'");
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    return Error("bad_address", "port must be 1..65535 in '" + std::string(text) + "'");
  return std::pair{std::string(text.substr(0, colon)), static_cast<std::uint16_t>(port)};
}

Result<Genesis> parse_genesis(std::string_view text) {
  if (text.size() > kMaxGenesisBytes) return bad_genesis("genesis", "larger than 1 MiB");
  auto doc = json::parse(text, json::Limits{.max_bytes = kMaxGenesisBytes, .max_depth = 8});
  if (!doc) return bad_genesis("genesis", doc.error().message());
  BIZRA_TRY(expect_object(*doc, "genesis",
                          {"chain_id", "genesis_time_ms", "validators", "block", "consensus", "bench_transactions"}));
  Genesis out;
  auto chain_id = string_member(*doc, "genesis", "chain_id");
  if (!chain_id) return chain_id.error();
  if (!is_label(*chain_id, kMaxChainIdBytes)) return bad_genesis("genesis.chain_id", "expected 1..64 of [A-Za-z0-9._-]");
  out.chain_id = std::move(*chain_id);
  auto time = integer_member(*doc, "genesis", "genesis_time_ms", 0, kMaxJsonInteger);
  if (!time) return time.error();
  out.genesis_time_ms = *time;
  BIZRA_TRY(read_validators(*doc, out));
  BIZRA_TRY(read_limits(*doc, out));
  auto bench = bool_member(*doc, "genesis", "bench_transactions");
  if (!bench) return bench.error();
  out.bench_transactions = *bench;
  return out;
}

std::string format_genesis(const Genesis& g) {
  std::string out = "{\n  \"chain_id\": " + json_string(g.chain_id) + ",\n";
  out += "  \"genesis_time_ms\": " + std::to_string(g.genesis_time_ms) + ",\n  \"validators\": [\n";
  for (std::size_t i = 0; i < g.validators.size(); ++i) {
    const auto& v = g.validators[i];
    out += "    {\"name\": " + json_string(v.name) + ", \"pubkey\": " + json_string(crypto::format_public_key(v.key)) +
           ", \"weight\": " + std::to_string(v.weight) + ", \"stake_bond\": " + std::to_string(v.stake_bond) +
           ", \"p2p\": " + json_string(v.p2p) + ", \"api\": " + json_string(v.api) + "}";
    out += i + 1 < g.validators.size() ? ",\n" : "\n";
  }
  out += "  ],\n  \"block\": {\"max_transactions\": " + std::to_string(g.max_block_transactions) +
         ", \"max_payload_bytes\": " + std::to_string(g.max_block_payload_bytes) + "},\n";
  out += "  \"consensus\": {\"base_timeout_ms\": " + std::to_string(g.base_timeout_ms) + "},\n";
  out += std::string("  \"bench_transactions\": ") + (g.bench_transactions ? "true" : "false") + "\n}\n";
  return out;
}

Hash32 genesis_root(const Genesis& genesis) {
  // format_genesis always yields a document jcs accepts: the canonical form cannot fail here.
  const auto canonical = jcs::canonicalize(format_genesis(genesis), json::Limits{.max_bytes = kMaxGenesisBytes + 4096});
  return crypto::blake3(canonical.value());
}

Result<Genesis> read_genesis_file(const std::filesystem::path& path) {
  auto text = read_bounded_file(path, kMaxGenesisBytes);
  if (!text) return text.error();
  auto genesis = parse_genesis(*text);
  if (!genesis) return genesis.error().with_context(path.string());
  return genesis;
}

Status write_genesis_file(const std::filesystem::path& path, const Genesis& genesis) {
  return write_file_atomic(path, format_genesis(genesis));
}

}  // namespace bizra::node
