// The engine with the real Architect (rule-based planner), Meta-Agent, Reflection and Memory
// agents: the skill contract between them holds end to end.

#include <gtest/gtest.h>

#include "ace/architect_agent.hpp"
#include "ace/engine.hpp"
#include "ace/knowledge.hpp"
#include "ace/memory_agent.hpp"
#include "ace/meta_agent.hpp"
#include "ace/reflection_agent.hpp"
#include "engine_test_support.hpp"

namespace bizra::ace {
namespace {

TEST(AceEngineIntegration, OrchestratesARuleBasedPlanThroughTheRealAgents) {
  auto store = storage::open_memory();
  auto knowledge = KnowledgeStore::open(*store);
  ASSERT_TRUE(knowledge) << knowledge.error().to_string();
  auto reflection = ReflectionAgent::open(**knowledge);
  ASSERT_TRUE(reflection) << reflection.error().to_string();
  RoutePolicy* routes = reflection->get();
  std::vector<std::unique_ptr<Agent>> agents;
  agents.push_back(make_architect_agent());
  agents.push_back(std::make_unique<MetaAgent>());
  agents.push_back(std::make_unique<MemoryAgent>(**knowledge));
  agents.push_back(std::move(*reflection));
  auto engine = Engine::open(*store, testing::test_key(), std::move(agents), routes);
  ASSERT_TRUE(engine) << engine.error().to_string();
  (*engine)->start();

  TaskRequest request;
  request.skill = "meta.orchestrate";
  request.input = json::Value::object({{"goal", json::Value::string("Recall what we know about rainbows")}});
  request.requester = "tester";
  auto id = (*engine)->submit(request);
  ASSERT_TRUE(id) << id.error().to_string();
  const auto t = (*engine)->wait(*id, std::chrono::seconds(10));
  ASSERT_TRUE(t);
  ASSERT_EQ(t->status, TaskStatus::kSucceeded) << (t->error ? t->error->to_string() : task_json(*t));
  const json::Value* evaluation = t->output->find("evaluation");
  ASSERT_TRUE(evaluation != nullptr && evaluation->is_object()) << task_json(*t);
  EXPECT_NE(evaluation->find("ihsan"), nullptr);
  EXPECT_NE(t->output->find("synthesis")->find("summary"), nullptr);
  EXPECT_EQ(t->agent_path.front(), "meta");
  EXPECT_EQ(t->agent_path.back(), "reflection");
  EXPECT_TRUE(verify_receipt(*t->receipt, (*engine)->node_public_key()));
}

}  // namespace
}  // namespace bizra::ace
