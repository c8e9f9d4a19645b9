#include "api/openapi.hpp"

#include <string_view>

#include "http/message.hpp"

namespace bizra::api {
namespace {

struct Response {
  int status;
  std::string_view description;
  std::string_view schema;  // a components/schemas name; empty: no body
};

struct Route {
  std::string_view method;
  std::string_view path;
  std::string_view tag;
  std::string_view summary;
  std::string_view request;  // a components/schemas name; empty: no body
  std::vector<Response> responses;
};

// docs/api.md's route table. Every route also answers the envelope `Error` for the common HTTP
// failures (404, 405, 408, 413, 431, 503 connection cap, 500): the `default` response.
const std::vector<Route>& routes() {
  static const std::vector<Route> table = {
      {"GET", "/health", "node", "Liveness: the process is up", "", {{200, "up", "Health"}}},
      {"GET", "/ready", "node", "Readiness: storage, consensus, a quorum of peers", "",
       {{200, "ready", "Ready"}, {503, "not ready: failed_check names why", "Ready"}}},
      {"GET", "/metrics", "node", "Prometheus metrics (text format 0.0.4)", "", {{200, "metrics", "MetricsText"}}},
      {"GET", "/openapi.json", "node", "This description", "", {{200, "OpenAPI 3.0.3 document", "OpenApi"}}},
      {"GET", "/dashboard", "node", "The web dashboard (HTML; reads this API and /ws)", "", {{200, "HTML page", "Html"}}},
      {"GET", "/ws", "node",
       "WebSocket events (an upgrade; docs/http.md): blocks, finality, attestations (by id or attester), peers, ace",
       "",
       {{101, "switched to the WebSocket protocol", ""},
        {403, "origin_not_allowed: CORS is on and the Origin is not listed", "Error"},
        {426, "upgrade_required: a GET without a WebSocket upgrade", "Error"},
        {429, "rate_limited", "Error"}}},
      {"GET", "/api/v1/consensus/status", "consensus", "Round, committed height, leader, validators, finality", "",
       {{200, "status", "ConsensusStatus"}}},
      {"GET", "/api/v1/consensus/block/{ref}", "consensus", "A block by id (64 hex) or decimal height", "",
       {{200, "the block", "Block"}, {400, "bad_id", "Error"}, {404, "not_found", "Error"}}},
      {"GET", "/api/v1/consensus/finality/{id}", "consensus", "Whether a block is final", "",
       {{200, "finality", "Finality"}, {400, "bad_id", "Error"}, {404, "not_found", "Error"}}},
      {"GET", "/api/v1/network/peers", "network", "Peers: connection, scores, bans, traffic", "",
       {{200, "peers", "Peers"}}},
      {"POST", "/api/v1/poi/attestation", "poi", "Submit a signed attestation (poi.md)", "Attestation",
       {{202, "admitted to the mempool", "Submitted"},
        {400, "the rule that failed (malformed, wrong_chain, replay, ...)", "Error"},
        {409, "duplicate", "Error"},
        {503, "mempool_full or stopped", "Error"}}},
      {"POST", "/api/v1/poi/verify", "poi", "Run the ten rules without submitting", "Attestation",
       {{200, "the verdict", "VerifyResult"}}},
      {"GET", "/api/v1/poi/attestation/{id}", "poi", "Status of an attestation by its id", "",
       {{200, "status", "AttestationStatus"}, {400, "bad_id", "Error"}, {404, "not_found", "Error"}}},
      {"POST", "/api/v1/transactions", "transactions", "Submit a batch of encoded transactions", "TransactionBatch",
       {{202, "per-item results", "BatchResult"}, {400, "bad_request, or every item refused", "BatchResult"}}},
      {"GET", "/api/v1/transactions/{id}", "transactions", "Status of a transaction", "",
       {{200, "status", "TransactionStatus"}, {400, "bad_id", "Error"}, {404, "not_found", "Error"}}},
      {"GET", "/api/v1/validators", "validators", "The validator registry", "", {{200, "validators", "Validators"}}},
      {"GET", "/api/v1/validators/{id}", "validators", "One validator by bz id or ed25519 key", "",
       {{200, "validator", "Validator"}, {400, "bad_id", "Error"}, {404, "not_found", "Error"}}},
      {"GET", "/api/v1/accounts/{id}", "accounts", "One account by ed25519 key or bz id", "",
       {{200, "account", "Account"}, {400, "bad_id", "Error"}, {404, "not_found", "Error"}}},
      {"POST", "/api/v1/validate/transaction", "validation", "Is this transaction valid and final?", "IdRequest",
       {{200, "answer", "ValidationAnswer"}, {400, "bad_request or bad_id", "Error"},
        {502, "remote_unreachable or remote_error", "Error"}, {503, "circuit_open", "Error"}}},
      {"POST", "/api/v1/validate/block", "validation", "Is this block valid and final?", "IdRequest",
       {{200, "answer", "ValidationAnswer"}, {400, "bad_request or bad_id", "Error"},
        {502, "remote_unreachable or remote_error", "Error"}, {503, "circuit_open", "Error"}}},
      {"POST", "/api/v1/validate/address", "validation", "Is this address valid (and known)?", "AddressRequest",
       {{200, "answer", "ValidationAnswer"}, {400, "bad_request or bad_address", "Error"},
        {502, "remote_unreachable or remote_error", "Error"}, {503, "circuit_open", "Error"}}},
      {"POST", "/rpc", "rpc", "JSON-RPC 2.0: a request or a batch (docs/api.md lists the methods)", "JsonRpcRequest",
       {{200, "response(s)", "JsonRpcResponse"}, {204, "only notifications: no body", ""}}},
      {"GET", "/ace/status", "ace", "ACE runtime: queue depth per level, running tasks, totals", "",
       {{200, "status", "AceStatus"}, {503, "ace_unavailable", "Error"}}},
      {"GET", "/ace/agents", "ace", "The six agents: level, latency budget, skills, outcomes", "",
       {{200, "agents", "AceAgents"}, {503, "ace_unavailable", "Error"}}},
      {"POST", "/ace/orchestrate", "ace", "Submit a task (bearer token); ?wait=ms waits for it", "AceTaskRequest",
       {{200, "finished within ?wait", "AceTask"}, {202, "queued (or still running after ?wait)", "AceTask"},
        {400, "bad_json, bad_request or unknown_skill", "Error"}, {401, "unauthorized", "Error"},
        {503, "queue_full, stopped or ace_unavailable", "Error"}}},
      {"GET", "/ace/tasks/{id}", "ace", "A task: state, output or error, agent path, timings, signed receipt", "",
       {{200, "the task", "AceTask"}, {404, "not_found", "Error"}, {503, "ace_unavailable", "Error"}}},
      {"POST", "/ace/tasks/{id}/cancel", "ace", "Cancel a queued or running task (bearer token)", "",
       {{200, "the task", "AceTask"}, {401, "unauthorized", "Error"}, {404, "not_found", "Error"},
        {409, "already_finished", "Error"}, {503, "ace_unavailable", "Error"}}},
  };
  return table;
}

// JSON Schemas of the bodies (docs/api.md "Objects").
constexpr std::string_view kSchemas = R"json({
"Error":{"type":"object","required":["error"],"properties":{"error":{"type":"object","required":["code","message"],"properties":{"code":{"type":"string"},"message":{"type":"string"}}}}},
"Health":{"type":"object","required":["status","node_id","version","uptime_s"],"properties":{"status":{"type":"string","enum":["ok"]},"node_id":{"type":"string"},"version":{"type":"string"},"uptime_s":{"type":"integer"}}},
"Ready":{"type":"object","required":["status","peers","height"],"properties":{"status":{"type":"string","enum":["ready","not_ready"]},"peers":{"type":"integer"},"height":{"type":"integer"},"failed_check":{"type":"string","enum":["storage","consensus","peers"]}}},
"MetricsText":{"type":"string","description":"Prometheus text exposition format 0.0.4"},
"Html":{"type":"string","description":"an HTML document"},
"OpenApi":{"type":"object"},
"ConsensusStatus":{"type":"object","properties":{"chain_id":{"type":"string"},"genesis_root":{"$ref":"#/components/schemas/Hex64"},"node_id":{"type":"string"},"validator":{"type":"boolean"},"round":{"type":"integer"},"committed_height":{"type":"integer"},"committed_id":{"$ref":"#/components/schemas/Hex64"},"leader":{"type":"string"},"validators":{"type":"integer"},"commits":{"type":"integer"},"committed_transactions":{"type":"integer"},"last_finality_ms":{"type":"integer"},"mempool_transactions":{"type":"integer"},"mempool_bytes":{"type":"integer"},"peers_connected":{"type":"integer"},"fault":{"type":"string"}}},
"Block":{"type":"object","properties":{"id":{"$ref":"#/components/schemas/Hex64"},"height":{"type":"integer"},"epoch":{"type":"integer"},"round":{"type":"integer"},"parent_id":{"$ref":"#/components/schemas/Hex64"},"proposer":{"type":"integer"},"timestamp_ms":{"type":"integer"},"payload_digest":{"$ref":"#/components/schemas/Hex64"},"payload_bytes":{"type":"integer"},"transaction_count":{"type":"integer"},"transactions":{"type":"array","items":{"$ref":"#/components/schemas/Hex64"}},"final":{"type":"boolean"},"state_digest":{"$ref":"#/components/schemas/Hex64"},"receipts_digest":{"$ref":"#/components/schemas/Hex64"}}},
"Finality":{"type":"object","required":["id","final"],"properties":{"id":{"$ref":"#/components/schemas/Hex64"},"final":{"type":"boolean"},"height":{"type":"integer"},"committed_height":{"type":"integer"}}},
"Peers":{"type":"object","properties":{"peers":{"type":"array","items":{"type":"object","properties":{"pubkey":{"type":"string"},"id":{"type":"string"},"address":{"type":"string"},"connected":{"type":"boolean"},"outbound":{"type":"boolean"},"scores":{"type":"object","properties":{"quality":{"type":"number"},"reputation":{"type":"number"},"health":{"type":"number"}}},"failures":{"type":"integer"},"banned":{"type":"boolean"},"queued_bytes":{"type":"integer"},"frames_in":{"type":"integer"},"frames_out":{"type":"integer"},"bytes_in":{"type":"integer"},"bytes_out":{"type":"integer"}}}}}},
"Attestation":{"type":"object","description":"A signed attestation document (poi.md §1), at most 64 KiB; unknown members are refused","required":["version","anchor","attester","evidence","measurement","time_window","nonce","signature"],"additionalProperties":false,"properties":{"version":{"type":"string"},"anchor":{"type":"object"},"attester":{"type":"object"},"resources":{"type":"object"},"evidence":{"type":"object"},"measurement":{"type":"object"},"benchmarks":{"type":"object"},"time_window":{"type":"array","items":{"type":"string"}},"nonce":{"type":"string"},"signature":{"type":"object"}}},
"Submitted":{"type":"object","required":["id","tx_id","status"],"properties":{"id":{"$ref":"#/components/schemas/Hex64"},"tx_id":{"$ref":"#/components/schemas/Hex64"},"status":{"type":"string","enum":["pending"]}}},
"VerifyResult":{"type":"object","required":["valid"],"properties":{"valid":{"type":"boolean"},"id":{"$ref":"#/components/schemas/Hex64"},"error":{"type":"object","properties":{"code":{"type":"string"},"message":{"type":"string"}}}}},
"TransactionStatus":{"type":"object","required":["tx_id","status"],"properties":{"tx_id":{"$ref":"#/components/schemas/Hex64"},"status":{"type":"string","enum":["pending","final","rejected"]},"height":{"type":"integer"},"index":{"type":"integer"},"error_code":{"type":"string"}}},
"AttestationStatus":{"allOf":[{"$ref":"#/components/schemas/TransactionStatus"},{"type":"object","properties":{"id":{"$ref":"#/components/schemas/Hex64"}}}]},
"TransactionBatch":{"type":"object","required":["transactions"],"additionalProperties":false,"properties":{"transactions":{"type":"array","maxItems":10000,"items":{"type":"string","description":"hex of the canonical transaction encoding (docs/transactions.md)"}}}},
"BatchResult":{"type":"object","properties":{"accepted":{"type":"integer"},"results":{"type":"array","items":{"type":"object","properties":{"tx_id":{"$ref":"#/components/schemas/Hex64"},"error":{"type":"string"}}}}}},
"Validator":{"type":"object","properties":{"id":{"type":"string"},"pubkey":{"type":"string"},"network_address":{"type":"string"},"status":{"type":"string","enum":["pending","active","exiting","exited","slashed"]},"poi_weight":{"type":"integer"},"rep_score":{"type":"integer"},"stake_bond":{"type":"integer"},"epoch_join":{"type":"integer"},"epoch_exit":{"type":"integer"},"last_seen_slot":{"type":"integer"},"slash_reason":{"type":"string"},"quarantine_until":{"type":"integer"}}},
"Validators":{"type":"object","properties":{"count":{"type":"integer"},"validators":{"type":"array","items":{"$ref":"#/components/schemas/Validator"}}}},
"Account":{"type":"object","properties":{"pubkey":{"type":"string"},"id":{"type":"string"},"reputation":{"type":"integer"},"attestations":{"type":"integer"},"impact_sum_micro":{"type":"integer"},"last_epoch":{"type":"integer"},"epoch_attestations":{"type":"integer"},"epoch_impact_sum_micro":{"type":"integer"}}},
"IdRequest":{"type":"object","required":["id"],"properties":{"id":{"$ref":"#/components/schemas/Hex64"}}},
"AddressRequest":{"type":"object","required":["address"],"properties":{"address":{"type":"string","description":"ed25519:<64 hex> or bz<40 hex>"}}},
"ValidationAnswer":{"type":"object","required":["valid","final","status","source","cached"],"properties":{"valid":{"type":"boolean"},"final":{"type":"boolean"},"status":{"type":"string"},"source":{"type":"string","enum":["local","remote"]},"cached":{"type":"boolean"}}},
"JsonRpcRequest":{"oneOf":[{"type":"object","required":["jsonrpc","method"],"properties":{"jsonrpc":{"type":"string","enum":["2.0"]},"method":{"type":"string","enum":["bizra_blockNumber","bizra_getBlockByNumber","bizra_getBlockByHash","bizra_getTransaction","bizra_getAttestation","bizra_getAccount","bizra_getValidator","bizra_submitAttestation"]},"params":{"oneOf":[{"type":"array"},{"type":"object"}]},"id":{"oneOf":[{"type":"string"},{"type":"number"},{"type":"null"}]}}},{"type":"array","minItems":1,"maxItems":100}]},
"JsonRpcResponse":{"oneOf":[{"type":"object","required":["jsonrpc","id"],"properties":{"jsonrpc":{"type":"string"},"result":{},"error":{"type":"object","properties":{"code":{"type":"integer"},"message":{"type":"string"},"data":{}}},"id":{}}},{"type":"array"}]},
"AceStatus":{"type":"object","properties":{"queues":{"type":"object","properties":{"L1":{"type":"integer"},"L2":{"type":"integer"},"L3":{"type":"integer"},"L4":{"type":"integer"}}},"running_by_agent":{"type":"object","additionalProperties":{"type":"integer"}},"running":{"type":"integer"},"submitted":{"type":"integer"},"finished":{"type":"integer"},"succeeded":{"type":"integer"},"success_rate_permille":{"type":"integer"},"node_pubkey":{"type":"string"}}},
"AceAgents":{"type":"object","properties":{"agents":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string","enum":["meta","architect","reflection","operations","memory","security"]},"display_name":{"type":"string"},"level":{"type":"string","enum":["L1","L2","L3","L4"]},"latency_budget_ms":{"type":"integer"},"skills":{"type":"array","items":{"type":"string"}},"running":{"type":"integer"},"succeeded":{"type":"integer"},"failed":{"type":"integer"}}}}}},
"AceTaskRequest":{"type":"object","additionalProperties":false,"properties":{"type":{"type":"string","enum":["APT","AST","SAT"]},"skill":{"type":"string","description":"<agent>.<verb>; default meta.orchestrate (a goal planned by the Architect)"},"input":{"type":"object","description":"the skill's input; for meta.orchestrate {goal, ...params}"},"priority":{"type":"integer","minimum":0,"maximum":9},"deadline_ms":{"type":"integer","minimum":1,"maximum":600000},"idempotency_key":{"type":"string","maxLength":128}}},
"AceTask":{"type":"object","required":["id","status"],"properties":{"id":{"type":"string"},"type":{"type":"string"},"skill":{"type":"string"},"status":{"type":"string","enum":["queued","running","succeeded","failed","timed_out","cancelled"]},"href":{"type":"string"},"priority":{"type":"integer"},"requester":{"type":"string"},"agent_path":{"type":"array","items":{"type":"string"}},"output":{},"error":{"type":"object","properties":{"code":{"type":"string"},"message":{"type":"string"}}},"attempts":{"type":"integer"},"parent_id":{"type":"string"},"children":{"type":"array","items":{"type":"string"}},"timings":{"type":"object"},"receipt":{"$ref":"#/components/schemas/AceReceipt"}}},
"AceReceipt":{"type":"object","description":"signed by the node key (BIZRA/receipt/v1); verify with node0 ace verify-receipt","properties":{"task_id":{"type":"string"},"inputs_digest":{"$ref":"#/components/schemas/Hex64"},"outputs_digest":{"$ref":"#/components/schemas/Hex64"},"agent_path":{"type":"array","items":{"type":"string"}},"status":{"type":"string"},"submitted_unix_ms":{"type":"integer"},"started_unix_ms":{"type":"integer"},"finished_unix_ms":{"type":"integer"},"node_pubkey":{"type":"string"},"signature":{"type":"string"}}},
"Hex64":{"type":"string","pattern":"^[0-9a-f]{64}$"}
})json";

std::string schema_ref(std::string_view name) {
  return "{\"$ref\":\"#/components/schemas/" + std::string(name) + "\"}";
}

std::string media(std::string_view schema) {
  const std::string_view type = schema == "MetricsText" ? "text/plain" : schema == "Html" ? "text/html" : "application/json";
  return "{\"" + std::string(type) + "\":{\"schema\":" + schema_ref(schema) + "}}";
}

std::string path_parameters(std::string_view path) {
  std::string out = "[";
  for (std::size_t open = path.find('{'); open != std::string_view::npos; open = path.find('{', open + 1)) {
    const std::size_t close = path.find('}', open);
    out += (out.size() > 1 ? "," : "") + std::string("{\"name\":") +
           http::json_quote(path.substr(open + 1, close - open - 1)) +
           ",\"in\":\"path\",\"required\":true,\"schema\":{\"type\":\"string\"}}";
  }
  return out + "]";
}

std::string operation(const Route& r) {
  std::string out = "{\"tags\":[" + http::json_quote(r.tag) + "],\"summary\":" + http::json_quote(r.summary) +
                    ",\"parameters\":" + path_parameters(r.path);
  if (!r.request.empty()) out += ",\"requestBody\":{\"required\":true,\"content\":" + media(r.request) + "}";
  out += ",\"responses\":{";
  for (const Response& resp : r.responses) {
    out += "\"" + std::to_string(resp.status) + "\":{\"description\":" + http::json_quote(resp.description);
    if (!resp.schema.empty()) out += ",\"content\":" + media(resp.schema);
    out += "},";
  }
  return out + "\"default\":{\"description\":\"an error (the envelope)\",\"content\":" + media("Error") + "}}}";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> documented_routes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const Route& r : routes()) out.emplace_back(r.method, r.path);
  return out;
}

std::string openapi_json(std::string_view version) {
  std::string paths = "{";
  const auto& table = routes();
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (i > 0 && table[i - 1].path == table[i].path) continue;  // grouped below
    paths += (paths.size() > 1 ? "," : "") + http::json_quote(table[i].path) + ":{";
    for (std::size_t j = i; j < table.size() && table[j].path == table[i].path; ++j) {
      std::string method(table[j].method);
      for (char& c : method) c = static_cast<char>(c - 'A' + 'a');
      paths += (j > i ? "," : "") + http::json_quote(method) + ":" + operation(table[j]);
    }
    paths += "}";
  }
  paths += "}";
  return "{\"openapi\":\"3.0.3\",\"info\":{\"title\":\"BIZRA NODE0 API\",\"version\":" + http::json_quote(version) +
         ",\"description\":\"The node's HTTP API (docs/api.md). Errors are {\\\"error\\\":{\\\"code\\\",\\\"message\\\"}} with "
         "stable codes.\"},\"paths\":" + paths + ",\"components\":{\"schemas\":" + std::string(kSchemas) + "}}";
}

void mount_openapi_route(http::Router& router, std::string version) {
  const std::string document = openapi_json(version);
  router.add("GET", "/openapi.json", [document](const http::Request&) { return http::Response::json(200, document); });
}

}  // namespace bizra::api
