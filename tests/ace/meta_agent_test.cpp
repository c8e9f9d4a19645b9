#include "ace/meta_agent.hpp"

#include <gtest/gtest.h>

#include "ace/memory_test_support.hpp"

namespace bizra::ace {
namespace {

using testing::run_error;
using testing::run_ok;

std::string synthesis(const std::string& steps) { return R"({"goal":"check block 7","steps":{)" + steps + "}}"; }

TEST(MetaAgent, ServesSynthesizeOnly) {
  MetaAgent agent;
  EXPECT_EQ(agent.kind(), AgentKind::kMeta);
  EXPECT_EQ(agent.skills(), std::vector<std::string>{"meta.synthesize"});
  EXPECT_EQ(run_error(agent, "meta.orchestrate", "{}").substr(0, 14), "unknown_skill:");
}

TEST(MetaAgent, MergesAgreeingOutputsDeterministically) {
  MetaAgent agent;
  const json::Value out = run_ok(agent, "meta.synthesize",
                                 synthesis(R"("fetch":{"skill":"memory.recall","status":"succeeded","output":{"hits":[],"n":1}},)"
                                           R"("hash":{"skill":"security.hash_evidence","status":"succeeded","output":{"digest":"ab","n":1.0}})"));
  EXPECT_EQ(jcs::serialize(out),
            R"({"conflicts":[],"errors":[],"results":{"digest":"ab","hits":[],"n":1},)"
            R"("summary":"Goal \"check block 7\": 2 steps, 2 succeeded, 0 failed, 0 optional failed; 0 conflicts resolved."})");
}

TEST(MetaAgent, SecurityVerdictWinsOverMajority) {
  MetaAgent agent;
  const json::Value out = run_ok(agent, "meta.synthesize",
                                 synthesis(R"("a":{"skill":"operations.health","status":"succeeded","output":{"valid":true}},)"
                                           R"("b":{"skill":"security.verify_attestation","status":"succeeded","output":{"valid":false}},)"
                                           R"("c":{"skill":"memory.recall","status":"succeeded","output":{"valid":true}})"));
  EXPECT_FALSE(out.find("results")->find("valid")->as_bool());
  const auto& conflicts = out.find("conflicts")->items();
  ASSERT_EQ(conflicts.size(), 1u);
  EXPECT_EQ(conflicts[0].find("field")->as_string(), "valid");
  EXPECT_EQ(conflicts[0].find("reason")->as_string(), "security_step");
  EXPECT_EQ(conflicts[0].find("chosen_step")->as_string(), "b");
  EXPECT_EQ(jcs::serialize(*conflicts[0].find("values")),
            R"([{"skill":"operations.health","step":"a","value":true},)"
            R"({"skill":"security.verify_attestation","step":"b","value":false},)"
            R"({"skill":"memory.recall","step":"c","value":true}])");
}

TEST(MetaAgent, MajorityThenEarliestStepInTheGivenOrder) {
  MetaAgent agent;
  const json::Value majority = run_ok(agent, "meta.synthesize",
                                      synthesis(R"("x":{"skill":"memory.recall","status":"succeeded","output":{"v":1}},)"
                                                R"("y":{"skill":"memory.recall","status":"succeeded","output":{"v":2}},)"
                                                R"("z":{"skill":"operations.health","status":"succeeded","output":{"v":2}})"));
  EXPECT_EQ(majority.find("results")->find("v")->number(), 2);
  EXPECT_EQ(majority.find("conflicts")->items()[0].find("reason")->as_string(), "majority");

  // A tie goes to the step given first, whatever its id sorts as.
  const json::Value earliest = run_ok(agent, "meta.synthesize",
                                      synthesis(R"("zeta":{"skill":"memory.recall","status":"succeeded","output":{"v":"late"}},)"
                                                R"("alpha":{"skill":"memory.recall","status":"succeeded","output":{"v":"early"}})"));
  EXPECT_EQ(earliest.find("results")->find("v")->as_string(), "late");
  EXPECT_EQ(earliest.find("conflicts")->items()[0].find("reason")->as_string(), "earliest_step");
  EXPECT_EQ(earliest.find("conflicts")->items()[0].find("chosen_step")->as_string(), "zeta");
}

TEST(MetaAgent, ReportsFailedStepsAndCountsThem) {
  MetaAgent agent;
  const json::Value out = run_ok(agent, "meta.synthesize",
                                 synthesis(R"("ok":{"skill":"memory.recall","status":"succeeded","output":{"hits":[]}},)"
                                           R"("bad":{"skill":"security.verify_signature","status":"failed","error":{"code":"bad_input","message":"pubkey"}},)"
                                           R"("opt":{"skill":"operations.peers","status":"timed_out","optional":true})"));
  EXPECT_EQ(out.find("summary")->as_string(),
            "Goal \"check block 7\": 3 steps, 1 succeeded, 1 failed, 1 optional failed; 0 conflicts resolved.");
  EXPECT_EQ(jcs::serialize(*out.find("errors")),
            R"([{"code":"bad_input","message":"pubkey","optional":false,"skill":"security.verify_signature","status":"failed","step":"bad"},)"
            R"({"code":"","message":"","optional":true,"skill":"operations.peers","status":"timed_out","step":"opt"}])");
}

TEST(MetaAgent, RejectsBadInput) {
  MetaAgent agent;
  EXPECT_EQ(run_error(agent, "meta.synthesize", R"({"steps":{}})"), "bad_input: goal: missing");
  EXPECT_NE(run_error(agent, "meta.synthesize", R"({"goal":"g","steps":[]})").find("bad_input: steps"), std::string::npos);
  EXPECT_NE(run_error(agent, "meta.synthesize", synthesis(R"("a":{"skill":"memory.recall","status":"succeeded"})"))
                .find("steps.a.output"),
            std::string::npos);
  EXPECT_NE(run_error(agent, "meta.synthesize", synthesis(R"("a":{"status":"failed"})")).find("steps.a: skill"),
            std::string::npos);
  EXPECT_NE(run_error(agent, "meta.synthesize", synthesis(R"("a":{"skill":"memory.x","status":"failed","error":{"code":1}})"))
                .find("steps.a.error.code"),
            std::string::npos);
  EXPECT_EQ(run_error(agent, "meta.synthesize", R"({"goal":"g","steps":{},"extra":1})"), "bad_input: extra: unknown field");
  EXPECT_NE(run_error(agent, "meta.synthesize", synthesis(R"("a":{"skill":"m.x","status":"failed"})")).find("steps.a.skill"),
            std::string::npos);
}

}  // namespace
}  // namespace bizra::ace
