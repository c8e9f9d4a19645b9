#pragma once
// ACE tasks (../shared/spec/ace.md): what is submitted, and the durable record the engine keeps.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/error.hpp"
#include "codec/json.hpp"

namespace bizra::ace {

// APT: personal-team tasks of one user; AST: system-team tasks of the node's departments;
// SAT: autonomous system tasks the node starts itself (periodic health, backup).
enum class TaskType : std::uint8_t { kApt, kAst, kSat };
std::string_view task_type_name(TaskType type);  // "APT", "AST", "SAT"
std::optional<TaskType> task_type_from_name(std::string_view name);

enum class TaskStatus : std::uint8_t { kQueued, kRunning, kSucceeded, kFailed, kTimedOut, kCancelled };
std::string_view task_status_name(TaskStatus status);  // "queued", ..., "timed_out", "cancelled"
std::optional<TaskStatus> task_status_from_name(std::string_view name);
bool is_finished(TaskStatus status);

// What a client submits. `skill` is "<agent>.<verb>", or "meta.orchestrate" for a goal that the
// Architect plans and the engine runs as a DAG.
struct TaskRequest {
  TaskType type = TaskType::kApt;
  std::string skill;
  json::Value input = json::Value::object({});
  std::uint8_t priority = 5;          // 0..9, higher runs first within a level
  std::uint32_t deadline_ms = 30'000;  // from submission; past it the task is timed_out
  std::string idempotency_key;        // optional; the same key returns the first task
  std::string requester;              // who asked (API key name, "node" for SAT)
};

// Limits on requests; everything from the API and CLI passes parse_task_request.
inline constexpr std::size_t kMaxTaskInputBytes = 256 * 1024;
inline constexpr std::uint32_t kMaxDeadlineMs = 600'000;
inline constexpr std::size_t kMaxIdempotencyKeyBytes = 128;

// Parses the JSON body of POST /ace/orchestrate:
//   {"type":"APT|AST|SAT", "skill":"...", "input":{...}, "priority":0..9, "deadline_ms":n,
//    "idempotency_key":"..."} (skill defaults to "meta.orchestrate"; type to APT).
// Errors: "bad_json", "bad_request" (the message names the field).
Result<TaskRequest> parse_task_request(std::string_view body, std::string requester);

}  // namespace bizra::ace
