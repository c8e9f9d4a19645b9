#include "ace/task_codec.hpp"

#include <mutex>
#include <set>

#include "ace/json_util.hpp"
#include "codec/binary.hpp"
#include "codec/jcs.hpp"

namespace bizra::ace::detail {

namespace {

constexpr std::uint8_t kRecordVersion = 1;
constexpr std::size_t kMaxShortString = 1024;
constexpr std::size_t kMaxJsonBytes = 4 << 20;
constexpr std::size_t kMaxMessageBytes = 64 * 1024;
constexpr std::size_t kMaxListEntries = 4096;
constexpr std::size_t kMaxInternedCodes = 4096;

void write_strings(codec::Writer& w, const std::vector<std::string>& items) {
  w.count(items.size());
  for (const std::string& s : items) w.string(s);
}

std::vector<std::string> read_strings(codec::Reader& r, std::string_view field) {
  std::vector<std::string> out(r.count(field, kMaxListEntries, 4));
  for (std::string& s : out) s = r.string(field, kMaxShortString);
  return out;
}

template <typename Enum>
Enum read_enum(codec::Reader& r, std::string_view field, Enum last) {
  const std::uint8_t v = r.u8(field);
  if (v > static_cast<std::uint8_t>(last)) r.fail("corrupt", std::string(field) + ": out of range");
  return static_cast<Enum>(v);
}

void read_receipt(codec::Reader& r, TaskView& view) {
  Receipt receipt;
  receipt.task_id = view.id;
  receipt.agent_path = view.agent_path;
  receipt.status = std::string(task_status_name(view.status));
  receipt.submitted_unix_ms = view.submitted_unix_ms;
  receipt.started_unix_ms = view.started_unix_ms;
  receipt.finished_unix_ms = view.finished_unix_ms;
  receipt.inputs_digest = r.fixed<32>("receipt.inputs_digest");
  receipt.outputs_digest = r.fixed<32>("receipt.outputs_digest");
  receipt.node_pubkey.bytes = r.fixed<crypto::PublicKey::kSize>("receipt.node_pubkey");
  receipt.signature.bytes = r.fixed<crypto::Signature::kSize>("receipt.signature");
  view.receipt = std::move(receipt);
}

Result<json::Value> parse_stored_json(std::string_view text, std::string_view field) {
  auto value = json::parse(text, json::Limits{.max_bytes = kMaxJsonBytes});
  if (!value) return Error("corrupt", std::string(field) + ": " + value.error().to_string());
  return value;
}

}  // namespace

std::string task_key(std::string_view id) { return std::string(kTaskKeyPrefix).append(id); }

std::string idempotency_key(std::string_view requester, std::string_view key) {
  std::string out(kIdempotencyKeyPrefix);
  out.append(requester).push_back('\0');
  return out.append(key);
}

Bytes encode_task_record(const TaskView& v, std::string_view input_canonical, std::string_view output_canonical) {
  codec::Writer w(256 + input_canonical.size() + output_canonical.size());
  w.u8(kRecordVersion).string(v.id);
  w.u8(static_cast<std::uint8_t>(v.request.type)).string(v.request.skill).string(input_canonical);
  w.u8(v.request.priority).u32(v.request.deadline_ms).string(v.request.idempotency_key).string(v.request.requester);
  w.u8(static_cast<std::uint8_t>(v.status));
  write_strings(w, v.agent_path);
  w.boolean(v.output.has_value());
  if (v.output) w.string(output_canonical);
  w.boolean(v.error.has_value());
  if (v.error) w.string(v.error->code()).string(v.error->message());
  w.u32(v.attempts).string(v.parent_id);
  write_strings(w, v.child_ids);
  w.i64(v.submitted_unix_ms).i64(v.started_unix_ms).i64(v.finished_unix_ms);
  w.boolean(v.receipt.has_value());
  if (v.receipt)
    w.fixed(v.receipt->inputs_digest)
        .fixed(v.receipt->outputs_digest)
        .fixed(v.receipt->node_pubkey.bytes)
        .fixed(v.receipt->signature.bytes);
  return std::move(w).take();
}

Result<DecodedTask> decode_task_record(ByteSpan bytes) {
  codec::Reader r(bytes);
  DecodedTask out;
  TaskView& v = out.view;
  if (r.u8("version") != kRecordVersion) r.fail("corrupt", "version: unknown task record version");
  v.id = r.string("id", kMaxShortString);
  v.request.type = read_enum(r, "type", TaskType::kSat);
  v.request.skill = r.string("skill", kMaxShortString);
  out.input_canonical = r.string("input", kMaxJsonBytes);
  v.request.priority = r.u8("priority");
  v.request.deadline_ms = r.u32("deadline_ms");
  v.request.idempotency_key = r.string("idempotency_key", kMaxShortString);
  v.request.requester = r.string("requester", kMaxShortString);
  v.status = read_enum(r, "status", TaskStatus::kCancelled);
  v.agent_path = read_strings(r, "agent_path");
  std::string output_text;
  if (r.boolean("has_output")) output_text = r.string("output", kMaxJsonBytes);
  if (r.boolean("has_error")) {
    const std::string code = r.string("error.code", kMaxShortString);
    v.error = Error(intern_error_code(code), r.string("error.message", kMaxMessageBytes));
  }
  v.attempts = r.u32("attempts");
  v.parent_id = r.string("parent_id", kMaxShortString);
  v.child_ids = read_strings(r, "child_ids");
  v.submitted_unix_ms = r.i64("submitted_unix_ms");
  v.started_unix_ms = r.i64("started_unix_ms");
  v.finished_unix_ms = r.i64("finished_unix_ms");
  if (r.boolean("has_receipt")) read_receipt(r, v);
  if (auto status = r.finish(); !status) return Error("corrupt", "task record: " + status.error().to_string());
  auto input = parse_stored_json(out.input_canonical, "input");
  if (!input) return input.error();
  v.request.input = std::move(*input);
  if (!output_text.empty()) {
    auto output = parse_stored_json(output_text, "output");
    if (!output) return output.error();
    v.output = std::move(*output);
  }
  return out;
}

std::string_view intern_error_code(std::string_view code) {
  static std::mutex mu;
  static std::set<std::string, std::less<>> codes;
  std::lock_guard lock(mu);
  if (auto it = codes.find(code); it != codes.end()) return *it;
  if (codes.size() >= kMaxInternedCodes) return "unknown_error";
  return *codes.emplace(code).first;
}

json::Value error_json(const Error& error) {
  return json::Value::object(
      {{"code", json::Value::string(std::string(error.code()))}, {"message", json::Value::string(error.message())}});
}

json::Value task_value(const TaskView& t) {
  std::vector<json::Value::Member> m;
  m.reserve(14);
  m.emplace_back("id", json::Value::string(t.id));
  m.emplace_back("type", json::Value::string(std::string(task_type_name(t.request.type))));
  m.emplace_back("skill", json::Value::string(t.request.skill));
  m.emplace_back("status", json::Value::string(std::string(task_status_name(t.status))));
  m.emplace_back("priority", json_uint(t.request.priority));
  m.emplace_back("requester", json::Value::string(t.request.requester));
  m.emplace_back("agent_path", json_strings(t.agent_path));
  if (t.output) m.emplace_back("output", *t.output);
  if (t.error) m.emplace_back("error", error_json(*t.error));
  m.emplace_back("attempts", json_uint(t.attempts));
  m.emplace_back("parent_id", json::Value::string(t.parent_id));
  m.emplace_back("children", json_strings(t.child_ids));
  m.emplace_back("timings", json::Value::object({{"submitted_unix_ms", json_int(t.submitted_unix_ms)},
                                                 {"started_unix_ms", json_int(t.started_unix_ms)},
                                                 {"finished_unix_ms", json_int(t.finished_unix_ms)}}));
  if (t.receipt) m.emplace_back("receipt", receipt_value(*t.receipt));
  return json::Value::object(std::move(m));
}

}  // namespace bizra::ace::detail
