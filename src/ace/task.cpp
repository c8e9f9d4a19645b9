#include "ace/task.hpp"

#include <algorithm>

#include "ace/json_util.hpp"
#include "codec/jcs.hpp"

namespace bizra::ace {

namespace {

constexpr std::string_view kTypeNames[] = {"APT", "AST", "SAT"};
constexpr std::string_view kStatusNames[] = {"queued", "running", "succeeded", "failed", "timed_out", "cancelled"};
constexpr std::uint64_t kMaxPriority = 9;
// The envelope around the input (type, skill, priority, ...) is small; this bounds it.
constexpr std::size_t kMaxEnvelopeBytes = 4096;

Error bad_request(std::string_view field, std::string_view what) {
  return Error("bad_request", std::string(field) + ": " + std::string(what));
}

bool is_printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

Status read_type(const json::Value& v, TaskRequest& out) {
  const auto type = v.is_string() ? task_type_from_name(v.as_string()) : std::nullopt;
  if (!type) return bad_request("type", "expected \"APT\", \"AST\" or \"SAT\"");
  out.type = *type;
  return ok_status();
}

Status read_skill(const json::Value& v, TaskRequest& out) {
  if (!v.is_string() || !detail::is_skill_name(v.as_string()))
    return bad_request("skill", "expected \"<agent>.<verb>\" with a known agent");
  out.skill = v.as_string();
  return ok_status();
}

Status read_input(const json::Value& v, TaskRequest& out) {
  if (!v.is_object()) return bad_request("input", "expected an object");
  // Bounded on its canonical form: that is what is stored, hashed into receipts and sent on.
  if (jcs::serialize(v).size() > kMaxTaskInputBytes)
    return bad_request("input", "larger than " + std::to_string(kMaxTaskInputBytes) + " bytes");
  out.input = v;
  return ok_status();
}

Status read_priority(const json::Value& v, TaskRequest& out) {
  const auto priority = detail::read_uint(v, kMaxPriority);
  if (!priority) return bad_request("priority", "expected an integer 0..9");
  out.priority = static_cast<std::uint8_t>(*priority);
  return ok_status();
}

Status read_deadline(const json::Value& v, TaskRequest& out) {
  const auto deadline = detail::read_uint(v, kMaxDeadlineMs);
  if (!deadline || *deadline == 0)
    return bad_request("deadline_ms", "expected an integer 1.." + std::to_string(kMaxDeadlineMs));
  out.deadline_ms = static_cast<std::uint32_t>(*deadline);
  return ok_status();
}

Status read_idempotency_key(const json::Value& v, TaskRequest& out) {
  if (!v.is_string() || v.as_string().empty() || v.as_string().size() > kMaxIdempotencyKeyBytes ||
      !is_printable_ascii(v.as_string()))
    return bad_request("idempotency_key",
                       "expected 1.." + std::to_string(kMaxIdempotencyKeyBytes) + " printable ASCII characters");
  out.idempotency_key = v.as_string();
  return ok_status();
}

}  // namespace

std::string_view task_type_name(TaskType type) { return kTypeNames[static_cast<std::size_t>(type)]; }

std::optional<TaskType> task_type_from_name(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kTypeNames); ++i)
    if (kTypeNames[i] == name) return static_cast<TaskType>(i);
  return std::nullopt;
}

std::string_view task_status_name(TaskStatus status) { return kStatusNames[static_cast<std::size_t>(status)]; }

std::optional<TaskStatus> task_status_from_name(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kStatusNames); ++i)
    if (kStatusNames[i] == name) return static_cast<TaskStatus>(i);
  return std::nullopt;
}

bool is_finished(TaskStatus status) { return status != TaskStatus::kQueued && status != TaskStatus::kRunning; }

Result<TaskRequest> parse_task_request(std::string_view body, std::string requester) {
  auto parsed = json::parse(body, json::Limits{.max_bytes = kMaxTaskInputBytes + kMaxEnvelopeBytes});
  if (!parsed) return Error("bad_json", parsed.error().to_string());
  const json::Value& doc = *parsed;
  if (!doc.is_object()) return Error("bad_request", "body: expected a JSON object");
  if (const auto* extra =
          detail::unknown_member(doc, {"type", "skill", "input", "priority", "deadline_ms", "idempotency_key"}))
    return bad_request(extra->first, "unknown member");

  TaskRequest out;
  out.skill = "meta.orchestrate";
  out.requester = std::move(requester);
  if (const auto* v = doc.find("type")) BIZRA_TRY(read_type(*v, out));
  if (const auto* v = doc.find("skill")) BIZRA_TRY(read_skill(*v, out));
  if (const auto* v = doc.find("input")) BIZRA_TRY(read_input(*v, out));
  if (const auto* v = doc.find("priority")) BIZRA_TRY(read_priority(*v, out));
  if (const auto* v = doc.find("deadline_ms")) BIZRA_TRY(read_deadline(*v, out));
  if (const auto* v = doc.find("idempotency_key")) BIZRA_TRY(read_idempotency_key(*v, out));
  return out;
}

}  // namespace bizra::ace
