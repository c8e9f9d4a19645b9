#pragma once
// Test agents for the engine tests: an Agent whose skills do what the test tells them, and a
// Gate that a skill can block on until the test opens it (bounded: never hangs a test).

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "ace/agent.hpp"
#include "ace/engine.hpp"
#include "codec/json.hpp"

namespace bizra::ace::testing {

using Handler =
    std::function<Result<json::Value>(std::string_view skill, const json::Value& input, const SkillContext& ctx)>;

class ScriptedAgent final : public Agent {
 public:
  ScriptedAgent(AgentKind kind, std::vector<std::string> skills, Handler handler,
                std::vector<std::string> rerunnable = {})
      : kind_(kind), skills_(std::move(skills)), handler_(std::move(handler)), rerunnable_(std::move(rerunnable)) {}
  AgentKind kind() const override { return kind_; }
  std::vector<std::string> skills() const override { return skills_; }
  Result<json::Value> run(std::string_view skill, const json::Value& input, const SkillContext& ctx) override {
    return handler_(skill, input, ctx);
  }
  bool rerunnable(std::string_view skill) const override {
    return std::find(rerunnable_.begin(), rerunnable_.end(), skill) != rerunnable_.end();
  }

 private:
  AgentKind kind_;
  std::vector<std::string> skills_;
  Handler handler_;
  std::vector<std::string> rerunnable_;
};

inline json::Value ok_output() { return json::Value::object({{"ok", json::Value::boolean(true)}}); }

// A latch-like rendezvous with timeouts.
class Gate {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // True when opened within `timeout`.
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return open_; });
  }
  // Counts an arrival; true when `n` arrived within the timeout (all arrivals wait for the n-th).
  bool arrive_and_wait(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    if (++arrived_ >= n) cv_.notify_all();
    return cv_.wait_for(lock, timeout, [&] { return arrived_ >= n; });
  }
  int arrived() const {
    std::lock_guard lock(mu_);
    return arrived_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  int arrived_ = 0;
};

// The three agents "meta.orchestrate" needs: the planner returns input.plan as the plan, the
// synthesizer reports the step statuses, the evaluator passes.
inline std::vector<std::unique_ptr<Agent>> orchestration_agents() {
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(std::make_unique<ScriptedAgent>(
      AgentKind::kArchitect, std::vector<std::string>{"architect.plan"},
      [](std::string_view, const json::Value& input, const SkillContext&) -> Result<json::Value> {
        // With a note beside the plan, as the real Architect adds ("planner").
        if (const json::Value* plan = input.find("plan"))
          return json::Value::object({{"goal", *plan->find("goal")},
                                      {"steps", plan->find("steps") ? *plan->find("steps") : json::Value::null()},
                                      {"planner", json::Value::string("test")}});
        return Error("bad_input", "plan: missing");
      }));
  agents.push_back(std::make_unique<ScriptedAgent>(
      AgentKind::kMeta, std::vector<std::string>{"meta.synthesize"},
      [](std::string_view, const json::Value& input, const SkillContext&) -> Result<json::Value> {
        return json::Value::object({{"summary", json::Value::string("synthesized")}, {"steps", *input.find("steps")}});
      }));
  agents.push_back(std::make_unique<ScriptedAgent>(
      AgentKind::kReflection, std::vector<std::string>{"reflection.evaluate"},
      [](std::string_view, const json::Value& input, const SkillContext&) -> Result<json::Value> {
        return json::Value::object({{"pass", json::Value::boolean(true)}, {"route", *input.find("route")}});
      }));
  return agents;
}

inline crypto::SecretKey test_key(std::uint8_t fill = 7) {
  std::vector<std::uint8_t> seed(32, fill);
  auto key = crypto::SecretKey::from_seed(seed);
  return std::move(key).value();
}

inline std::filesystem::path temp_dir(const std::string& name) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / ("bizra-ace-" + name + "-" + std::to_string(rd()));
  std::filesystem::remove_all(dir);
  return dir;
}

inline json::Value parse(std::string_view text) { return std::move(*json::parse(text)); }

}  // namespace bizra::ace::testing
