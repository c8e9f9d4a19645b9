// The Operations agent (src/ace/operations_agent.hpp) over a fake NodeOperations backed by a real
// RocksDB store in a temp dir: checkpoints open as stores with the same data, backup manifests
// hold the right sizes and BLAKE3 digests, retention keeps the newest N, bad input is refused.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ace/operations_agent.hpp"
#include "base/hex.hpp"
#include "codec/json.hpp"
#include "crypto/blake3.hpp"
#include "storage/store.hpp"

namespace bizra::ace {
namespace {

namespace fs = std::filesystem;

class FakeContext final : public SkillContext {
 public:
  bool cancelled() const override { return cancelled_; }
  std::chrono::steady_clock::time_point deadline() const override {
    return std::chrono::steady_clock::now() + std::chrono::seconds(10);
  }
  std::string_view task_id() const override { return "00000000000000000000000000000001"; }
  std::string_view requester() const override { return "test"; }
  bool cancelled_ = false;
};

class FakeOperations final : public NodeOperations {
 public:
  explicit FakeOperations(std::unique_ptr<storage::Store> store) : store_(std::move(store)) {}
  json::Value health() override {
    return json::Value::object({{"status", json::Value::string("ok")}, {"committed_height", json::Value::number("7", 7)}});
  }
  json::Value peers() override {
    return json::Value::array({json::Value::object({{"id", json::Value::string("bzpeer")}})});
  }
  std::string metrics_text() override { return metrics; }
  storage::Store& store() override { return *store_; }

  std::string metrics;

