#pragma once
// Shared by the PoI tests: a fixed key, a network context, and a valid attestation to mutate.

#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "codec/json.hpp"
#include "crypto/ed25519.hpp"
#include "poi/validate.hpp"

namespace bizra::poi::testing {

inline constexpr std::string_view kChainId = "bizra-devnet";
inline constexpr std::int64_t kWindowEnd = 1'767'312'000;  // 2026-01-02T00:00:00Z

// Key from seed 00 01 02 .. 1f (the test vectors' key); another from seed 20 21 .. 3f.
const crypto::SecretKey& key();
const crypto::SecretKey& other_key();

Hash32 genesis_root();     // BLAKE3("bizra-devnet genesis")
Hash32 finalized_block();  // BLAKE3("block 1"), the only finalized block of the context

// A network state for context(): (pubkey, nonce) pairs accepted before.
struct State {
  std::set<std::pair<crypto::PublicKey, std::string>> used_nonces;
};
// kChainId, genesis_root(), now = kWindowEnd, finalized_block(), and `state`'s nonces
// (`state` must outlive the context).
ValidationContext context(const State& state);
ValidationContext context();  // no nonce used

// JSON text to a value; aborts the test binary on invalid JSON (a bug in the test itself).
json::Value J(std::string_view text);

// A valid, unsigned attestation by key() using every member of spec §1, including block_ref.
json::Value document();
// `doc` with the member at dotted `path` ("measurement.weights.reach") set to `value`
// (created if absent, together with missing parent objects), or removed.
json::Value with(const json::Value& doc, std::string_view path, const json::Value& value);
json::Value without(const json::Value& doc, std::string_view path);

// sign(), asserting success.
std::string signed_text(const json::Value& doc, const crypto::SecretKey& signer = key());

}  // namespace bizra::poi::testing
