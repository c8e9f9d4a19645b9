#include "ace/skill_input.hpp"

#include <algorithm>

#include "ace/json_util.hpp"
#include "codec/jcs.hpp"

namespace bizra::ace::detail {

Error bad_input(std::string_view field, std::string_view what) {
  return Error("bad_input", std::string(field) + ": " + std::string(what));
}

Status expect_object(const json::Value& input, std::initializer_list<std::string_view> allowed) {
  if (!input.is_object()) return bad_input("input", "must be an object");
  for (const json::Value::Member& member : input.members()) {
    // "deps" is the engine's: the outputs of a plan step's dependencies (ace/plan.hpp).
    if (member.first == kDepsMember) continue;
    if (std::find(allowed.begin(), allowed.end(), member.first) == allowed.end())
      return bad_input(member.first, "unknown field");
  }
  return ok_status();
}

Result<std::optional<std::string>> read_string(const json::Value& object, std::string_view field,
                                               std::size_t max_bytes, bool required) {
  const json::Value* value = object.find(field);
  if (value == nullptr) {
    if (required) return bad_input(field, "missing");
    return std::optional<std::string>();
  }
  if (!value->is_string()) return bad_input(field, "must be a string");
  if (value->as_string().size() > max_bytes)
    return bad_input(field, "longer than " + std::to_string(max_bytes) + " bytes");
  return std::optional<std::string>(value->as_string());
}

Result<std::vector<std::string>> read_strings(const json::Value& object, std::string_view field,
                                              std::size_t max_items, std::size_t max_bytes) {
  std::vector<std::string> out;
  const json::Value* value = object.find(field);
  if (value == nullptr) return out;
  if (!value->is_array()) return bad_input(field, "must be an array of strings");
  if (value->items().size() > max_items) return bad_input(field, "more than " + std::to_string(max_items) + " items");
  for (const json::Value& item : value->items()) {
    if (!item.is_string() || item.as_string().empty() || item.as_string().size() > max_bytes)
      return bad_input(field, "each item is a string of 1.." + std::to_string(max_bytes) + " bytes");
    out.push_back(item.as_string());
  }
  return out;
}

Result<std::uint64_t> read_count(const json::Value& object, std::string_view field, std::uint64_t max,
                                 std::uint64_t fallback) {
  const json::Value* value = object.find(field);
  if (value == nullptr) return fallback;
  const std::optional<std::uint64_t> n = read_uint(*value, max);
  if (!n) return bad_input(field, "must be a whole number in 0.." + std::to_string(max));
  return *n;
}

Result<bool> read_bool(const json::Value& object, std::string_view field, bool fallback) {
  const json::Value* value = object.find(field);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) return bad_input(field, "must be true or false");
  return value->as_bool();
}

json::Value json_double(double value) { return json::Value::number(jcs::format_number(value), value); }

std::string utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t end = max_bytes;
  // Back off continuation bytes (10xxxxxx) so the cut falls before a character's first byte.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

}  // namespace bizra::ace::detail