 private:
  std::unique_ptr<storage::Store> store_;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void put(storage::Store& store, std::string_view key, std::string_view value) {
  storage::WriteBatch batch;
  batch.put(storage::Column::kKnowledge, as_bytes(key), as_bytes(value));
  ASSERT_TRUE(store.write(batch, storage::Durability::kSync).ok());
}

std::optional<std::string> get(const storage::ReadView& store, std::string_view key) {
  auto v = store.get(storage::Column::kKnowledge, as_bytes(key)).value();
  if (!v) return std::nullopt;
  return std::string(v->begin(), v->end());
}

json::Value obj(std::string_view text) { return json::parse(text).value(); }

class OperationsAgentTest : public ::testing::Test {
 protected:
  OperationsAgentTest() {
    static std::atomic<int> n{0};
    dir_ = fs::temp_directory_path() / ("bizra-ace-ops-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(dir_);
    ops_ = std::make_unique<FakeOperations>(storage::open_rocksdb(dir_ / "db").value());
    agent_ = make(3);
  }
  ~OperationsAgentTest() override {
    agent_.reset();
    ops_.reset();
    fs::remove_all(dir_);
  }

  std::unique_ptr<Agent> make(std::size_t keep) {
    return make_operations_agent(*ops_, OperationsOptions{.backup_root = dir_ / "backups", .keep_backups = keep,
                                                          .max_metrics = 4})
        .value();
  }
  Result<json::Value> run(std::string_view skill, std::string_view input = "{}") {
    return agent_->run(skill, obj(input), ctx_);
  }
  std::string code(std::string_view skill, std::string_view input) {
    auto r = run(skill, input);
    return r ? "ok" : std::string(r.error().code());
  }

  fs::path dir_;
  FakeContext ctx_;
  std::unique_ptr<FakeOperations> ops_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(OperationsAgentTest, ServesItsSkillsSorted) {
  EXPECT_EQ(agent_->kind(), AgentKind::kOperations);
  const std::vector<std::string> expected = {"operations.backup", "operations.checkpoint", "operations.compact",
                                             "operations.health", "operations.metrics_snapshot", "operations.peers"};
  EXPECT_EQ(agent_->skills(), expected);
  EXPECT_EQ(code("operations.reboot", "{}"), "unknown_skill");
  EXPECT_EQ(code("memory.recall", "{}"), "unknown_skill");
}

TEST_F(OperationsAgentTest, HealthAndPeersComeFromTheNode) {
  auto health = run("operations.health").value();
  EXPECT_EQ(health.find("status")->as_string(), "ok");
  EXPECT_EQ(health.find("committed_height")->number(), 7);
  auto peers = run("operations.peers").value();
  ASSERT_EQ(peers.find("peers")->items().size(), 1u);
  EXPECT_EQ(code("operations.health", "[]"), "bad_input");
  EXPECT_EQ(code("operations.peers", R"({"verbose":true})"), "bad_input");
}

TEST_F(OperationsAgentTest, MetricsSnapshotKeepsUnlabeledFiniteSamplesBounded) {
  ops_->metrics =
      "# HELP bizra_height Committed height\n# TYPE bizra_height gauge\nbizra_height 42\n"
      "bizra_http_requests_total{route=\"/x\"} 5\n"
      "bizra_ratio 0.25\nbizra_nan NaN\nbizra_inf +Inf\nbizra_ts 3 1700000000000\n"
      "bizra_a 1\nbizra_b 2\n";
  auto snap = run("operations.metrics_snapshot").value();
  const json::Value* metrics = snap.find("metrics");
  ASSERT_NE(metrics, nullptr);
  ASSERT_EQ(metrics->members().size(), 4u);  // max_metrics
  EXPECT_EQ(metrics->find("bizra_height")->number(), 42);
  EXPECT_EQ(metrics->find("bizra_ratio")->number(), 0.25);
  EXPECT_EQ(metrics->find("bizra_ts")->number(), 3);
  EXPECT_EQ(metrics->find("bizra_a")->number(), 1);
  EXPECT_EQ(metrics->find("bizra_nan"), nullptr);
  EXPECT_EQ(metrics->find("bizra_b"), nullptr);
  EXPECT_TRUE(snap.find("truncated")->as_bool());
  EXPECT_EQ(snap.find("samples")->number(), 8);
  EXPECT_EQ(snap.find("unlabeled")->number(), 7);
  EXPECT_EQ(snap.find("raw_bytes")->number(), static_cast<double>(ops_->metrics.size()));
}

TEST_F(OperationsAgentTest, CheckpointOpensAsAStoreWithTheSameData) {
  put(ops_->store(), "k1", "v1");
  auto first = run("operations.checkpoint").value();
  EXPECT_EQ(first.find("dir")->as_string(), "checkpoints/00000000000000000001");
  EXPECT_GT(first.find("files")->number(), 0);
  put(ops_->store(), "k2", "v2");  // after the checkpoint: not in it
  auto second = run("operations.checkpoint").value();
  EXPECT_EQ(second.find("dir")->as_string(), "checkpoints/00000000000000000002");

  auto copy = storage::open_rocksdb(dir_ / "backups" / first.find("dir")->as_string(),
                                    storage::RocksOptions{.create_if_missing = false});
  ASSERT_TRUE(copy) << copy.error().message();
  EXPECT_EQ(get(**copy, "k1"), "v1");
  EXPECT_EQ(get(**copy, "k2"), std::nullopt);
}

TEST_F(OperationsAgentTest, NamedCheckpointsAreValidatedAndNeverOverwritten) {
  auto named = run("operations.checkpoint", R"({"name":"nightly_2026-11-24"})").value();
  EXPECT_EQ(named.find("dir")->as_string(), "checkpoints/nightly_2026-11-24");
  EXPECT_EQ(code("operations.checkpoint", R"({"name":"nightly_2026-11-24"})"), "exists");
  for (const std::string& bad : std::vector<std::string>{R"("")", R"("../escape")", R"("a/b")", R"("/tmp/x")", R"(".")", R"("a b")", "7", "null",
                          "\"" + std::string(65, 'a') + "\""}) {
    EXPECT_EQ(code("operations.checkpoint", R"({"name":)" + bad + "}"), "bad_input") << bad;
  }
  EXPECT_EQ(code("operations.checkpoint", R"({"path":"x"})"), "bad_input");
  EXPECT_FALSE(fs::exists(dir_ / "escape"));
  EXPECT_EQ(code("operations.checkpoint", R"({"name":")" + std::string(64, 'a') + "\"}"), "ok");
}

TEST_F(OperationsAgentTest, BackupManifestListsEveryFileWithItsDigest) {
  put(ops_->store(), "k", "v");
  auto backup = run("operations.backup").value();
  const fs::path dir = dir_ / "backups" / backup.find("dir")->as_string();
  EXPECT_EQ(backup.find("dir")->as_string(), "backups/00000000000000000001");
  const std::string manifest_text = read_file(dir / "manifest.json");
  EXPECT_EQ(backup.find("manifest_digest")->as_string(), hex::encode(crypto::blake3(std::string_view(manifest_text))));

  auto manifest = json::parse(manifest_text).value();
  const auto& files = manifest.find("files")->items();
  ASSERT_EQ(files.size(), static_cast<std::size_t>(backup.find("files")->number()));
  std::size_t on_disk = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "db")) on_disk += entry.is_regular_file();
  EXPECT_EQ(files.size(), on_disk);
  double bytes = 0;
  for (const json::Value& f : files) {
    const std::string content = read_file(dir / f.find("path")->as_string());
    EXPECT_EQ(f.find("size")->number(), static_cast<double>(content.size()));
    EXPECT_EQ(f.find("blake3")->as_string(), hex::encode(crypto::blake3(std::string_view(content))));
    bytes += f.find("size")->number();
  }
  EXPECT_EQ(backup.find("bytes")->number(), bytes);

