#pragma once
// Small JSON helpers shared by the ACE parsers and serializers (internal to bizra_ace_core).

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/json.hpp"

namespace bizra::ace::detail {

// A JSON number holding an unsigned integer (exact below 2^53).
json::Value json_uint(std::uint64_t value);
json::Value json_int(std::int64_t value);
json::Value json_strings(const std::vector<std::string>& items);

// The whole number in [0, max] that `value` holds, or nullopt (not a number, fractional, out of
// range). 8, 8.0 and 0.8e1 all read as 8.
std::optional<std::uint64_t> read_uint(const json::Value& value, std::uint64_t max);
// As read_uint for a signed integer in [min, max].
std::optional<std::int64_t> read_int(const json::Value& value, std::int64_t min, std::int64_t max);

// The first member of `object` whose name is not in `allowed`, or nullptr.
const json::Value::Member* unknown_member(const json::Value& object, std::initializer_list<std::string_view> allowed);

// "<agent>.<verb>" with a known agent prefix and a verb of [a-z0-9_]{1,48}.
bool is_skill_name(std::string_view skill);

}  // namespace bizra::ace::detail
