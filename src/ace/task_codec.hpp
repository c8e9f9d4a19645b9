#pragma once
// Durable task records in storage::Column::kAceTasks (internal to bizra_ace_core).
//
// Keys: "t/" + task id  -> record;  "i/" + requester + 0x00 + idempotency key -> task id.
// Record: codec::binary, version byte 1, then the TaskView fields (input and output as their
// canonical JSON text, the receipt as its digests, key and signature: the rest of a receipt is
// the record's own id, agent path, status and timings).

#include <optional>
#include <string>
#include <string_view>

#include "ace/engine.hpp"
#include "base/bytes.hpp"
#include "base/error.hpp"

namespace bizra::ace::detail {

inline constexpr std::string_view kTaskKeyPrefix = "t/";
inline constexpr std::string_view kIdempotencyKeyPrefix = "i/";

std::string task_key(std::string_view id);
std::string idempotency_key(std::string_view requester, std::string_view key);

// `input_canonical` / `output_canonical`: jcs of the input / output (empty when no output).
Bytes encode_task_record(const TaskView& view, std::string_view input_canonical, std::string_view output_canonical);

struct DecodedTask {
  TaskView view;
  std::string input_canonical;
};
// Errors: "corrupt" (the message names the field).
Result<DecodedTask> decode_task_record(ByteSpan bytes);

// Error codes read back from the store must outlive every Error made from them (Error keeps a
// string_view): they are interned for the life of the process, at most a few thousand of them.
std::string_view intern_error_code(std::string_view code);

json::Value error_json(const Error& error);
json::Value task_value(const TaskView& task);

}  // namespace bizra::ace::detail
