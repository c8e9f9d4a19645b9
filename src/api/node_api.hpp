#pragma once
// The node's HTTP API (../shared/spec/api.md): the routes a running node serves, mounted on an
// http::Router. Every answer is JSON; every error is {"error":{"code","message"}} with the
// stable codes of the module that refused the request.
//
//   GET  /health                          liveness: {status, node_id, version, uptime_s}
//   GET  /ready                           readiness: storage, peers (a quorum reachable),
//                                         consensus progressing; 503 naming the failed check
//   GET  /api/v1/consensus/status         round, committed height, leader, validators, finality
//   GET  /api/v1/consensus/block/{ref}    a block by id or height: header fields, final, digests
//   GET  /api/v1/consensus/finality/{id}  whether a block id is final, at what height
//   GET  /api/v1/network/peers            peers: connection, quality/reputation/health, ban, traffic
//   POST /api/v1/poi/attestation          a signed attestation document -> 202 {id, tx_id}
//   POST /api/v1/poi/verify               the ten rules without submitting -> {valid, id, error}
//   GET  /api/v1/poi/attestation/{id}     pending / final (height, index, ok or error code)
//   POST /api/v1/transactions             {"transactions": ["<hex encoding>", ...]} (≤ 1 MiB,
//                                         ≤ 10 000): a batch, for high-rate clients; per-item results
//   GET  /api/v1/transactions/{id}        pending / final
//   GET  /api/v1/validators[/{id}]        the PoI registry: status, weight, reputation
//   GET  /api/v1/accounts/{pubkey or id}  an account: reputation, attestations, impact
// docs/api.md is the full reference (requests, responses, errors); the JSON-RPC endpoint is
// api/rpc.hpp, the ACE routes api/ace_routes.hpp.

#include <chrono>
#include <string>

#include "http/server.hpp"
#include "node/node.hpp"

namespace bizra::api {

struct ApiOptions {
  std::string version;  // reported by /health
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// `node` must outlive the router's use.
void mount_node_routes(http::Router& router, node::Node& node, ApiOptions options);

// HTTP status for an error code of submit() (400 bad input, 409 duplicate, 503 mempool_full, ...).
int status_for(std::string_view code);

}  // namespace bizra::api
