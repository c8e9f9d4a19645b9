#pragma once
// Shared by the Security and Architect agent tests: a SkillContext the test controls, a
// temporary evidence root, and JSON shorthands.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "ace/agent.hpp"
#include "codec/json.hpp"

namespace bizra::ace::testing {

class FakeContext final : public SkillContext {
 public:
  explicit FakeContext(std::string requester = "alice",
                       std::chrono::milliseconds deadline_in = std::chrono::milliseconds(10'000))
      : requester_(std::move(requester)), deadline_(std::chrono::steady_clock::now() + deadline_in) {}
  bool cancelled() const override { return cancel_after_polls_ >= 0 && polls_++ >= cancel_after_polls_; }
  std::chrono::steady_clock::time_point deadline() const override { return deadline_; }
  std::string_view task_id() const override { return "00000000000000000000000000000001"; }
  std::string_view requester() const override { return requester_; }

  // cancelled() answers true from its (n+1)-th call on.
  void cancel_after(int polls) { cancel_after_polls_ = polls; }

 private:
  std::string requester_;
  std::chrono::steady_clock::time_point deadline_;
  int cancel_after_polls_ = -1;
  mutable int polls_ = 0;
};

// A fresh directory under the system temp dir, removed (with its contents) on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // Writes `contents` to path()/relative, creating parent directories.
  void write(std::string_view relative, std::string_view contents) const;

 private:
  std::filesystem::path path_;
};

json::Value parse_json(std::string_view text);  // aborts on invalid JSON (a bug in the test)

}  // namespace bizra::ace::testing
