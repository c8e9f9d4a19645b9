// The committed test vectors (docs/test-vectors/poi/) against the code, and the generator that
// writes them. Run with BIZRA_REGENERATE_VECTORS=1 to rewrite the files after a deliberate change;
// otherwise the generator's output must equal the committed files byte for byte.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"
#include "crypto/identity.hpp"
#include "fixture.hpp"
#include "poi/attestation.hpp"
#include "poi/validate.hpp"

namespace bizra::poi {
namespace {

const std::filesystem::path kDir = std::filesystem::path(BIZRA_SOURCE_DIR) / "docs/test-vectors/poi";
constexpr std::string_view kUsedNonce = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
}

// --- the generator -----------------------------------------------------------------------------

// Documents are written by hand, pretty-printed, so that the canonical form visibly differs from
// them; {{NAME}} placeholders are filled from the key and the context.
constexpr std::string_view kMinimal = R"({
  "version": "poi-1.0",
  "anchor": {
    "chain_id": "bizra-devnet",
    "genesis_root": "{{GENESIS}}"
  },
  "attester": {
    "id": "{{ID}}",
    "pubkey": "{{PUBKEY}}"
  },
  "evidence": {
    "pack_sha256": "{{PACK}}"
  },
  "measurement": {
    "dimensions": {"quality": 0.9, "reach": 0.5},
    "weights": {"quality": 0.6, "reach": 0.4},
    "impact_score": 0.74
  },
  "time_window": ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
  "nonce": "{{NONCE}}",
  "signature": {"alg": "ed25519", "sig_base16": "{{SIG}}"}
}
)";

constexpr std::string_view kFull = R"({
  "version": "poi-1.0",
  "anchor": {
    "chain_id": "bizra-devnet",
    "genesis_root": "{{GENESIS}}",
    "block_ref": "{{BLOCK}}"
  },
  "attester": {
    "id": "{{ID}}",
    "pubkey": "{{PUBKEY}}"
  },
  "resources": {"cpu_cores": 8, "ram_gb": 32, "gpu_vram_gb": 0, "wallclock_sec": 3600},
  "evidence": {
    "pack_sha256": "{{PACK}}",
    "pack_bytes": 123456,
    "files_processed": 42,
    "redactions_count": 0,
    "methodology_ref": "https://bizra.example/methodology/impact-v1"
  },
  "measurement": {
    "dimensions": {"quality": 0.9, "reach": 0.5},
    "weights": {"quality": 0.6, "reach": 0.4},
    "impact_score": 0.74
  },
  "benchmarks": {
    "pre": {"performance": 0.5, "latency_ms": 120},
    "post": {"performance": 0.8, "latency_ms": 95.5},
    "delta": {"performance": 0.3, "latency_ms": -24.5}
  },
  "time_window": ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
  "nonce": "{{NONCE}}",
  "signature": {"alg": "ed25519", "sig_base16": "{{SIG}}"}
}
)";

using Edits = std::vector<std::pair<std::string, std::string>>;  // text replacements

struct VectorSpec {
  VectorSpec(std::string name_, std::string_view base_, Edits edits_, std::string expected_,
             bool signed_by_other_key_ = false, std::pair<std::string, std::string> tamper_ = {})
      : name(std::move(name_)),
        base(base_),
        edits(std::move(edits_)),
        expected(std::move(expected_)),
        signed_by_other_key(signed_by_other_key_),
        tamper(std::move(tamper_)) {}

  std::string name;
  std::string_view base;
  Edits edits;           // applied before signing
  std::string expected;  // "ok" or the error code
  bool signed_by_other_key;
  std::pair<std::string, std::string> tamper;  // an edit after signing
};

