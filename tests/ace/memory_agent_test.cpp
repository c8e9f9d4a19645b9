#include "ace/memory_agent.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ace/memory_test_support.hpp"
#include "storage/temp_dir.hpp"

namespace bizra::ace {
namespace {

using testing::parse_json;
using testing::run_error;
using testing::run_ok;

class MemoryAgentTest : public ::testing::Test {
 protected:
  std::unique_ptr<storage::Store> store_ = storage::open_memory();
  std::unique_ptr<KnowledgeStore> knowledge_ = KnowledgeStore::open(*store_).value();
  MemoryAgent agent_{*knowledge_};

  std::string store_text(const std::string& body) {
    const json::Value out = run_ok(agent_, "memory.store", body);
    return out.find("id") ? out.find("id")->as_string() : std::string();
  }
};

TEST_F(MemoryAgentTest, ServesTheMemorySkills) {
  EXPECT_EQ(agent_.kind(), AgentKind::kMemory);
  EXPECT_EQ(agent_.skills(), (std::vector<std::string>{"memory.consolidate", "memory.link", "memory.neighbourhood",
                                                       "memory.recall", "memory.store"}));
  EXPECT_EQ(run_error(agent_, "memory.forget", "{}").substr(0, 14), "unknown_skill:");
}

TEST_F(MemoryAgentTest, StoreThenRecallReturnsScoredHitsWithTextAndTags) {
  const std::string a = store_text(R"({"text":"Checkpoint the RocksDB store daily","tags":["ops","backup"],"source":"admin"})");
  const std::string b = store_text(R"({"text":"Compaction of RocksDB","links":[{"to":")" + a + R"(","relation":"related"}]})");
  ASSERT_EQ(a, "0000000000000001");
  ASSERT_EQ(b, "0000000000000002");
  const json::Value out = run_ok(agent_, "memory.recall", R"({"query":"rocksdb checkpoint","limit":5})");
  const auto& hits = out.find("hits")->items();
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].find("id")->as_string(), a);
  EXPECT_EQ(hits[0].find("text")->as_string(), "Checkpoint the RocksDB store daily");
  EXPECT_EQ(jcs::serialize(*hits[0].find("tags")), R"(["ops","backup"])");
  EXPECT_GT(hits[0].find("score")->number(), hits[1].find("score")->number());
  EXPECT_EQ(out.find("neighbourhood"), nullptr);  // only with depth > 0
}

TEST_F(MemoryAgentTest, RecallWithDepthAddsTheLinkedNeighbourhood) {
  const std::string a = store_text(R"({"text":"validator set rotation"})");
  const std::string b = store_text(R"({"text":"quorum certificate rules","links":[{"to":")" + a + R"(","relation":"depends_on"}]})");
  const json::Value out = run_ok(agent_, "memory.recall", R"({"query":"rotation","depth":1})");
  ASSERT_EQ(out.find("hits")->items().size(), 1u);
  const auto& around = out.find("neighbourhood")->items();
  ASSERT_EQ(around.size(), 1u);  // the hit itself is not repeated
  EXPECT_EQ(around[0].find("id")->as_string(), b);
  EXPECT_EQ(around[0].find("depth")->number(), 1);
  EXPECT_EQ(jcs::serialize(*out.find("edges")),
            R"([{"from":")" + b + R"(","relation":"depends_on","to":")" + a + R"("}])");
}

TEST_F(MemoryAgentTest, LinkNeighbourhoodAndConsolidate) {
  const std::string a = store_text(R"({"text":"same words"})");
  const std::string b = store_text(R"({"text":"other words"})");
  const std::string c = store_text(R"({"text":"SAME   words","tags":["dup"]})");
  const json::Value linked = run_ok(agent_, "memory.link", R"({"from":")" + b + R"(","to":")" + c + R"(","relation":"cites"})");
  EXPECT_EQ(linked.find("relation")->as_string(), "cites");
  const json::Value around = run_ok(agent_, "memory.neighbourhood", R"({"id":")" + c + R"(","depth":2})");
  EXPECT_EQ(around.find("nodes")->items().size(), 2u);
  EXPECT_FALSE(around.find("truncated")->as_bool());

  const json::Value report = run_ok(agent_, "memory.consolidate", "{}");
  EXPECT_EQ(jcs::serialize(report), R"({"merged":1,"removed_links":0})");
  const json::Value after = run_ok(agent_, "memory.neighbourhood", R"({"id":")" + a + R"("})");
  ASSERT_EQ(after.find("nodes")->items().size(), 2u);  // b's link now points at a
  EXPECT_EQ(after.find("nodes")->items()[1].find("id")->as_string(), b);
  EXPECT_NE(run_error(agent_, "memory.neighbourhood", R"({"id":")" + c + R"("})").find("not_found"),
            std::string::npos);
}

