#pragma once
// JSON-RPC 2.0 at POST /rpc (https://www.jsonrpc.org/specification), over the same reads as the
// REST routes (api/queries.hpp), so both answer alike.
//
// Methods (params by position or by the names given; "ref" accepts what the REST route does):
//   bizra_blockNumber        []                         -> committed height (number)
//   bizra_getBlockByNumber   [height]                   -> block object or null
//   bizra_getBlockByHash     [hash]                     -> block object or null
//   bizra_getTransaction     [id]                       -> {tx_id, status, ...} or null
//   bizra_getAttestation     [id]                       -> {id, tx_id, status, ...} or null
//   bizra_getAccount         [account]  pubkey or bz id -> account object or null
//   bizra_getValidator       [validator] pubkey or bz id -> validator record or null
//   bizra_submitAttestation  [document] object or JSON text -> {id, tx_id, status: "pending"}
//
// Errors: -32700 parse error, -32600 invalid request, -32601 method not found, -32602 invalid
// params, -32603 internal; and application errors, each with {"code": <stable code>} in `data`:
//   -32000 rejected     the node refused the transaction (a PoI rule code, "duplicate", ...)
//   -32001 unavailable  "mempool_full", "stopped": retry later
//   -32002 storage      "io_error", "corrupt"
// Batches: an array of 1..100 requests; an empty array is one invalid-request error, a larger one
// too. Notifications (no "id") are executed and get no response; a request made only of
// notifications is answered HTTP 204 with no body. Request body ≤ 1 MiB (413 beyond).

#include <optional>
#include <string>
#include <string_view>

#include "http/router.hpp"
#include "node/node.hpp"

namespace bizra::api {

inline constexpr std::size_t kMaxRpcBatch = 100;
inline constexpr std::size_t kMaxRpcBodyBytes = 1 << 20;

namespace rpc_code {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternal = -32603;
inline constexpr int kRejected = -32000;
inline constexpr int kUnavailable = -32001;
inline constexpr int kStorage = -32002;
}  // namespace rpc_code

// The JSON-RPC answer to `body`: the response JSON, or nullopt when nothing is to be sent (only
// notifications). `node` must outlive the call.
std::optional<std::string> handle_rpc(node::Node& node, std::string_view body);

// POST /rpc on `router`. `node` must outlive the router's use.
void mount_rpc(http::Router& router, node::Node& node);

}  // namespace bizra::api