std::vector<VectorSpec> specs() {
  return {
      {"valid-minimal", kMinimal, {}, "ok"},
      {"valid-full", kFull, {}, "ok"},
      {"valid-unicode",
       kFull,
       {{"https://bizra.example/methodology/impact-v1",
         R"(M\u00e9thode d’évaluation — 影響評価 \ud83c\udf0d \"v1\"\t\u0001)"},
        {R"("dimensions": {"quality": 0.9, "reach": 0.5})", R"("dimensions": {"quality": 0.9, "ｶ": 0.5, "😀": 0.25})"},
        {R"("weights": {"quality": 0.6, "reach": 0.4})", R"("weights": {"quality": 0.5, "ｶ": 0.25, "😀": 0.25})"},
        {R"("impact_score": 0.74)", R"("impact_score": 0.6375)"}},
       "ok"},
      {"valid-number-spellings",
       kMinimal,
       {{R"("quality": 0.9, "reach": 0.5)", R"("quality": 9e-1, "reach": 0.500000)"},
        {R"("quality": 0.6, "reach": 0.4)", R"("quality": 6.0E-1, "reach": 4E-1)"},
        {R"("impact_score": 0.74)", R"("impact_score": 74e-2)"}},
       "ok"},
      {"malformed-unknown-member",
       kFull,
       {{R"("redactions_count": 0,)", R"("redactions_count": 0, "notes": "not in the schema",)"}},
       "malformed"},
      {"malformed-duplicate-key",
       kMinimal,
       {{R"("nonce": "{{NONCE}}",)", R"("nonce": "{{NONCE}}", "nonce": "{{NONCE}}",)"}},
       "malformed"},
      {"bad-version", kMinimal, {{R"("version": "poi-1.0")", R"("version": "poi-1.1")"}}, "bad_version"},
      {"wrong-chain", kMinimal, {{R"("chain_id": "bizra-devnet")", R"("chain_id": "bizra-testnet")"}}, "wrong_chain"},
      {"unknown-block-ref", kFull, {{"{{BLOCK}}", hex::encode(crypto::blake3("block 2"))}}, "unknown_block_ref"},
      {"bad-attester", kMinimal, {{"{{ID}}", "bz" + std::string(40, '0')}}, "bad_attester"},
      {"bad-evidence", kMinimal, {{"{{PACK}}", "{{PACK_UPPER}}"}}, "bad_evidence"},
      {"bad-nonce", kMinimal, {{"{{NONCE}}", std::string(31, 'a')}}, "bad_nonce"},
      {"replay", kMinimal, {{"{{NONCE}}", std::string(kUsedNonce)}}, "replay"},
      {"bad-time-window",
       kMinimal,
       {{R"(["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"])", R"(["2025-12-01T00:00:00Z", "2026-01-02T00:00:00Z"])"}},
       "bad_time_window"},
      {"bad-measurement", kMinimal, {{R"("impact_score": 0.74)", R"("impact_score": 0.7400001)"}}, "bad_measurement"},
      {"bad-benchmarks",
       kFull,
       {{R"("delta": {"performance": 0.3,)", R"("delta": {"performance": 0.29,)"}},
       "bad_benchmarks"},
      {"bad-signature-other-key", kMinimal, {}, "bad_signature", true},
      {"bad-signature-tampered",
       kFull,
       {},
       "bad_signature",
       false,
       {R"("files_processed": 42)", R"("files_processed": 43)"}},
  };
}

std::string context_file() {
  const auto& pk = testing::key().public_key();
  return "{\n"
         "  \"chain_id\": \"" +
         std::string(testing::kChainId) +
         "\",\n"
         "  \"genesis_root\": \"" +
         hex::encode(testing::genesis_root()) +
         "\",\n"
         "  \"now\": " +
         std::to_string(testing::kWindowEnd) +
         ",\n"
         "  \"finalized_blocks\": [\"" +
         hex::encode(testing::finalized_block()) +
         "\"],\n"
         "  \"used_nonces\": [{\"pubkey\": \"" +
         crypto::format_public_key(pk) + "\", \"nonce\": \"" + std::string(kUsedNonce) +
         "\"}],\n"
         "  \"key_seed\": \"" +
         hex::encode(testing::key().seed()) +
         "\",\n"
         "  \"key_pubkey\": \"" +
         crypto::format_public_key(pk) +
         "\",\n"
         "  \"key_id\": \"" +
         crypto::account_id(pk) +
         "\",\n"
         "  \"other_key_seed\": \"" +
         hex::encode(testing::other_key().seed()) +
         "\"\n"
         "}\n";
}

