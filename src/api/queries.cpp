#include "api/queries.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "base/hex.hpp"
#include "chain/transaction.hpp"
#include "codec/jcs.hpp"
#include "crypto/identity.hpp"
#include "http/message.hpp"
#include "poi/attestation.hpp"
#include "poi/store_state.hpp"
#include "poi/validate.hpp"

namespace bizra::api {

JsonObject& JsonObject::str(std::string_view key, std::string_view value) { return raw(key, http::json_quote(value)); }
JsonObject& JsonObject::num(std::string_view key, std::uint64_t value) { return raw(key, std::to_string(value)); }
JsonObject& JsonObject::flag(std::string_view key, bool value) { return raw(key, value ? "true" : "false"); }
JsonObject& JsonObject::raw(std::string_view key, std::string_view json) {
  out_ += out_.size() == 1 ? "" : ",";
  out_ += http::json_quote(key);
  out_ += ':';
  out_ += json;
  return *this;
}

std::string error_json(const Error& error) {
  return JsonObject().str("code", error.code()).str("message", error.message()).done();
}

std::optional<Hash32> parse_hash(std::string_view text) {
  if (text.size() != 64 || !hex::is_lower_hex(text)) return std::nullopt;
  return hex::decode_fixed<32>(text).value();
}

// --- blocks ------------------------------------------------------------------------------

Result<std::optional<consensus::Block>> find_block(node::Node& node, std::string_view ref) {
  if (const auto id = parse_hash(ref)) return node.chain().block(*id);
  std::uint64_t height = 0;
  const auto [end, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), height);
  if (ref.empty() || ec != std::errc() || end != ref.data() + ref.size())
    return Error("bad_id", "expected a block id (64 lowercase hex digits) or a decimal height");
  return node.chain().block_at(height);
}

Result<bool> is_final(node::Node& node, const consensus::Block& block) { return node.is_final(block); }

Result<std::string> block_json(node::Node& node, const consensus::Block& block) {
  auto final = is_final(node, block);
  if (!final) return final.error();
  const auto& h = block.header;
  // A committed payload always splits (it was checked before the vote); the list is what a
  // client follows to the transactions' own status.
  std::string ids = "[";
  std::size_t count = 0;
  if (auto txs = chain::decode_payload(block.payload, node.params())) {
    for (const Bytes& tx : *txs) {
      ids += count++ == 0 ? "\"" : ",\"";
      ids += hex::encode(chain::transaction_id(tx)) + "\"";
    }
  }
  JsonObject o;
  o.str("id", hex::encode(block.id))
      .num("height", h.height)
      .num("epoch", h.epoch)
      .num("round", h.round)
      .str("parent_id", hex::encode(h.parent_id))
      .num("proposer", h.proposer)
      .num("timestamp_ms", h.timestamp_ms)
      .str("payload_digest", hex::encode(h.payload_digest))
      .num("payload_bytes", block.payload.size())
      .num("transaction_count", count)
      .raw("transactions", ids + "]")
      .flag("final", *final);
  if (*final) {
    auto digests = node.chain().digests_at(h.height);
    if (!digests) return digests.error();
    if (*digests)
      o.str("state_digest", hex::encode((*digests)->first)).str("receipts_digest", hex::encode((*digests)->second));
  }
  return o.done();
}

Result<std::optional<std::string>> finality_json(node::Node& node, const Hash32& block_id) {
  auto block = node.chain().block(block_id);
  if (!block) return block.error();
  if (!*block) return std::optional<std::string>();
  auto final = is_final(node, **block);
  if (!final) return final.error();
  return std::optional(JsonObject()
                           .str("id", hex::encode(block_id))
                           .flag("final", *final)
                           .num("height", (*block)->header.height)
                           .num("committed_height", node.status().committed_height)
                           .done());
}

// --- transactions and attestations -----------------------------------------------------

std::optional<std::string> transaction_json(const node::Node& node, const Hash32& tx_id) {
  const node::TxStatus s = node.transaction_status(tx_id);
  JsonObject o;
  o.str("tx_id", hex::encode(tx_id));
  switch (s.state) {
    case node::TxState::kUnknown: return std::nullopt;
    case node::TxState::kPending: o.str("status", "pending"); break;
    case node::TxState::kFinal:
      o.str("status", s.record->ok ? "final" : "rejected").num("height", s.record->height).num("index", s.record->index);
      if (!s.record->ok) o.str("error_code", s.record->error_code);
      break;
  }
  return o.done();
}

std::optional<std::string> attestation_json(const node::Node& node, const Hash32& digest) {
  const auto tx_id = node.attestation_transaction(digest);
  if (!tx_id) return std::nullopt;
  auto status = transaction_json(node, *tx_id);
  if (!status) return std::nullopt;
  // {"id": <attestation id>, "tx_id": ...}: the transaction's status under the attestation's id.
  return "{\"id\":\"" + hex::encode(digest) + "\"," + status->substr(1);
}

namespace {

// The chain carries an attestation in its canonical form only (one attestation, one transaction
// id): a document that canonicalizes is taken in that form — its signature covers the canonical
// form, so it stays valid; one that does not is taken as sent, and the check names its defect
// under rule 1.
std::string canonical_document(std::string_view document) {
  auto canonical = jcs::canonicalize(document, json::Limits{.max_bytes = poi::kMaxDocumentBytes, .max_depth = 16});
  return canonical ? *canonical : std::string(document);
}

}  // namespace

Result<chain::CheckedTx> submit_attestation(node::Node& node, std::string_view document) {
  const Bytes encoded = chain::encode(chain::Transaction(chain::AttestationTx{canonical_document(document)}));
  return node.submit(encoded);
}

