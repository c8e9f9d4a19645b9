#pragma once
// Reading skill inputs (internal to the agent libraries): every failure is "bad_input" and its
// message names the field, as the Agent contract (ace/agent.hpp) asks.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.hpp"
#include "codec/json.hpp"

namespace bizra::ace::detail {

Error bad_input(std::string_view field, std::string_view what);

// The member the engine adds to a plan step's input: {"<step id>": <output>} of its dependencies.
inline constexpr std::string_view kDepsMember = "deps";

// The input is an object with no member outside `allowed` (and "deps", which every skill accepts
// because any plan step may have dependencies).
Status expect_object(const json::Value& input, std::initializer_list<std::string_view> allowed);

// A string member of at most max_bytes; nullopt when absent (an error when `required`).
Result<std::optional<std::string>> read_string(const json::Value& object, std::string_view field,
                                               std::size_t max_bytes, bool required);
// An array of at most max_items strings of 1..max_bytes each; empty when absent.
Result<std::vector<std::string>> read_strings(const json::Value& object, std::string_view field,
                                              std::size_t max_items, std::size_t max_bytes);
// A whole number in [0, max]; `fallback` when absent.
Result<std::uint64_t> read_count(const json::Value& object, std::string_view field, std::uint64_t max,
                                 std::uint64_t fallback);
Result<bool> read_bool(const json::Value& object, std::string_view field, bool fallback);

// A JSON number for a double (its text as RFC 8785 writes it).
json::Value json_double(double value);
// The first max_bytes of a UTF-8 string, cut at a character boundary.
std::string utf8_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace bizra::ace::detail