// Every file of the vector directory except README.md, by file name.
std::map<std::string, std::string> generate() {
  std::map<std::string, std::string> files;
  files["context.json"] = context_file();
  std::string index;
  const auto& pk = testing::key().public_key();
  std::string pack_upper = hex::encode(crypto::blake3("evidence pack"));
  for (char& c : pack_upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const VectorSpec& spec : specs()) {
    std::string text(spec.base);
    for (const auto& [from, to] : spec.edits) replace_all(text, from, to);
    replace_all(text, "{{GENESIS}}", hex::encode(testing::genesis_root()));
    replace_all(text, "{{BLOCK}}", hex::encode(testing::finalized_block()));
    replace_all(text, "{{ID}}", crypto::account_id(pk));
    replace_all(text, "{{PUBKEY}}", crypto::format_public_key(pk));
    replace_all(text, "{{PACK_UPPER}}", pack_upper);
    replace_all(text, "{{PACK}}", hex::encode(crypto::blake3("evidence pack")));
    replace_all(text, "{{NONCE}}", hex::encode(crypto::blake3("nonce of " + spec.name)));

    // Sign the document as written (the signature member is not part of the digest), then tamper.
    std::string signature = std::string(128, '0');  // documents that are not JSON stay unsigned
    if (auto value = json::parse(text); value.ok()) {
      const auto& signer = spec.signed_by_other_key ? testing::other_key() : testing::key();
      signature = hex::encode(signer.sign(signed_message(digest_of(canonical_form(*value))).span()).bytes);
    }
    replace_all(text, "{{SIG}}", signature);
    if (!spec.tamper.first.empty()) replace_all(text, spec.tamper.first, spec.tamper.second);

    // The index describes the final document.
    std::vector<json::Value::Member> entry = {{"name", json::Value::string(spec.name)},
                                              {"document", json::Value::string(spec.name + ".json")},
                                              {"expected", json::Value::string(spec.expected)},
                                              {"signature", json::Value::string(signature)}};
    if (auto value = json::parse(text); value.ok()) {
      const std::string canonical = canonical_form(*value);
      const Hash32 digest = digest_of(canonical);
      files[spec.name + ".canonical.json"] = canonical;
      entry.insert(entry.end(), {{"canonical", json::Value::string(spec.name + ".canonical.json")},
                                 {"digest", json::Value::string(hex::encode(digest))},
                                 {"id", json::Value::string(hex::encode(digest))},
                                 {"signed_message", json::Value::string(hex::encode(signed_message(digest).span()))}});
    } else {
      entry.emplace_back("canonical", json::Value::null());
    }
    files[spec.name + ".json"] = text;
    index += jcs::serialize(json::Value::object(std::move(entry))) + "\n";
  }
  files["vectors.jsonl"] = index;
  return files;
}

TEST(Vectors, GeneratorReproducesCommittedFiles) {
  const auto files = generate();
  if (const char* regenerate = std::getenv("BIZRA_REGENERATE_VECTORS"); regenerate && std::string(regenerate) == "1") {
    std::filesystem::create_directories(kDir);
    for (const auto& [name, content] : files) std::ofstream(kDir / name, std::ios::binary) << content;
    GTEST_SKIP() << "wrote " << files.size() << " files to " << kDir;
  }
  for (const auto& [name, content] : files) EXPECT_EQ(read_file(kDir / name), content) << name;
  std::set<std::string> committed;
  for (const auto& entry : std::filesystem::directory_iterator(kDir))
    if (entry.path().filename() != "README.md") committed.insert(entry.path().filename().string());
  EXPECT_EQ(committed.size(), files.size()) << "stray or missing files in " << kDir;
}

// --- the check: committed files against the code, independently of the generator ------------------

