#include "api/rpc.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <exception>
#include <vector>

#include "api/queries.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "codec/json.hpp"
#include "http/message.hpp"
#include "poi/attestation.hpp"

namespace bizra::api {
namespace {

// Deep enough for an attestation document inside params inside a batch.
constexpr std::size_t kMaxRpcDepth = 24;

using Args = std::vector<const json::Value*>;  // by position, bound from either params form
using Call = Result<std::string> (*)(node::Node&, const Args&);

struct Method {
  std::string_view name;
  std::vector<std::string_view> params;  // all required
  Call call;
};

Error invalid_params(std::string message) { return Error("invalid_params", std::move(message)); }

// A JSON-RPC result: the object's JSON, or null when the node has no such thing.
std::string or_null(const std::optional<std::string>& json) { return json ? *json : "null"; }

template <typename T, typename Render>
Result<std::string> render_found(const Result<std::optional<T>>& found, Render render) {
  if (!found) return found.error();
  return *found ? render(**found) : std::string("null");
}

Result<std::string> string_arg(const json::Value& v, std::string_view name) {
  if (!v.is_string()) return invalid_params(std::string(name) + ": expected a string");
  return v.as_string();
}

Result<Hash32> hash_arg(const json::Value& v, std::string_view name) {
  const auto id = v.is_string() ? parse_hash(v.as_string()) : std::nullopt;
  if (!id) return Error("bad_id", std::string(name) + ": expected 64 lowercase hex digits");
  return *id;
}

Result<std::string> block_or_null(node::Node& node, const Result<std::optional<consensus::Block>>& found) {
  if (!found) return found.error();
  if (!*found) return std::string("null");
  return block_json(node, **found);
}

Result<std::string> block_number(node::Node& node, const Args&) {
  return std::to_string(node.status().committed_height);
}

Result<std::string> block_by_number(node::Node& node, const Args& args) {
  const std::string& text = args[0]->number_text();
  std::uint64_t height = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), height);
  if (!args[0]->is_number() || ec != std::errc() || end != text.data() + text.size())
    return invalid_params("height: expected a non-negative integer");
  return block_or_null(node, node.chain().block_at(height));
}

Result<std::string> block_by_hash(node::Node& node, const Args& args) {
  auto id = hash_arg(*args[0], "hash");
  if (!id) return id.error();
  return block_or_null(node, node.chain().block(*id));
}

Result<std::string> get_transaction(node::Node& node, const Args& args) {
  auto id = hash_arg(*args[0], "id");
  if (!id) return id.error();
  return or_null(transaction_json(node, *id));
}

Result<std::string> get_attestation(node::Node& node, const Args& args) {
  auto id = hash_arg(*args[0], "id");
  if (!id) return id.error();
  return or_null(attestation_json(node, *id));
}

Result<std::string> get_account(node::Node& node, const Args& args) {
  auto ref = string_arg(*args[0], "account");
  if (!ref) return ref.error();
  return render_found(find_account(node, *ref), account_json);
}

Result<std::string> get_validator(node::Node& node, const Args& args) {
  auto ref = string_arg(*args[0], "validator");
  if (!ref) return ref.error();
  return render_found(find_validator(node, *ref), validator_json);
}

// The document as a JSON object, or as JSON text in a string (a client that keeps it signed as
// bytes need not re-parse it).
Result<std::string> submit(node::Node& node, const Args& args) {
  const json::Value& doc = *args[0];
  if (!doc.is_object() && !doc.is_string()) return invalid_params("document: expected an object or a string");
  const std::string text = doc.is_object() ? jcs::serialize(doc) : doc.as_string();
  if (text.size() > poi::kMaxDocumentBytes) return Error("too_large", "document: larger than 64 KiB");
  auto checked = submit_attestation(node, text);
  if (!checked) return checked.error();
  return JsonObject()
      .str("id", checked->attestation_id.value_or(""))
      .str("tx_id", hex::encode(checked->id))
      .str("status", "pending")
      .done();
}

const std::array<Method, 8>& methods() {
  static const std::array<Method, 8> table = {{
      {"bizra_blockNumber", {}, block_number},
      {"bizra_getBlockByNumber", {"height"}, block_by_number},
      {"bizra_getBlockByHash", {"hash"}, block_by_hash},
      {"bizra_getTransaction", {"id"}, get_transaction},
      {"bizra_getAttestation", {"id"}, get_attestation},
      {"bizra_getAccount", {"account"}, get_account},
      {"bizra_getValidator", {"validator"}, get_validator},
      {"bizra_submitAttestation", {"document"}, submit},
  }};
  return table;
}

// --- responses ---------------------------------------------------------------------------

std::string id_json(const json::Value* id) { return id ? jcs::serialize(*id) : "null"; }

std::string success(const json::Value* id, std::string_view result) {
  return "{\"jsonrpc\":\"2.0\",\"result\":" + std::string(result) + ",\"id\":" + id_json(id) + "}";
}

