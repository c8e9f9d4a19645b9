#include "ace/task.hpp"

#include <gtest/gtest.h>

namespace bizra::ace {
namespace {

std::string code_of(std::string_view body) {
  auto r = parse_task_request(body, "alice");
  return r ? "ok" : std::string(r.error().code());
}

TEST(ParseTaskRequest, DefaultsToOrchestrateApt) {
  auto r = parse_task_request(R"({"input":{"goal":"check the node"}})", "alice");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->skill, "meta.orchestrate");
  EXPECT_EQ(r->type, TaskType::kApt);
  EXPECT_EQ(r->priority, 5);
  EXPECT_EQ(r->deadline_ms, 30'000u);
  EXPECT_EQ(r->requester, "alice");
  EXPECT_EQ(r->input.find("goal")->as_string(), "check the node");
}

TEST(ParseTaskRequest, ReadsEveryField) {
  auto r = parse_task_request(
      R"({"type":"SAT","skill":"security.hash_evidence","input":{},"priority":9,"deadline_ms":1000,"idempotency_key":"k-1"})",
      "node");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->type, TaskType::kSat);
  EXPECT_EQ(r->skill, "security.hash_evidence");
  EXPECT_EQ(r->priority, 9);
  EXPECT_EQ(r->deadline_ms, 1000u);
  EXPECT_EQ(r->idempotency_key, "k-1");
}

TEST(ParseTaskRequest, RefusesMalformedFields) {
  EXPECT_EQ(code_of("{"), "bad_json");
  EXPECT_EQ(code_of("[]"), "bad_request");
  EXPECT_EQ(code_of(R"({"extra":1})"), "bad_request");
  EXPECT_EQ(code_of(R"({"type":"XYZ"})"), "bad_request");
  EXPECT_EQ(code_of(R"({"skill":"nobody.run"})"), "bad_request");
  EXPECT_EQ(code_of(R"({"skill":"memory."})"), "bad_request");
  EXPECT_EQ(code_of(R"({"skill":"memory.Recall"})"), "bad_request");
  EXPECT_EQ(code_of(R"({"priority":10})"), "bad_request");
  EXPECT_EQ(code_of(R"({"priority":1.5})"), "bad_request");
  EXPECT_EQ(code_of(R"({"priority":-1})"), "bad_request");
  EXPECT_EQ(code_of(R"({"deadline_ms":0})"), "bad_request");
  EXPECT_EQ(code_of(R"({"deadline_ms":600001})"), "bad_request");
  EXPECT_EQ(code_of(R"({"idempotency_key":""})"), "bad_request");
  EXPECT_EQ(code_of(R"({"idempotency_key":"has space"})"), "bad_request");
  EXPECT_EQ(code_of(R"({"idempotency_key":")" + std::string(129, 'k') + "\"}"), "bad_request");
  EXPECT_EQ(code_of(R"({"input":[]})"), "bad_request");
  EXPECT_EQ(code_of(R"({"input":{"a":1}})"), "ok");
}

TEST(ParseTaskRequest, RefusesOversizedInput) {
  const std::string big(kMaxTaskInputBytes, 'x');
  EXPECT_EQ(code_of(R"({"input":{"blob":")" + big + "\"}}"), "bad_request");
  const std::string huge(kMaxTaskInputBytes + 8192, 'x');
  EXPECT_EQ(code_of(R"({"input":{"blob":")" + huge + "\"}}"), "bad_json");
}

TEST(TaskNames, RoundTrip) {
  for (TaskType t : {TaskType::kApt, TaskType::kAst, TaskType::kSat})
    EXPECT_EQ(task_type_from_name(task_type_name(t)), t);
  EXPECT_FALSE(task_type_from_name("apt"));
  EXPECT_EQ(task_status_name(TaskStatus::kTimedOut), "timed_out");
  EXPECT_EQ(task_status_from_name("cancelled"), TaskStatus::kCancelled);
  EXPECT_FALSE(is_finished(TaskStatus::kRunning));
  EXPECT_TRUE(is_finished(TaskStatus::kFailed));
}

}  // namespace
}  // namespace bizra::ace