std::string member(const json::Value& object, std::string_view key) {
  const json::Value* v = object.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

ValidationContext committed_context(const json::Value& c) {
  ValidationContext context;
  context.chain_id = member(c, "chain_id");
  context.genesis_root = hex::decode_fixed<32>(member(c, "genesis_root")).value();
  context.now = static_cast<std::int64_t>(c.find("now")->number());
  std::set<Hash32> blocks;
  for (const auto& b : c.find("finalized_blocks")->items()) blocks.insert(hex::decode_fixed<32>(b.as_string()).value());
  std::set<std::pair<crypto::PublicKey, std::string>> used;
  for (const auto& u : c.find("used_nonces")->items())
    used.insert({crypto::parse_public_key(member(u, "pubkey")).value(), member(u, "nonce")});
  context.is_finalized_block = [blocks](const Hash32& block) { return blocks.count(block) != 0; };
  context.nonce_used = [used](const crypto::PublicKey& pubkey, std::string_view nonce) {
    return used.count({pubkey, std::string(nonce)}) != 0;
  };
  return context;
}

TEST(Vectors, CommittedVectorsMatchTheCode) {
  const auto context_json = json::parse(read_file(kDir / "context.json"));
  ASSERT_TRUE(context_json.ok()) << context_json.error().to_string();
  const ValidationContext context = committed_context(*context_json);
  const auto key = crypto::SecretKey::from_seed(hex::decode(member(*context_json, "key_seed")).value()).value();
  ASSERT_EQ(crypto::format_public_key(key.public_key()), member(*context_json, "key_pubkey"));

  std::istringstream index(read_file(kDir / "vectors.jsonl"));
  std::set<std::string> codes_seen;
  int count = 0;
  for (std::string line; std::getline(index, line); ++count) {
    const json::Value entry = testing::J(line);
    const std::string name = member(entry, "name");
    SCOPED_TRACE(name);
    const std::string text = read_file(kDir / member(entry, "document"));
    const std::string expected = member(entry, "expected");
    codes_seen.insert(expected);

    if (!entry.find("canonical")->is_null()) {
      const auto doc = json::parse(text);
      ASSERT_TRUE(doc.ok());
      const std::string canonical = canonical_form(*doc);
      EXPECT_EQ(canonical, read_file(kDir / member(entry, "canonical")));
      const Hash32 digest = digest_of(canonical);
      EXPECT_EQ(hex::encode(digest), member(entry, "digest"));
      EXPECT_EQ(hex::encode(digest), member(entry, "id"));
      EXPECT_EQ(hex::encode(signed_message(digest).span()), member(entry, "signed_message"));
      EXPECT_EQ(member(*doc->find("signature"), "sig_base16"), member(entry, "signature"));
    }
    auto result = validate(text, context);
    if (expected == "ok") {
      ASSERT_TRUE(result.ok()) << result.error().to_string();
      EXPECT_EQ(result->id, member(entry, "id"));
      EXPECT_EQ(hex::encode(key.sign(signed_message(result->digest).span()).bytes), member(entry, "signature"));
    } else {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code(), expected) << result.error().to_string();
    }
  }
  EXPECT_EQ(count, 18);
  EXPECT_EQ(codes_seen, (std::set<std::string>{"ok", "malformed", "bad_version", "wrong_chain", "unknown_block_ref",
                                               "bad_attester", "bad_evidence", "bad_nonce", "replay", "bad_time_window",
                                               "bad_measurement", "bad_benchmarks", "bad_signature"}));
}

// docs/poi.md's worked example is valid-minimal, copied from these files: keep them in step.
TEST(Vectors, WorkedExampleInDocsMatches) {
  const std::string doc = read_file(std::filesystem::path(BIZRA_SOURCE_DIR) / "docs/poi.md");
  EXPECT_NE(doc.find(read_file(kDir / "valid-minimal.canonical.json")), std::string::npos) << "canonical form";
  std::istringstream index(read_file(kDir / "vectors.jsonl"));
  const json::Value first = testing::J([&] {
    std::string l;
    std::getline(index, l);
    return l;
  }());
  ASSERT_EQ(member(first, "name"), "valid-minimal");
  for (const char* field : {"digest", "signed_message", "signature"})
    EXPECT_NE(doc.find(member(first, field)), std::string::npos) << field;
}

}  // namespace
}  // namespace bizra::poi