std::string verify_attestation_json(const node::Node& node, std::string_view document) {
  const std::string text = canonical_document(document);
  JsonObject o;
  auto verdict = poi::validate(text, node.validation_context());
  o.flag("valid", verdict.ok());
  if (verdict) return o.str("id", verdict->id).done();
  if (auto parsed = poi::parse(text)) o.str("id", hex::encode(poi::digest_of(poi::canonical_form(parsed->json))));
  return o.raw("error", error_json(verdict.error())).done();
}

// --- accounts and validators --------------------------------------------------------------

namespace {

constexpr std::string_view kAccountIdPrefix = "bz";

std::optional<poi::ValidatorId> parse_account_id(std::string_view text) {
  const std::string_view digits = text.substr(std::min(text.size(), kAccountIdPrefix.size()));
  if (!text.starts_with(kAccountIdPrefix) || digits.size() != 2 * poi::ValidatorId::kSize || !hex::is_lower_hex(digits))
    return std::nullopt;
  return hex::decode_fixed<poi::ValidatorId::kSize>(digits).value();
}

// A public key or an account id, whichever `ref` is.
struct Reference {
  std::optional<crypto::PublicKey> pubkey;
  poi::ValidatorId id;
};

Result<Reference> parse_reference(std::string_view ref) {
  if (auto id = parse_account_id(ref)) return Reference{std::nullopt, *id};
  auto key = crypto::parse_public_key(ref);
  if (!key) return Error("bad_id", "expected \"ed25519:<64 lowercase hex>\" or an account id \"bz<40 lowercase hex>\"");
  return Reference{*key, poi::validator_id_of(*key)};
}

template <typename T>
Result<std::optional<T>> checked(const poi::StoreState& state, std::optional<T> value) {
  if (Status s = state.status(); !s.ok()) return s.error();
  return value;
}

}  // namespace

bool is_account_reference(std::string_view ref) { return parse_reference(ref).ok(); }

Result<std::optional<poi::Account>> find_account(const node::Node& node, std::string_view ref) {
  auto parsed = parse_reference(ref);
  if (!parsed) return parsed.error();
  poi::StoreState state(node.store());
  if (parsed->pubkey) return checked(state, state.account(*parsed->pubkey));
  // Accounts are keyed by public key, and an id is a hash of one: a validator's record names its
  // key; any other account is found by scanning (bounded by the state's account count).
  if (auto record = state.validator(parsed->id)) return checked(state, state.account(record->pk_ed25519));
  std::optional<poi::Account> found;
  state.for_each_account([&](const poi::Account& a) {
    if (!found && poi::validator_id_of(a.pubkey) == parsed->id) found = a;
  });
  return checked(state, std::move(found));
}

Result<std::optional<poi::ValidatorRecord>> find_validator(const node::Node& node, std::string_view ref) {
  auto parsed = parse_reference(ref);
  if (!parsed) return parsed.error();
  poi::StoreState state(node.store());
  return checked(state, state.validator(parsed->id));
}

std::string account_json(const poi::Account& a) {
  return JsonObject()
      .str("pubkey", crypto::format_public_key(a.pubkey))
      .str("id", crypto::account_id(a.pubkey))
      .num("reputation", a.reputation)
      .num("attestations", a.attestations)
      .num("impact_sum_micro", a.impact_sum_micro)
      .num("last_epoch", a.last_epoch)
      .num("epoch_attestations", a.epoch_attestations)
      .num("epoch_impact_sum_micro", a.epoch_impact_sum_micro)
      .done();
}

std::string peer_json(const net::PeerStatus& p) {
  char scores[160];
  std::snprintf(scores, sizeof scores, "{\"quality\":%.4f,\"reputation\":%.2f,\"health\":%.4f}", p.quality,
                p.reputation, p.health);
  return JsonObject()
      .str("pubkey", crypto::format_public_key(p.key))
      .str("id", crypto::account_id(p.key))
      .str("address", p.address)
      .flag("connected", p.connected)
      .flag("outbound", p.outbound)
      .raw("scores", scores)
      .num("failures", p.failures)
      .flag("banned", p.banned)
      .num("queued_bytes", p.queued_bytes)
      .num("frames_in", p.frames_in)
      .num("frames_out", p.frames_out)
      .num("bytes_in", p.bytes_in)
      .num("bytes_out", p.bytes_out)
      .done();
}

std::string validator_json(const poi::ValidatorRecord& v) {
  return JsonObject()
      .str("id", poi::to_text(v.validator_id))
      .str("pubkey", crypto::format_public_key(v.pk_ed25519))
      .str("network_address", v.network_address)
      .str("status", poi::name(v.status))
      .num("poi_weight", v.poi_weight)
      .num("rep_score", v.rep_score)
      .num("stake_bond", v.stake_bond)
      .num("epoch_join", v.epoch_join)
      .num("epoch_exit", v.epoch_exit)
      .num("last_seen_slot", v.last_seen_slot)
      .str("slash_reason", poi::name(v.slash_reason))
      .num("quarantine_until", v.quarantine_until)
      .done();
}

Result<std::string> validators_json(const node::Node& node) {
  poi::StoreState state(node.store());
  std::string list = "[";
  std::size_t count = 0;
  state.for_each_validator([&](const poi::ValidatorRecord& v) {
    list += count++ == 0 ? "" : ",";
    list += validator_json(v);
  });
  if (Status s = state.status(); !s.ok()) return s.error();
  return JsonObject().num("count", count).raw("validators", list + "]").done();
}

}  // namespace bizra::api
