#pragma once
// What the REST routes, the JSON-RPC methods and the validation service read from a node, and the
// JSON each answer has. One place, so that a block or an account looks the same whichever way it
// was asked for (snake_case members, lowercase hex, integers as numbers).
//
// Lookups return Result<std::optional<T>>: an error is a refused reference ("bad_id") or the
// store's ("io_error", "corrupt"); nullopt is "no such thing here".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.hpp"
#include "chain/check.hpp"
#include "consensus/types.hpp"
#include "node/node.hpp"
#include "poi/types.hpp"

namespace bizra::api {

// A JSON object written member by member; strings are escaped by http::json_quote.
class JsonObject {
 public:
  JsonObject& str(std::string_view key, std::string_view value);
  JsonObject& num(std::string_view key, std::uint64_t value);
  JsonObject& flag(std::string_view key, bool value);
  JsonObject& raw(std::string_view key, std::string_view json);
  std::string done() const { return out_ + "}"; }

 private:
  std::string out_ = "{";
};

// {"code","message"}: the inner part of the error envelope.
std::string error_json(const Error& error);

// 64 lowercase hex digits (block, transaction and attestation ids), or nullopt.
std::optional<Hash32> parse_hash(std::string_view text);

// --- blocks ------------------------------------------------------------------------------
// `ref`: a block id (64 lowercase hex) or a decimal height. Errors: "bad_id", the store's.
Result<std::optional<consensus::Block>> find_block(node::Node& node, std::string_view ref);
// Whether `block` is the committed block at its height.
Result<bool> is_final(node::Node& node, const consensus::Block& block);
// {id, height, round, parent_id, proposer, timestamp_ms, payload_bytes, transactions, final,
//  state_digest?, receipts_digest?}. Errors: the store's.
Result<std::string> block_json(node::Node& node, const consensus::Block& block);
// {id, final, height, committed_height}: whether a known block (pending or committed) is final;
// nullopt for a block this node does not have.
Result<std::optional<std::string>> finality_json(node::Node& node, const Hash32& block_id);

// --- transactions and attestations -----------------------------------------------------
// {tx_id, status: pending|final|rejected, height?, index?, error_code?}; nullopt when unknown.
std::optional<std::string> transaction_json(const node::Node& node, const Hash32& tx_id);
// The same for the transaction carrying attestation `digest`.
std::optional<std::string> attestation_json(const node::Node& node, const Hash32& digest);
// Submits an attestation document (wrapped in its canonical form when it has one, as the chain
// carries it). Errors: node::Node::submit's.
Result<chain::CheckedTx> submit_attestation(node::Node& node, std::string_view document);
// The ten rules against the node's chain id, genesis root, clock and nonce record, without
// submitting: {valid, id?, error?{code, message}} (id once the document parses).
std::string verify_attestation_json(const node::Node& node, std::string_view document);

// --- accounts and validators (committed PoI state) ----------------------------------------
// `ref`: "ed25519:<64 hex>" or an account id "bz<40 hex>". Errors: "bad_id", the store's.
bool is_account_reference(std::string_view ref);
Result<std::optional<poi::Account>> find_account(const node::Node& node, std::string_view ref);
Result<std::optional<poi::ValidatorRecord>> find_validator(const node::Node& node, std::string_view ref);
std::string account_json(const poi::Account& account);
std::string validator_json(const poi::ValidatorRecord& record);
// {"validators": [...], "count"}: every registry record in id order. Errors: the store's.
Result<std::string> validators_json(const node::Node& node);

// --- peers ------------------------------------------------------------------------------------
// {pubkey, id, address, connected, outbound, scores:{quality, reputation, health}, failures,
// banned, queued_bytes, frames_in, frames_out, bytes_in, bytes_out}.
std::string peer_json(const net::PeerStatus& peer);

}  // namespace bizra::api