std::string failure(const json::Value* id, int code, std::string_view message, const std::optional<Error>& data = {}) {
  std::string error = "{\"code\":" + std::to_string(code) + ",\"message\":" + http::json_quote(message);
  if (data) error += ",\"data\":" + error_json(*data);
  return "{\"jsonrpc\":\"2.0\",\"error\":" + error + "},\"id\":" + id_json(id) + "}";
}

// Our stable codes in the JSON-RPC ranges.
std::string application_failure(const json::Value* id, const Error& e) {
  const std::string_view c = e.code();
  if (c == "invalid_params" || c == "bad_id") return failure(id, rpc_code::kInvalidParams, "Invalid params", e);
  if (c == "io_error" || c == "corrupt") return failure(id, rpc_code::kStorage, "Storage error", e);
  if (c == "mempool_full" || c == "stopped") return failure(id, rpc_code::kUnavailable, "Unavailable", e);
  return failure(id, rpc_code::kRejected, "Rejected", e);
}

// --- requests ----------------------------------------------------------------------------

// Binds params (absent, an array in order, or an object by name) to the method's parameters.
Result<Args> bind(const Method& method, const json::Value* params) {
  const std::size_t want = method.params.size();
  if (params == nullptr) {
    if (want == 0) return Args{};
    return invalid_params("expected " + std::to_string(want) + " parameter(s)");
  }
  if (params->is_array()) {
    if (params->items().size() != want) return invalid_params("expected " + std::to_string(want) + " parameter(s)");
    Args args;
    for (const json::Value& v : params->items()) args.push_back(&v);
    return args;
  }
  if (params->members().size() != want) return invalid_params("expected " + std::to_string(want) + " named parameter(s)");
  Args args;
  for (std::string_view name : method.params) {
    const json::Value* v = params->find(name);
    if (v == nullptr) return invalid_params("missing parameter \"" + std::string(name) + "\"");
    args.push_back(v);
  }
  return args;
}

bool valid_id(const json::Value& id) { return id.is_string() || id.is_number() || id.is_null(); }

bool valid_envelope(const json::Value& request) {
  for (const auto& [key, value] : request.members())
    if (key != "jsonrpc" && key != "method" && key != "params" && key != "id") return false;
  const json::Value* version = request.find("jsonrpc");
  const json::Value* method = request.find("method");
  const json::Value* params = request.find("params");
  const json::Value* id = request.find("id");
  return version && version->is_string() && version->as_string() == "2.0" && method && method->is_string() &&
         (params == nullptr || params->is_array() || params->is_object()) && (id == nullptr || valid_id(*id));
}

// One request's response, or nullopt for a notification.
std::optional<std::string> handle_one(node::Node& node, const json::Value& request) {
  if (!request.is_object() || !valid_envelope(request)) {
    const json::Value* id = request.find("id");
    return failure(id && valid_id(*id) ? id : nullptr, rpc_code::kInvalidRequest, "Invalid Request");
  }
  const json::Value* id = request.find("id");
  const std::string& name = request.find("method")->as_string();
  std::string response;
  const auto method = std::find_if(methods().begin(), methods().end(), [&](const Method& m) { return m.name == name; });
  if (method == methods().end()) {
    response = failure(id, rpc_code::kMethodNotFound, "Method not found");
  } else if (auto args = bind(*method, request.find("params")); !args) {
    response = application_failure(id, args.error());
  } else {
    try {
      auto result = method->call(node, *args);
      response = result ? success(id, *result) : application_failure(id, result.error());
    } catch (const std::exception&) {
      response = failure(id, rpc_code::kInternal, "Internal error");
    }
  }
  if (id == nullptr) return std::nullopt;
  return response;
}

}  // namespace

std::optional<std::string> handle_rpc(node::Node& node, std::string_view body) {
  auto doc = json::parse(body, json::Limits{.max_bytes = kMaxRpcBodyBytes, .max_depth = kMaxRpcDepth});
  if (!doc) return failure(nullptr, rpc_code::kParseError, "Parse error");
  if (!doc->is_array()) return handle_one(node, *doc);
  const auto& calls = doc->items();
  if (calls.empty() || calls.size() > kMaxRpcBatch)
    return failure(nullptr, rpc_code::kInvalidRequest, calls.empty() ? "Invalid Request: empty batch"
                                                                    : "Invalid Request: more than 100 calls in a batch");
  std::string out;
  for (const json::Value& call : calls) {
    if (auto response = handle_one(node, call)) out += (out.empty() ? "[" : ",") + *response;
  }
  if (out.empty()) return std::nullopt;
  return out + "]";
}

void mount_rpc(http::Router& router, node::Node& node) {
  router.add(
      "POST", "/rpc",
      [&node](const http::Request& req) {
        auto answer = handle_rpc(node, req.body);
        if (!answer) return http::Response{.status = 204, .content_type = "", .body = {}, .headers = {}};
        return http::Response::json(200, std::move(*answer));
      },
      http::RouteOptions{.max_body_bytes = kMaxRpcBodyBytes, .rate_limited = true});
}

}  // namespace bizra::api
