#include "ace/json_util.hpp"

#include <algorithm>
#include <cmath>

#include "ace/agent.hpp"

namespace bizra::ace::detail {

namespace {
// Integers above it lose exactness as doubles, which is what JSON numbers are read as.
constexpr double kMaxExactInteger = 9007199254740991.0;  // 2^53 - 1
constexpr std::size_t kMaxVerbBytes = 48;
}  // namespace

json::Value json_uint(std::uint64_t value) {
  return json::Value::number(std::to_string(value), static_cast<double>(value));
}

json::Value json_int(std::int64_t value) {
  return json::Value::number(std::to_string(value), static_cast<double>(value));
}

json::Value json_strings(const std::vector<std::string>& items) {
  std::vector<json::Value> out;
  out.reserve(items.size());
  for (const std::string& s : items) out.push_back(json::Value::string(s));
  return json::Value::array(std::move(out));
}

std::optional<std::int64_t> read_int(const json::Value& value, std::int64_t min, std::int64_t max) {
  if (!value.is_number()) return std::nullopt;
  const double d = value.number();
  if (std::floor(d) != d || std::fabs(d) > kMaxExactInteger) return std::nullopt;
  const auto i = static_cast<std::int64_t>(d);
  if (i < min || i > max) return std::nullopt;
  return i;
}

std::optional<std::uint64_t> read_uint(const json::Value& value, std::uint64_t max) {
  const auto i = read_int(value, 0, static_cast<std::int64_t>(std::min<std::uint64_t>(max, 9007199254740991ULL)));
  if (!i) return std::nullopt;
  return static_cast<std::uint64_t>(*i);
}

const json::Value::Member* unknown_member(const json::Value& object, std::initializer_list<std::string_view> allowed) {
  for (const auto& member : object.members())
    if (std::find(allowed.begin(), allowed.end(), member.first) == allowed.end()) return &member;
  return nullptr;
}

bool is_skill_name(std::string_view skill) {
  if (!agent_for_skill(skill)) return false;
  const std::string_view verb = skill.substr(skill.find('.') + 1);
  if (verb.empty() || verb.size() > kMaxVerbBytes) return false;
  return std::all_of(verb.begin(), verb.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

}  // namespace bizra::ace::detail