  auto copy = storage::open_rocksdb(dir / "db", storage::RocksOptions{.create_if_missing = false});
  ASSERT_TRUE(copy) << copy.error().message();
  EXPECT_EQ(get(**copy, "k"), "v");
}

TEST_F(OperationsAgentTest, RetentionKeepsTheNewestBackups) {
  agent_ = make(2);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(run("operations.backup"));
  auto fourth = run("operations.backup").value();
  ASSERT_EQ(fourth.find("removed")->items().size(), 1u);
  EXPECT_EQ(fourth.find("removed")->items()[0].as_string(), "backups/00000000000000000002");
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir_ / "backups" / "backups")) left.push_back(e.path().filename());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"00000000000000000003", "00000000000000000004"}));
}

TEST_F(OperationsAgentTest, CancelledBackupLeavesNothingBehind) {
  ctx_.cancelled_ = true;
  EXPECT_EQ(code("operations.backup", "{}"), "cancelled");
  EXPECT_TRUE(fs::is_empty(dir_ / "backups" / "backups"));
  ctx_.cancelled_ = false;
  EXPECT_EQ(run("operations.backup").value().find("dir")->as_string(), "backups/00000000000000000001");
}

TEST_F(OperationsAgentTest, CompactReportsStatsBeforeAndAfter) {
  for (int i = 0; i < 100; ++i) put(ops_->store(), "key" + std::to_string(i), std::string(100, 'v'));
  auto out = run("operations.compact").value();
  for (const char* side : {"before", "after"}) {
    const json::Value* stats = out.find(side);
    ASSERT_NE(stats, nullptr);
    EXPECT_NE(stats->find("disk_bytes"), nullptr);
    ASSERT_NE(stats->find("estimated_keys"), nullptr);
    EXPECT_EQ(stats->find("estimated_keys")->members().size(), storage::kColumnCount);
  }
  EXPECT_GT(out.find("after")->find("disk_bytes")->number(), 0);
  EXPECT_EQ(code("operations.compact", R"({"x":1})"), "bad_input");
}

TEST(OperationsAgentConfigTest, RefusesBadOptionsAndMemoryStoreCheckpoints) {
  FakeOperations ops(storage::open_memory());
  EXPECT_EQ(make_operations_agent(ops, {}).error().code(), "bad_config");
  const fs::path root = fs::temp_directory_path() / ("bizra-ace-ops-mem-" + std::to_string(::getpid()));
  EXPECT_EQ(make_operations_agent(ops, {.backup_root = root, .keep_backups = 0}).error().code(), "bad_config");
  EXPECT_EQ(make_operations_agent(ops, {.backup_root = root, .max_metrics = 0}).error().code(), "bad_config");
  auto agent = make_operations_agent(ops, {.backup_root = root}).value();
  FakeContext ctx;
  auto r = agent->run("operations.checkpoint", json::parse("{}").value(), ctx);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), "unsupported");
  fs::remove_all(root);
}

}  // namespace
}  // namespace bizra::ace
