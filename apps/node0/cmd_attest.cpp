// node0 attest new | verify | digest | batch: build, sign, check and identify PoI attestations offline.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "base/file.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "codec/json.hpp"
#include "commands.hpp"
#include "crypto/identity.hpp"
#include "crypto/keyfile.hpp"
#include "loadgen/loadgen.hpp"
#include "poi/attestation.hpp"
#include "poi/decimal.hpp"
#include "poi/validate.hpp"

namespace node0 {
namespace {

namespace poi = bizra::poi;
namespace json = bizra::json;
using bizra::Error;
using bizra::Result;

constexpr int kExitInvalid = 1;  // the attestation is invalid (verify)

std::int64_t clock_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string read_attestation_file(const std::string& path) {
  return must(bizra::read_bounded_file(path, poi::kMaxDocumentBytes), "attestation file");
}

bizra::Hash32 parse_hash(const std::string& text, std::string_view flag) {
  if (text.size() != 64 || !bizra::hex::is_lower_hex(text))
    fail(std::string(flag) + ": expected 64 lowercase hex digits");
  return must(bizra::hex::decode_fixed<32>(text), flag);
}

// --- building a document -------------------------------------------------------------------

json::Value string_value(std::string s) { return json::Value::string(std::move(s)); }

// A JSON number from command-line text ("0.9"); parsed as JSON so that it is exactly what a
// document with that literal would hold.
json::Value number_value(const std::string& text, std::string_view flag) {
  auto value = json::parse(text);
  if (!value || !value->is_number()) fail(std::string(flag) + ": " + text + " is not a JSON number");
  return std::move(*value);
}

json::Value member_or_empty(const json::Value& object, std::string_view key) {
  const json::Value* v = object.find(key);
  return v != nullptr && v->is_object() ? *v : json::Value::object({});
}

// `object` with member `key` set to `value` (replaced in place, or appended).
json::Value with_member(const json::Value& object, std::string_view key, json::Value value) {
  std::vector<json::Value::Member> members;
  bool replaced = false;
  for (const auto& m : object.members()) {
    if (m.first == key) {
      members.emplace_back(m.first, value);
      replaced = true;
    } else {
      members.push_back(m);
    }
  }
  if (!replaced) members.emplace_back(std::string(key), std::move(value));
  return json::Value::object(std::move(members));
}

// `doc` with doc[outer][inner] = value.
json::Value with_nested(const json::Value& doc, std::string_view outer, std::string_view inner, json::Value value) {
  return with_member(doc, outer, with_member(member_or_empty(doc, outer), inner, std::move(value)));
}

// "name=value" flags into an object of numbers, in flag order.
json::Value number_object(const std::vector<std::string>& pairs, std::string_view flag) {
  std::vector<json::Value::Member> members;
  for (const auto& pair : pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) fail(std::string(flag) + ": expected NAME=VALUE, got " + pair);
    members.emplace_back(pair.substr(0, eq), number_value(pair.substr(eq + 1), flag));
  }
  return json::Value::object(std::move(members));
}

// Σ d·w / 1e6 over the document's dimensions and weights, exactly as rule 8 computes it.
std::int64_t computed_impact(const json::Value& measurement) {
  const json::Value dimensions = member_or_empty(measurement, "dimensions");
  const json::Value weights = member_or_empty(measurement, "weights");
  std::int64_t weighted_sum = 0;
  for (const auto& [name, weight] : weights.members()) {
    const json::Value* dimension = dimensions.find(name);
    if (dimension == nullptr || !dimension->is_number() || !weight.is_number())
      fail("measurement.weights." + name + ": needs a numeric weight and dimension");
    const std::int64_t d = must(poi::decimal::to_micro(dimension->number_text()), "measurement.dimensions." + name);
    const std::int64_t w = must(poi::decimal::to_micro(weight.number_text()), "measurement.weights." + name);
    if (d < 0 || d > poi::decimal::kMicro || w < 0 || w > poi::decimal::kMicro)
      fail("measurement: dimensions and weights must be in [0, 1]");
    weighted_sum += d * w;
  }
  return weighted_sum / poi::decimal::kMicro;
}

struct NewOptions {
  std::string key_file;
  std::string template_file;
  std::string chain_id;
  std::string genesis_root;
  std::string block_ref;
  std::string pack_sha256;
  std::string methodology_ref;
  std::vector<std::string> dimensions;
  std::vector<std::string> weights;
  std::string impact_score;
  std::string nonce;
  std::string window_start;
  std::string window_end;
  std::string out;
};

json::Value build_document(const NewOptions& o, const bizra::crypto::PublicKey& pubkey) {
  json::Value doc = o.template_file.empty()
                        ? json::Value::object({})
                        : must(json::parse(read_attestation_file(o.template_file)), o.template_file);
  if (!doc.is_object()) fail(o.template_file + ": not a JSON object");
  doc = with_member(doc, "version", string_value(std::string(poi::kVersion)));
  if (!o.chain_id.empty()) doc = with_nested(doc, "anchor", "chain_id", string_value(o.chain_id));
  if (!o.genesis_root.empty()) doc = with_nested(doc, "anchor", "genesis_root", string_value(o.genesis_root));
  if (!o.block_ref.empty()) doc = with_nested(doc, "anchor", "block_ref", string_value(o.block_ref));
  doc = with_nested(doc, "attester", "id", string_value(bizra::crypto::account_id(pubkey)));
  doc = with_nested(doc, "attester", "pubkey", string_value(bizra::crypto::format_public_key(pubkey)));
  if (!o.pack_sha256.empty()) doc = with_nested(doc, "evidence", "pack_sha256", string_value(o.pack_sha256));
  if (!o.methodology_ref.empty())
    doc = with_nested(doc, "evidence", "methodology_ref", string_value(o.methodology_ref));

  if (!o.dimensions.empty())
    doc = with_nested(doc, "measurement", "dimensions", number_object(o.dimensions, "--dimension"));
  if (!o.weights.empty()) doc = with_nested(doc, "measurement", "weights", number_object(o.weights, "--weight"));
  const bool measurement_changed = !o.dimensions.empty() || !o.weights.empty();
  if (!o.impact_score.empty()) {
    doc = with_nested(doc, "measurement", "impact_score", number_value(o.impact_score, "--impact-score"));
  } else if (measurement_changed || member_or_empty(doc, "measurement").find("impact_score") == nullptr) {
    const std::string score = poi::decimal::format_micro(computed_impact(member_or_empty(doc, "measurement")));
    doc = with_nested(doc, "measurement", "impact_score", number_value(score, "impact_score"));
  }

  // A fresh nonce unless one is given: a template's nonce would make every use after the first a replay.
  std::string nonce = o.nonce;
  if (nonce.empty()) {
    bizra::FixedBytes<32> random;
    bizra::crypto::random_bytes(random.bytes);
    nonce = bizra::hex::encode(random);
  }
  doc = with_member(doc, "nonce", string_value(nonce));

  if (!o.window_start.empty() || !o.window_end.empty() || doc.find("time_window") == nullptr) {
    const std::int64_t now = clock_now();
    const std::string end = o.window_end.empty() ? must(poi::format_utc(now), "clock") : o.window_end;
    const std::string start = o.window_start.empty() ? must(poi::format_utc(now - 86'400), "clock") : o.window_start;
    doc = with_member(doc, "time_window", json::Value::array({string_value(start), string_value(end)}));
  }
  return doc;
}

void run_new(const NewOptions& o) {
  const auto key = must(bizra::crypto::read_key_file(o.key_file), o.key_file);
  const json::Value doc = build_document(o, key.public_key());
  const std::string text = must(poi::sign(bizra::jcs::serialize(doc), key), "signing");

  // Refuse to emit what a node would reject. Offline, the network facts are the document's own
  // and any block_ref is taken on trust.
  poi::ValidationContext context;
  const json::Value anchor = member_or_empty(doc, "anchor");
  const json::Value* chain = anchor.find("chain_id");
  const json::Value* genesis = anchor.find("genesis_root");
  if (chain == nullptr || !chain->is_string() || genesis == nullptr || !genesis->is_string())
    fail("anchor.chain_id and anchor.genesis_root are required (--chain-id, --genesis-root or --template)");
  context.chain_id = chain->as_string();
  context.genesis_root = parse_hash(genesis->as_string(), "anchor.genesis_root");
  context.now = clock_now();
  context.is_finalized_block = [](const bizra::Hash32&) { return true; };
  if (auto valid = poi::validate(text, context); !valid)
    fail("not signing an invalid attestation: " + valid.error().to_string());

  if (o.out.empty()) {
    std::cout << text << "\n";
    return;
  }
  std::ofstream out(o.out, std::ios::binary | std::ios::trunc);
  out << text << "\n";
  if (!out.flush()) fail(o.out + ": write failed");
}

void add_new(CLI::App& attest) {
  auto o = std::make_shared<NewOptions>();
  auto* cmd = attest.add_subcommand("new", "Build and sign an attestation; prints it (canonical JSON) or writes --out");
  cmd->add_option("--key", o->key_file, "Ed25519 key file of the attester (node0 keygen)")->required();
  cmd->add_option("--template", o->template_file, "JSON document to start from; flags override its members");
  cmd->add_option("--chain-id", o->chain_id, "anchor.chain_id");
  cmd->add_option("--genesis-root", o->genesis_root, "anchor.genesis_root (64 lowercase hex)");
  cmd->add_option("--block-ref", o->block_ref, "anchor.block_ref: a finalized block (64 lowercase hex)");
  cmd->add_option("--pack-sha256", o->pack_sha256, "evidence.pack_sha256 (64 lowercase hex)");
  cmd->add_option("--methodology-ref", o->methodology_ref, "evidence.methodology_ref");
  cmd->add_option("--dimension", o->dimensions,
                  "NAME=VALUE, value in [0, 1] (repeatable; replaces the template's dimensions)");
  cmd->add_option("--weight", o->weights, "NAME=VALUE, weights sum to 1 (repeatable; replaces the template's weights)");
  cmd->add_option("--impact-score", o->impact_score, "measurement.impact_score (default: computed exactly)");
  cmd->add_option("--nonce", o->nonce, "32..128 hex digits (default: 32 random bytes)");
  cmd->add_option("--window-start", o->window_start, "RFC 3339 UTC, e.g. 2026-01-01T00:00:00Z (default: end - 24 h)");
  cmd->add_option("--window-end", o->window_end, "RFC 3339 UTC (default: now)");
  cmd->add_option("--out", o->out, "File to write (default: standard output)");
  cmd->callback([o] { run_new(*o); });
}

// --- verify and digest ---------------------------------------------------------------------

struct VerifyOptions {
  std::string file;
  std::string chain_id;
  std::string genesis_root;
  std::int64_t now = 0;
  std::vector<std::string> block_refs;
};

void add_verify(CLI::App& attest) {
  auto o = std::make_shared<VerifyOptions>();
  auto* cmd = attest.add_subcommand(
      "verify",
      "Validate an attestation offline (rules 1-10, no replay database); prints \"OK <id>\" or \"<code>: <message>\"");
  cmd->add_option("file", o->file, "Attestation file")->required();
  cmd->add_option("--chain-id", o->chain_id, "This network's chain id")->required();
  cmd->add_option("--genesis-root", o->genesis_root, "This network's genesis root (64 lowercase hex)")->required();
  auto* now = cmd->add_option("--now", o->now, "Reference time t, unix seconds (default: the local clock)");
  cmd->add_option("--allow-block-ref", o->block_refs, "Treat this block as finalized (repeatable; default: none is)");
  cmd->callback([o, now] {
    poi::ValidationContext context;
    context.chain_id = o->chain_id;
    context.genesis_root = parse_hash(o->genesis_root, "--genesis-root");
    context.now = now->count() > 0 ? o->now : clock_now();
    std::set<bizra::Hash32> blocks;
    for (const auto& ref : o->block_refs) blocks.insert(parse_hash(ref, "--allow-block-ref"));
    context.is_finalized_block = [blocks](const bizra::Hash32& block) { return blocks.count(block) != 0; };

    const auto result = poi::validate(read_attestation_file(o->file), context);
    if (result) {
      std::cout << "OK " << result->id << "\n";
      return;
    }
    // The verdict line is the whole output.
    std::cout << result.error().to_string() << "\n";
    throw ExitWithCode{kExitInvalid};
  });
}

void add_digest(CLI::App& attest) {
  struct Options {
    std::string file;
    bool canonical = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = attest.add_subcommand(
      "digest",
      "Print the attestation id: hex BLAKE3-256 of the canonical form (the document without \"signature\", RFC 8785)");
  cmd->add_option("file", o->file, "Attestation file (any JSON object; it is not validated)")->required();
  cmd->add_flag("--canonical", o->canonical, "Print the canonical form itself instead");
  cmd->callback([o] {
    auto doc = json::parse(read_attestation_file(o->file), json::Limits{.max_bytes = poi::kMaxDocumentBytes});
    if (!doc) fail(doc.error().with_context(o->file).to_string());
    if (!doc->is_object()) fail(o->file + ": not a JSON object");
    const std::string canonical = poi::canonical_form(*doc);
    std::cout << (o->canonical ? canonical : bizra::hex::encode(poi::digest_of(canonical))) << "\n";
  });
}

// Many distinct signed documents at once, one per line, for load tests that replay them over
// HTTP (bench/api_bench.py --attestations): signing is the client's work, done before the clock
// starts. The time window ends now, so the documents are valid for the chain's window from now on.
void add_batch(CLI::App& attest) {
  struct Options {
    std::string chain_id, genesis_root, out;
    std::size_t count = 1000, attesters = 64;
    std::uint64_t seed = 1;
  };
  auto o = std::make_shared<Options>();
  auto* cmd =
      attest.add_subcommand("batch", "Build COUNT distinct signed attestations, one canonical document per line");
  cmd->add_option("--chain-id", o->chain_id, "anchor.chain_id")->required();
  cmd->add_option("--genesis-root", o->genesis_root, "anchor.genesis_root (64 lowercase hex)")->required();
  cmd->add_option("--count", o->count, "Number of documents")->check(CLI::Range(1, 10'000'000));
  cmd->add_option("--attesters", o->attesters, "Distinct attester keys, used in turn")->check(CLI::Range(1, 100'000));
  cmd->add_option("--seed", o->seed, "Seed of the attester keys (nonces also mix in the time)");
  cmd->add_option("--out", o->out, "File to write")->required();
  cmd->callback([o] {
    bizra::loadgen::AttestationFactory factory(o->chain_id, parse_hash(o->genesis_root, "--genesis-root"), o->seed,
                                               o->attesters);
    std::ofstream out(o->out, std::ios::binary | std::ios::trunc);
    for (std::size_t i = 0; i < o->count; ++i) out << factory.next_document() << "\n";
    if (!out.flush()) fail(o->out + ": write failed");
  });
}

}  // namespace

void add_attest_command(CLI::App& app) {
  auto* attest = app.add_subcommand("attest", "Proof-of-Impact attestations: new, verify, digest, batch");
  attest->require_subcommand(1);
  add_new(*attest);
  add_verify(*attest);
  add_digest(*attest);
  add_batch(*attest);
}

}  // namespace node0