TEST_F(MemoryAgentTest, BadInputsNameTheField) {
  EXPECT_EQ(run_error(agent_, "memory.store", "[]"), "bad_input: input: must be an object");
  EXPECT_EQ(run_error(agent_, "memory.store", "{}"), "bad_input: text: missing");
  EXPECT_EQ(run_error(agent_, "memory.store", R"({"text":5})"), "bad_input: text: must be a string");
  EXPECT_EQ(run_error(agent_, "memory.store", R"({"text":"x","colour":"red"})"), "bad_input: colour: unknown field");
  EXPECT_NE(run_error(agent_, "memory.store", R"({"text":"x","tags":"t"})").find("tags"), std::string::npos);
  EXPECT_NE(run_error(agent_, "memory.store", R"({"text":"x","links":[{"to":"1"}]})").find("links"), std::string::npos);
  const std::string big(kMaxKnowledgeTextBytes + 1, 'a');
  EXPECT_NE(run_error(agent_, "memory.store", R"({"text":")" + big + R"("})").find("bad_input: text:"), std::string::npos);
  EXPECT_NE(run_error(agent_, "memory.recall", R"({"query":"x y z"})").find("bad_input: query"), std::string::npos);
  EXPECT_NE(run_error(agent_, "memory.recall", R"({"query":"hello","limit":51})").find("limit"), std::string::npos);
  EXPECT_NE(run_error(agent_, "memory.recall", R"({"query":"hello","depth":1.5})").find("depth"), std::string::npos);
  EXPECT_NE(run_error(agent_, "memory.neighbourhood", R"({"id":"0000000000000001","depth":5})").find("depth"),
            std::string::npos);
  EXPECT_NE(run_error(agent_, "memory.link", R"({"from":"a","to":"b","relation":"r"})").find("from"), std::string::npos);
  EXPECT_EQ(run_error(agent_, "memory.consolidate", R"({"now":true})"), "bad_input: now: unknown field");
}

TEST_F(MemoryAgentTest, CancelledTaskDoesNothing) {
  testing::TestContext ctx;
  ctx.cancel();
  auto out = agent_.run("memory.store", parse_json(R"({"text":"never stored"})"), ctx);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), "cancelled");
  EXPECT_EQ(knowledge_->size(), 0u);
}

TEST_F(MemoryAgentTest, ConcurrentSkillCalls) {
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      testing::TestContext ctx;
      for (int i = 0; i < 25; ++i) {
        const std::string body = R"({"text":"note )" + std::to_string(t) + "-" + std::to_string(i) + R"( about consensus"})";
        if (!agent_.run("memory.store", parse_json(body), ctx).ok()) ++failures;
        if (!agent_.run("memory.recall", parse_json(R"({"query":"consensus","depth":1})"), ctx).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(knowledge_->size(), 100u);
}

TEST(MemoryAgentRocks, KnowledgeSurvivesReopen) {
  storage::testing::TempDir dir;
  {
    auto store = storage::open_rocksdb(dir.path());
    ASSERT_TRUE(store.ok());
    auto knowledge = KnowledgeStore::open(**store).value();
    MemoryAgent agent(*knowledge);
    run_ok(agent, "memory.store", R"({"text":"the genesis block is height zero","tags":["chain"]})");
  }
  auto store = storage::open_rocksdb(dir.path());
  ASSERT_TRUE(store.ok());
  auto knowledge = KnowledgeStore::open(**store).value();
  MemoryAgent agent(*knowledge);
  const json::Value out = run_ok(agent, "memory.recall", R"({"query":"genesis"})");
  ASSERT_EQ(out.find("hits")->items().size(), 1u);
  EXPECT_EQ(jcs::serialize(*out.find("hits")->items()[0].find("tags")), R"(["chain"])");
}

}  // namespace
}  // namespace bizra::ace
