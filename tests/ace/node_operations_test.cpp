// The node side of the Operations agent (src/service/node_operations.hpp) on a real in-process
// single-validator node (tests/api/test_node.hpp): health reports the node, a checkpoint of the
// running node's store opens as a store holding its committed blocks, and a backup completes.
#include <gtest/gtest.h>

#include <filesystem>

#include "ace/operations_agent.hpp"
#include "api/test_node.hpp"
#include "service/node_operations.hpp"

namespace bizra::service {
namespace {

namespace fs = std::filesystem;

class Context final : public ace::SkillContext {
 public:
  bool cancelled() const override { return false; }
  std::chrono::steady_clock::time_point deadline() const override {
    return std::chrono::steady_clock::now() + std::chrono::seconds(10);
  }
  std::string_view task_id() const override { return "node-ops-test"; }
  std::string_view requester() const override { return "test"; }
};

TEST(NodeOperationsTest, HealthAndCheckpointOfARunningNode) {
  api_test::TestNode node;
  ASSERT_TRUE(node.wait_for_height(1));
  metrics::Registry registry;
  registry.gauge("bizra_test_gauge", "a test gauge").with({}).set(3);
  auto ops = make_node_operations(node.node(), registry);
  const fs::path root = fs::temp_directory_path() / ("bizra-node-ops-" + std::to_string(::getpid()));
  fs::remove_all(root);
  auto agent = ace::make_operations_agent(*ops, {.backup_root = root}).value();
  Context ctx;
  const json::Value empty = json::Value::object({});

  auto health = agent->run("operations.health", empty, ctx);
  ASSERT_TRUE(health) << health.error().message();
  EXPECT_EQ(health->find("status")->as_string(), "ok");
  EXPECT_EQ(health->find("node_id")->as_string(), node.node().status().node_id);
  EXPECT_TRUE(health->find("validator")->as_bool());
  EXPECT_GE(health->find("committed_height")->number(), 1);

  auto peers = agent->run("operations.peers", empty, ctx);
  ASSERT_TRUE(peers);
  EXPECT_TRUE(peers->find("peers")->is_array());

  auto snapshot = agent->run("operations.metrics_snapshot", empty, ctx);
  ASSERT_TRUE(snapshot);
  EXPECT_EQ(snapshot->find("metrics")->find("bizra_test_gauge")->number(), 3);

  auto checkpoint = agent->run("operations.checkpoint", empty, ctx);
  ASSERT_TRUE(checkpoint) << checkpoint.error().message();
  {
    auto copy = storage::open_rocksdb(root / checkpoint->find("dir")->as_string(),
                                      storage::RocksOptions{.create_if_missing = false});
    ASSERT_TRUE(copy) << copy.error().message();
    std::size_t blocks = 0;
    ASSERT_TRUE((*copy)->scan(storage::Column::kBlocks, {}, {}, [&](ByteSpan, ByteSpan) { return ++blocks > 0; }).ok());
    EXPECT_GE(blocks, 2u);  // genesis and at least one committed block
  }

  auto backup = agent->run("operations.backup", empty, ctx);  // while the node keeps committing
  ASSERT_TRUE(backup) << backup.error().message();
  EXPECT_TRUE(fs::exists(root / backup->find("dir")->as_string() / "manifest.json"));
  EXPECT_GT(backup->find("files")->number(), 0);
  fs::remove_all(root);
}

}  // namespace
}  // namespace bizra::service
