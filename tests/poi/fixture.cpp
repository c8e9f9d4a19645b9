#include "fixture.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "poi/attestation.hpp"

namespace bizra::poi::testing {
namespace {

crypto::SecretKey key_from_pattern(std::uint8_t first) {
  std::array<std::uint8_t, 32> seed{};
  for (std::size_t i = 0; i < seed.size(); ++i) seed[i] = static_cast<std::uint8_t>(first + i);
  return crypto::SecretKey::from_seed(seed).value();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "test fixture: %s\n", what.c_str());
  std::abort();
}

json::Value edit(const json::Value& doc, std::string_view path, const std::optional<json::Value>& value) {
  const std::size_t dot = path.find('.');
  const std::string key(path.substr(0, dot));
  const bool leaf = dot == std::string_view::npos;
  std::vector<json::Value::Member> members;
  bool found = false;
  for (const auto& member : doc.members()) {
    if (member.first != key) {
      members.push_back(member);
    } else if (leaf) {
      found = true;
      if (value) members.emplace_back(key, *value);
    } else {
      found = true;
      members.emplace_back(key, edit(member.second, path.substr(dot + 1), value));
    }
  }
  if (!found && value)
    members.emplace_back(key, leaf ? *value : edit(json::Value::object({}), path.substr(dot + 1), value));
  return json::Value::object(std::move(members));
}

}  // namespace

const crypto::SecretKey& key() {
  static const crypto::SecretKey k = key_from_pattern(0x00);
  return k;
}

const crypto::SecretKey& other_key() {
  static const crypto::SecretKey k = key_from_pattern(0x20);
  return k;
}

Hash32 genesis_root() { return crypto::blake3("bizra-devnet genesis"); }
Hash32 finalized_block() { return crypto::blake3("block 1"); }

ValidationContext context(const State& state) {
  ValidationContext c = context();
  c.nonce_used = [&state](const crypto::PublicKey& pubkey, std::string_view nonce) {
    return state.used_nonces.count({pubkey, std::string(nonce)}) != 0;
  };
  return c;
}

ValidationContext context() {
  ValidationContext c;
  c.chain_id = std::string(kChainId);
  c.genesis_root = genesis_root();
  c.now = kWindowEnd;
  c.is_finalized_block = [](const Hash32& block) { return block == finalized_block(); };
  return c;
}

json::Value J(std::string_view text) {
  auto v = json::parse(text);
  if (!v) die("bad JSON in a test: " + v.error().to_string());
  return std::move(*v);
}

json::Value document() {
  const auto& pk = key().public_key();
  return J(R"({
    "version": "poi-1.0",
    "anchor": {"chain_id": "bizra-devnet", "genesis_root": ")" +
           hex::encode(genesis_root()) + R"(", "block_ref": ")" + hex::encode(finalized_block()) + R"("},
    "attester": {"id": ")" +
           crypto::account_id(pk) + R"(", "pubkey": ")" + crypto::format_public_key(pk) + R"("},
    "resources": {"cpu_cores": 8, "ram_gb": 32, "gpu_vram_gb": 0, "wallclock_sec": 3600},
    "evidence": {"pack_sha256": ")" +
           hex::encode(crypto::blake3("evidence pack")) + R"(",
                 "pack_bytes": 123456, "files_processed": 42, "redactions_count": 0,
                 "methodology_ref": "https://example.org/methodology/v1"},
    "measurement": {"dimensions": {"quality": 0.9, "reach": 0.5},
                    "weights": {"quality": 0.6, "reach": 0.4},
                    "impact_score": 0.74},
    "benchmarks": {"pre": {"performance": 0.5}, "post": {"performance": 0.8}, "delta": {"performance": 0.3}},
    "time_window": ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
    "nonce": "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
  })");
}

json::Value with(const json::Value& doc, std::string_view path, const json::Value& value) {
  return edit(doc, path, value);
}

json::Value without(const json::Value& doc, std::string_view path) { return edit(doc, path, std::nullopt); }

std::string signed_text(const json::Value& doc, const crypto::SecretKey& signer) {
  auto text = sign(jcs::serialize(doc), signer);
  if (!text) die("sign failed: " + text.error().to_string());
  return std::move(*text);
}

}  // namespace bizra::poi::testing
