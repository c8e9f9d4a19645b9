#include "api/node_api.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include "base/hex.hpp"
#include "chain/transaction.hpp"
#include "codec/jcs.hpp"
#include "crypto/identity.hpp"
#include "codec/json.hpp"
#include "poi/attestation.hpp"

namespace bizra::api {
namespace {

using http::Request;
using http::Response;

constexpr std::size_t kMaxBatchTransactions = 10'000;
constexpr std::size_t kMaxBatchBytes = 1 << 20;

// A JSON object written member by member; strings are escaped by http::json_quote.
class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value) { return raw(key, http::json_quote(value)); }
  JsonObject& num(std::string_view key, std::uint64_t value) { return raw(key, std::to_string(value)); }
  JsonObject& flag(std::string_view key, bool value) { return raw(key, value ? "true" : "false"); }
  JsonObject& raw(std::string_view key, std::string_view json) {
    out_ += out_.size() == 1 ? "" : ",";
    out_ += http::json_quote(key);
    out_ += ':';
    out_ += json;
    return *this;
  }
  std::string done() const { return out_ + "}"; }

 private:
  std::string out_ = "{";
};

Response error_response(const Error& e) { return Response::error(status_for(e.code()), e.code(), e.message()); }

std::optional<Hash32> hash_param(const Request& req, std::string_view name) {
  const auto text = req.param(name);
  if (!text || text->size() != 64 || !hex::is_lower_hex(*text)) return std::nullopt;
  return hex::decode_fixed<32>(*text).value();
}

std::string tx_status_json(const node::TxStatus& s, const Hash32& tx_id) {
  JsonObject o;
  o.str("tx_id", hex::encode(tx_id));
  switch (s.state) {
    case node::TxState::kUnknown: o.str("status", "unknown"); break;
    case node::TxState::kPending: o.str("status", "pending"); break;
    case node::TxState::kFinal:
      o.str("status", s.record->ok ? "final" : "rejected").num("height", s.record->height).num("index", s.record->index);
      if (!s.record->ok) o.str("error_code", s.record->error_code);
      break;
  }
  return o.done();
}

Response health(const node::Node& node, const ApiOptions& options) {
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - options.started);
  return Response::json(200, JsonObject()
                                 .str("status", "ok")
                                 .str("node_id", node.status().node_id)
                                 .str("version", options.version)
                                 .num("uptime_s", static_cast<std::uint64_t>(uptime.count()))
                                 .done());
}

// Ready when the store answers, the core has not stopped on a fault, and (for a validator) the
// connected peers plus itself can form a quorum — otherwise it cannot commit anything.
Response ready(node::Node& node) {
  const node::NodeStatus s = node.status();
  std::string failed;
  if (!node.chain().tip()) failed = "storage";
  else if (s.fault) failed = "consensus";
  else if (s.validators > 1 && (s.peers_connected + 1) * 3 <= s.validators * 2) failed = "peers";
  JsonObject o;
  o.str("status", failed.empty() ? "ready" : "not_ready").num("peers", s.peers_connected).num("height", s.committed_height);
  if (!failed.empty()) {
    o.str("failed_check", failed);
    return Response::json(503, o.done());
  }
  return Response::json(200, o.done());
}

Response consensus_status(const node::Node& node) {
  const node::NodeStatus s = node.status();
  JsonObject o;
  o.str("chain_id", node.genesis().chain_id)
      .str("genesis_root", hex::encode(node.genesis_root()))
      .str("node_id", s.node_id)
      .flag("validator", s.validator)
      .num("round", s.round)
      .num("committed_height", s.committed_height)
      .str("committed_id", hex::encode(s.committed_id))
      .str("leader", s.leader)
      .num("validators", s.validators)
      .num("commits", s.commits)
      .num("committed_transactions", s.committed_transactions)
      .num("last_finality_ms", s.last_finality_ms)
      .num("mempool_transactions", s.mempool_transactions)
      .num("mempool_bytes", s.mempool_bytes)
      .num("peers_connected", s.peers_connected);
  if (s.fault) o.str("fault", *s.fault);
  return Response::json(200, o.done());
}

