#pragma once
// Shared by the Memory, Reflection and Meta-Agent tests: a SkillContext and JSON shorthands.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <string_view>

#include "ace/agent.hpp"
#include "codec/jcs.hpp"
#include "codec/json.hpp"

namespace bizra::ace::testing {

class TestContext final : public SkillContext {
 public:
  bool cancelled() const override { return cancelled_.load(); }
  std::chrono::steady_clock::time_point deadline() const override {
    return std::chrono::steady_clock::now() + std::chrono::seconds(30);
  }
  std::string_view task_id() const override { return "00000000000000000000000000000001"; }
  std::string_view requester() const override { return "test"; }
  void cancel() { cancelled_ = true; }

 private:
  std::atomic<bool> cancelled_{false};
};

inline json::Value parse_json(std::string_view text) {
  auto value = json::parse(text);
  EXPECT_TRUE(value.ok()) << text;
  return value.ok() ? std::move(*value) : json::Value::null();
}

// Runs a skill that must succeed; returns its output.
inline json::Value run_ok(Agent& agent, std::string_view skill, std::string_view input) {
  TestContext ctx;
  auto out = agent.run(skill, parse_json(input), ctx);
  EXPECT_TRUE(out.ok()) << skill << " " << input << ": " << (out.ok() ? "" : out.error().to_string());
  return out.ok() ? std::move(*out) : json::Value::null();
}

// Runs a skill that must fail; returns "code: message".
inline std::string run_error(Agent& agent, std::string_view skill, std::string_view input) {
  TestContext ctx;
  auto out = agent.run(skill, parse_json(input), ctx);
  EXPECT_FALSE(out.ok()) << skill << " " << input << " succeeded: " << (out.ok() ? jcs::serialize(*out) : "");
  return out.ok() ? std::string() : out.error().to_string();
}

}  // namespace bizra::ace::testing
