#include "api/node_api.hpp"

#include "api/queries.hpp"
#include "base/hex.hpp"
#include "codec/json.hpp"
#include "poi/attestation.hpp"

namespace bizra::api {
namespace {

using http::Request;
using http::Response;

constexpr std::size_t kMaxBatchTransactions = 10'000;
constexpr std::size_t kMaxBatchBytes = 1 << 20;

Response error_response(const Error& e) { return Response::error(status_for(e.code()), e.code(), e.message()); }

std::optional<Hash32> hash_param(const Request& req, std::string_view name) {
  return parse_hash(req.param(name).value_or(""));
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

Response submit_attestation(node::Node& node, const Request& req) {
  auto checked = api::submit_attestation(node, req.body);
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
  if (auto status = attestation_json(node, *digest)) return Response::json(200, std::move(*status));
  return Response::error(404, "not_found", "no attestation " + hex::encode(*digest) + " is pending or final here");
}

Response transaction_status(node::Node& node, const Request& req) {
  const auto id = hash_param(req, "id");
  if (!id) return Response::error(400, "bad_id", "id: expected 64 lowercase hex digits (the transaction id)");
  if (auto status = transaction_json(node, *id)) return Response::json(200, std::move(*status));
  return Response::error(404, "not_found", "unknown transaction " + hex::encode(*id));
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
  for (const net::PeerStatus& p : node.peers()) list += (list.size() == 1 ? "" : ",") + peer_json(p);
  return Response::json(200, JsonObject().raw("peers", list + "]").done());
}

// /api/v1/consensus/block/{id or height}: a block with its header fields, transaction ids,
// whether it is final and, when it is, the digests after executing it (what nodes compare to
// prove they agree).
Response block(node::Node& node, const Request& req) {
  const std::string_view ref = req.param("ref").value_or("");
  auto found = find_block(node, ref);
  if (!found) return error_response(found.error());
  if (!*found) return Response::error(404, "not_found", "no block " + std::string(ref));
  auto body = block_json(node, **found);
  if (!body) return error_response(body.error());
  return Response::json(200, std::move(*body));
}

Response finality(node::Node& node, const Request& req) {
  const auto id = hash_param(req, "id");
  if (!id) return Response::error(400, "bad_id", "id: expected 64 lowercase hex digits (a block id)");
  auto body = finality_json(node, *id);
  if (!body) return error_response(body.error());
  if (!*body) return Response::error(404, "not_found", "no block " + hex::encode(*id));
  return Response::json(200, std::move(**body));
}

Response verify_attestation(const node::Node& node, const Request& req) {
  return Response::json(200, verify_attestation_json(node, req.body));
}

Response validators(const node::Node& node) {
  auto body = validators_json(node);
  if (!body) return error_response(body.error());
  return Response::json(200, std::move(*body));
}

// One record of the PoI state by public key or account id: 400 for a malformed reference, 404
// when the state has none.
template <typename Find, typename Render>
Response state_record(const node::Node& node, const Request& req, std::string_view what, Find find, Render render) {
  const std::string_view ref = req.param("id").value_or("");
  auto found = find(node, ref);
  if (!found) return error_response(found.error());
  if (!*found) return Response::error(404, "not_found", "no " + std::string(what) + " " + std::string(ref));
  return Response::json(200, render(**found));
}

}  // namespace

int status_for(std::string_view code) {
  if (code == "mempool_full" || code == "stopped") return 503;
  if (code == "duplicate") return 409;
  if (code == "not_found") return 404;
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
  // Writes and verification count against the client's rate limit (when the node has one);
  // attestations are authorized by their own signature, ACE tasks need a bearer token.
  const http::RouteOptions document{.max_body_bytes = poi::kMaxDocumentBytes, .rate_limited = true};
  router.add("POST", "/api/v1/poi/attestation", [&node](const Request& r) { return submit_attestation(node, r); }, document);
  router.add("GET", "/api/v1/poi/attestation/{id}", [&node](const Request& r) { return attestation_status(node, r); });
  router.add("POST", "/api/v1/transactions", [&node](const Request& r) { return submit_batch(node, r); },
             http::RouteOptions{.max_body_bytes = kMaxBatchBytes, .rate_limited = true});
  router.add("GET", "/api/v1/transactions/{id}", [&node](const Request& r) { return transaction_status(node, r); });
  router.add("GET", "/api/v1/consensus/finality/{id}", [&node](const Request& r) { return finality(node, r); });
  router.add("POST", "/api/v1/poi/verify", [&node](const Request& r) { return verify_attestation(node, r); }, document);
  router.add("GET", "/api/v1/validators", [&node](const Request&) { return validators(node); });
  router.add("GET", "/api/v1/validators/{id}", [&node](const Request& r) {
    return state_record(node, r, "validator", find_validator, validator_json);
  });
  router.add("GET", "/api/v1/accounts/{id}", [&node](const Request& r) {
    return state_record(node, r, "account", find_account, account_json);
  });
}

}  // namespace bizra::api