// The chain carries an attestation in its canonical form only (one attestation, one transaction
// id): a document that canonicalizes is wrapped in that form — its signature covers the
// canonical form, so it stays valid; one that does not is passed as sent, and the check names
// its defect under rule 1.
Response submit_attestation(node::Node& node, const Request& req) {
  auto canonical = jcs::canonicalize(req.body, json::Limits{.max_bytes = poi::kMaxDocumentBytes, .max_depth = 16});
  const Bytes encoded = chain::encode(chain::Transaction(chain::AttestationTx{canonical ? *canonical : req.body}));
  auto checked = node.submit(encoded);
  if (!checked) return error_response(checked.error());
  return Response::json(202, JsonObject()
                                 .str("id", checked->attestation_id.value_or(""))
                                 .str("tx_id", hex::encode(checked->id))
                                 .str("status", "pending")
                                 .done());
}

Response attestation_status(node::Node& node, const Request& req) {
  const auto digest = hash_param(req, "id");
  if (!digest) return Response::error(400, "bad_id", "id: expected 64 lowercase hex digits (the attestation id)");
  const auto tx_id = node.attestation_transaction(*digest);
  if (tx_id) return Response::json(200, tx_status_json(node.transaction_status(*tx_id), *tx_id));
  return Response::error(404, "not_found", "no attestation " + hex::encode(*digest) + " is pending or final here");
}

Response transaction_status(node::Node& node, const Request& req) {
  const auto id = hash_param(req, "id");
  if (!id) return Response::error(400, "bad_id", "id: expected 64 lowercase hex digits (the transaction id)");
  const node::TxStatus s = node.transaction_status(*id);
  if (s.state == node::TxState::kUnknown) return Response::error(404, "not_found", "unknown transaction " + hex::encode(*id));
  return Response::json(200, tx_status_json(s, *id));
}

// {"transactions": ["<hex>", ...]}: each item is admitted on its own; the answer lists each
// item's id or error in order, so a client retries exactly the ones that failed.
Response submit_batch(node::Node& node, const Request& req) {
  auto doc = json::parse(req.body, json::Limits{.max_bytes = kMaxBatchBytes, .max_depth = 4});
  if (!doc) return Response::error(400, "bad_request", "body: " + doc.error().message());
  const json::Value* list = doc->is_object() && doc->members().size() == 1 ? doc->find("transactions") : nullptr;
  if (list == nullptr || !list->is_array())
    return Response::error(400, "bad_request", "body: expected {\"transactions\": [\"<hex>\", ...]}");
  if (list->items().size() > kMaxBatchTransactions)
    return Response::error(413, "payload_too_large", "at most 10000 transactions per batch");
  std::string results = "[";
  std::size_t accepted = 0;
  for (const json::Value& item : list->items()) {
    results += results.size() == 1 ? "" : ",";
    auto bytes = item.is_string() ? hex::decode(item.as_string()) : Result<Bytes>(Error("bad_hex", "not a string"));
    if (!bytes) {
      results += JsonObject().str("error", "bad_transaction").done();
      continue;
    }
    auto checked = node.submit(*bytes);
    if (checked) {
      ++accepted;
      results += JsonObject().str("tx_id", hex::encode(checked->id)).done();
    } else {
      results += JsonObject().str("error", checked.error().code()).done();
    }
  }
  results += "]";
  return Response::json(accepted > 0 ? 202 : 400,
                        JsonObject().num("accepted", accepted).raw("results", results).done());
}

