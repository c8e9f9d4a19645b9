#pragma once
// Task receipts (../shared/spec/ace.md): a statement, signed by the node key, of what a task was
// given, what it produced, which agents ran it and how it ended. Anyone holding the node's public
// key can verify one offline (`node0 ace verify-receipt FILE --pubkey HEX`); the key inside a
// receipt only says which node claims it and is never trusted on its own.
//
// Signature: Ed25519 over BLAKE3("BIZRA/receipt/v1" tag domain, RFC 8785 canonical JSON of the
// receipt without its "signature" member) — the same construction as attestations (poi.md).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/json.hpp"
#include "crypto/ed25519.hpp"

namespace bizra::ace {

struct Receipt {
  std::string task_id;
  Hash32 inputs_digest{};   // BLAKE3 of the canonical JSON of {skill, input}
  Hash32 outputs_digest{};  // BLAKE3 of the canonical JSON of the output, or of the error
  std::vector<std::string> agent_path;
  std::string status;  // task_status_name
  std::int64_t submitted_unix_ms = 0, started_unix_ms = 0, finished_unix_ms = 0;
  crypto::PublicKey node_pubkey{};
  crypto::Signature signature{};
};

Receipt sign_receipt(Receipt receipt, const crypto::SecretKey& node_key);  // sets node_pubkey and signature
// Errors: "wrong_key" (signed by another key than `trusted`), "bad_signature".
Status verify_receipt(const Receipt& receipt, const crypto::PublicKey& trusted);

std::string receipt_json(const Receipt& receipt);
// The receipt as a JSON object (with "signature"), for embedding in other documents (task_json).
json::Value receipt_value(const Receipt& receipt);
// What Ed25519 signs: ASCII "BIZRA/receipt/v1" ‖ 0x00 ‖ BLAKE3(canonical JSON without
// "signature"). Exposed so that a signer can batch the hashing apart from the signing.
inline constexpr std::string_view kReceiptDomain = "BIZRA/receipt/v1";
inline constexpr std::size_t kMaxReceiptBytes = 64 * 1024;
inline constexpr std::size_t kMaxAgentPathEntries = 1024;
using ReceiptMessage = FixedBytes<kReceiptDomain.size() + 1 + Hash32::kSize>;
ReceiptMessage receipt_message(const Receipt& receipt);
// Strict: every field present with the right shape, nothing else; bounded size.
// Errors: "bad_json", "bad_receipt" (the message names the field).
Result<Receipt> parse_receipt(std::string_view json);

}  // namespace bizra::ace
