#include "ace/receipt.hpp"

#include <algorithm>

#include "ace/agent.hpp"
#include "ace/json_util.hpp"
#include "ace/task.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"

namespace bizra::ace {

namespace {

constexpr std::string_view kSignatureMember = "signature";
constexpr std::size_t kTaskIdHexDigits = 32;

json::Value hex_value(ByteSpan bytes) { return json::Value::string(hex::encode(bytes)); }

// Every member but the signature; the order does not matter, jcs sorts.
std::vector<json::Value::Member> unsigned_members(const Receipt& r) {
  std::vector<json::Value::Member> members;
  members.reserve(8);
  members.emplace_back("task_id", json::Value::string(r.task_id));
  members.emplace_back("inputs_digest", hex_value(r.inputs_digest.span()));
  members.emplace_back("outputs_digest", hex_value(r.outputs_digest.span()));
  members.emplace_back("agent_path", detail::json_strings(r.agent_path));
  members.emplace_back("status", json::Value::string(r.status));
  members.emplace_back("timings", json::Value::object({{"submitted_unix_ms", detail::json_int(r.submitted_unix_ms)},
                                                       {"started_unix_ms", detail::json_int(r.started_unix_ms)},
                                                       {"finished_unix_ms", detail::json_int(r.finished_unix_ms)}}));
  members.emplace_back("node_pubkey", hex_value(r.node_pubkey.span()));
  return members;
}

Error bad_receipt(std::string_view field, std::string_view what) {
  return Error("bad_receipt", std::string(field) + ": " + std::string(what));
}

const json::Value* require(const json::Value& object, std::string_view field) { return object.find(field); }

template <std::size_t N>
Result<FixedBytes<N>> read_hex(const json::Value& doc, std::string_view field) {
  const json::Value* v = require(doc, field);
  if (v == nullptr || !v->is_string() || !hex::is_lower_hex(v->as_string()) || v->as_string().size() != 2 * N)
    return bad_receipt(field, "expected " + std::to_string(2 * N) + " lowercase hex digits");
  return *hex::decode_fixed<N>(v->as_string());
}

Status read_task_id(const json::Value& doc, Receipt& out) {
  const json::Value* v = require(doc, "task_id");
  if (v == nullptr || !v->is_string() || v->as_string().size() != kTaskIdHexDigits ||
      !hex::is_lower_hex(v->as_string()))
    return bad_receipt("task_id", "expected 32 lowercase hex digits");
  out.task_id = v->as_string();
  return ok_status();
}

Status read_agent_path(const json::Value& doc, Receipt& out) {
  const json::Value* v = require(doc, "agent_path");
  if (v == nullptr || !v->is_array() || v->items().size() > kMaxAgentPathEntries)
    return bad_receipt("agent_path",
                       "expected an array of at most " + std::to_string(kMaxAgentPathEntries) + " agents");
  for (const json::Value& agent : v->items()) {
    if (!agent.is_string() || !agent_from_name(agent.as_string()))
      return bad_receipt("agent_path", "expected agent names (\"meta\", \"security\", ...)");
    out.agent_path.push_back(agent.as_string());
  }
  return ok_status();
}

Status read_status(const json::Value& doc, Receipt& out) {
  const json::Value* v = require(doc, "status");
  const auto status = (v != nullptr && v->is_string()) ? task_status_from_name(v->as_string()) : std::nullopt;
  if (!status || !is_finished(*status)) return bad_receipt("status", "expected a finished task status");
  out.status = v->as_string();
  return ok_status();
}

Status read_timings(const json::Value& doc, Receipt& out) {
  const json::Value* v = require(doc, "timings");
  if (v == nullptr || !v->is_object()) return bad_receipt("timings", "expected an object");
  if (const auto* extra = detail::unknown_member(*v, {"submitted_unix_ms", "started_unix_ms", "finished_unix_ms"}))
    return bad_receipt("timings." + extra->first, "unknown member");
  const std::pair<std::string_view, std::int64_t*> fields[] = {{"submitted_unix_ms", &out.submitted_unix_ms},
                                                               {"started_unix_ms", &out.started_unix_ms},
                                                               {"finished_unix_ms", &out.finished_unix_ms}};
  for (const auto& [name, target] : fields) {
    const json::Value* t = v->find(name);
    const auto ms = t != nullptr ? detail::read_int(*t, 0, 9007199254740991LL) : std::nullopt;
    if (!ms) return bad_receipt("timings." + std::string(name), "expected a non-negative integer");
    *target = *ms;
  }
  return ok_status();
}

}  // namespace

ReceiptMessage receipt_message(const Receipt& receipt) {
  const Hash32 digest = crypto::blake3(jcs::serialize(json::Value::object(unsigned_members(receipt))));
  ReceiptMessage message;
  auto* out = std::copy(kReceiptDomain.begin(), kReceiptDomain.end(), message.data());
  *out++ = 0x00;
  std::copy(digest.bytes.begin(), digest.bytes.end(), out);
  return message;
}

Receipt sign_receipt(Receipt receipt, const crypto::SecretKey& node_key) {
  receipt.node_pubkey = node_key.public_key();
  receipt.signature = node_key.sign(receipt_message(receipt).span());
  return receipt;
}

Status verify_receipt(const Receipt& receipt, const crypto::PublicKey& trusted) {
  if (receipt.node_pubkey != trusted)
    return Error("wrong_key", "the receipt names node key " + hex::encode(receipt.node_pubkey.bytes) +
                                  ", not the trusted key " + hex::encode(trusted.bytes));
  if (!crypto::verify(trusted, receipt_message(receipt).span(), receipt.signature))
    return Error("bad_signature", "the signature does not match the receipt under the trusted key");
  return ok_status();
}

json::Value receipt_value(const Receipt& receipt) {
  auto members = unsigned_members(receipt);
  members.emplace_back(std::string(kSignatureMember), hex_value(receipt.signature.span()));
  return json::Value::object(std::move(members));
}

std::string receipt_json(const Receipt& receipt) { return jcs::serialize(receipt_value(receipt)); }

Result<Receipt> parse_receipt(std::string_view text) {
  auto parsed = json::parse(text, json::Limits{.max_bytes = kMaxReceiptBytes, .max_depth = 3});
  if (!parsed) return Error("bad_json", parsed.error().to_string());
  const json::Value& doc = *parsed;
  if (!doc.is_object()) return bad_receipt("receipt", "expected a JSON object");
  if (const auto* extra = detail::unknown_member(doc, {"task_id", "inputs_digest", "outputs_digest", "agent_path",
                                                       "status", "timings", "node_pubkey", "signature"}))
    return bad_receipt(extra->first, "unknown member");
  Receipt out;
  BIZRA_TRY(read_task_id(doc, out));
  auto inputs = read_hex<32>(doc, "inputs_digest");
  if (!inputs) return inputs.error();
  out.inputs_digest = *inputs;
  auto outputs = read_hex<32>(doc, "outputs_digest");
  if (!outputs) return outputs.error();
  out.outputs_digest = *outputs;
  BIZRA_TRY(read_agent_path(doc, out));
  BIZRA_TRY(read_status(doc, out));
  BIZRA_TRY(read_timings(doc, out));
  auto pubkey = read_hex<crypto::PublicKey::kSize>(doc, "node_pubkey");
  if (!pubkey) return pubkey.error();
  out.node_pubkey.bytes = *pubkey;
  auto signature = read_hex<crypto::Signature::kSize>(doc, std::string_view(kSignatureMember));
  if (!signature) return signature.error();
  out.signature.bytes = *signature;
  return out;
}

}  // namespace bizra::ace