Response peers(const node::Node& node) {
  std::string list = "[";
  for (const net::PeerStatus& p : node.peers()) {
    list += list.size() == 1 ? "" : ",";
    char scores[160];
    std::snprintf(scores, sizeof scores, "\"quality\":%.4f,\"reputation\":%.2f,\"health\":%.4f", p.quality, p.reputation,
                  p.health);
    JsonObject o;
    o.str("pubkey", crypto::format_public_key(p.key))
        .str("id", crypto::account_id(p.key))
        .str("address", p.address)
        .flag("connected", p.connected)
        .flag("outbound", p.outbound)
        .raw("scores", std::string("{") + scores + "}")
        .num("failures", p.failures)
        .flag("banned", p.banned)
        .num("queued_bytes", p.queued_bytes)
        .num("frames_in", p.frames_in)
        .num("frames_out", p.frames_out)
        .num("bytes_in", p.bytes_in)
        .num("bytes_out", p.bytes_out);
    list += o.done();
  }
  return Response::json(200, JsonObject().raw("peers", list + "]").done());
}

// /api/v1/consensus/block/{id or height}: a committed block with its QC round and the digests
// after executing it (what nodes compare to prove they agree).
Response block(node::Node& node, const Request& req) {
  const std::string_view key = req.param("ref").value_or("");
  std::optional<consensus::Block> found;
  if (key.size() == 64 && hex::is_lower_hex(key)) {
    auto b = node.chain().block(hex::decode_fixed<32>(key).value());
    if (!b) return error_response(b.error());
    found = std::move(*b);
  } else {
    std::uint64_t height = 0;
    const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), height);
    if (ec != std::errc() || end != key.data() + key.size())
      return Response::error(400, "bad_id", "expected a block id (64 hex digits) or a height");
    auto b = node.chain().block_at(height);
    if (!b) return error_response(b.error());
    found = std::move(*b);
  }
  if (!found) return Response::error(404, "not_found", "no committed block " + std::string(key));
  const auto& h = found->header;
  auto committed = node.chain().block_at(h.height);
  const bool final = committed && *committed && (*committed)->id == found->id;
  JsonObject o;
  o.str("id", hex::encode(found->id))
      .num("height", h.height)
      .num("round", h.round)
      .str("parent_id", hex::encode(h.parent_id))
      .num("proposer", h.proposer)
      .num("timestamp_ms", h.timestamp_ms)
      .num("payload_bytes", found->payload.size())
      .flag("final", final);
  if (auto digests = node.chain().digests_at(h.height); final && digests && *digests)
    o.str("state_digest", hex::encode((*digests)->first)).str("receipts_digest", hex::encode((*digests)->second));
  return Response::json(200, o.done());
}

}  // namespace

int status_for(std::string_view code) {
  if (code == "mempool_full" || code == "stopped") return 503;
  if (code == "duplicate") return 409;
  if (code == "too_large") return 413;
  if (code == "io_error" || code == "corrupt") return 500;
  return 400;  // the transaction itself is bad: its rule's code says why
}

void mount_node_routes(http::Router& router, node::Node& node, ApiOptions options) {
  router.add("GET", "/health", [&node, options](const Request&) { return health(node, options); });
  router.add("GET", "/ready", [&node](const Request&) { return ready(node); });
  router.add("GET", "/api/v1/consensus/status", [&node](const Request&) { return consensus_status(node); });
  router.add("GET", "/api/v1/network/peers", [&node](const Request&) { return peers(node); });
  router.add("GET", "/api/v1/consensus/block/{ref}", [&node](const Request& r) { return block(node, r); });
  router.add("POST", "/api/v1/poi/attestation", [&node](const Request& r) { return submit_attestation(node, r); },
             poi::kMaxDocumentBytes);
  router.add("GET", "/api/v1/poi/attestation/{id}", [&node](const Request& r) { return attestation_status(node, r); });
  router.add("POST", "/api/v1/transactions", [&node](const Request& r) { return submit_batch(node, r); }, kMaxBatchBytes);
  router.add("GET", "/api/v1/transactions/{id}", [&node](const Request& r) { return transaction_status(node, r); });
}

}  // namespace bizra::api
