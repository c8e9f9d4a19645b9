// base/log.hpp: levels, text and JSON lines, redaction of secret-looking fields, whole lines
// under concurrency.
#include "base/log.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "codec/json.hpp"

namespace bizra::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { use(Level::kInfo, Format::kText); }
  void TearDown() override { configure(Level::kInfo, Format::kText); }
  void use(Level level, Format format) {
    configure(level, format, [this](std::string_view line) {
      std::lock_guard lock(mu_);
      lines_.emplace_back(line);
    });
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mu_);
    return lines_;
  }

  std::mutex mu_;
  std::vector<std::string> lines_;
};

TEST_F(LogTest, TheLevelThresholdFiltersEvents) {
  debug("hidden");
  info("shown");
  error("also shown");
  ASSERT_EQ(lines().size(), 2u);
  EXPECT_NE(lines()[0].find(" INFO shown"), std::string::npos);
  EXPECT_NE(lines()[1].find(" ERROR also shown"), std::string::npos);
  EXPECT_FALSE(enabled(Level::kDebug));
  EXPECT_EQ(parse_level("warn"), Level::kWarn);
  EXPECT_EQ(parse_level("verbose"), std::nullopt);
  EXPECT_EQ(parse_format("json"), Format::kJson);
  EXPECT_EQ(parse_format("xml"), std::nullopt);
}

TEST_F(LogTest, TextLinesQuoteValuesThatCouldBeMisread) {
  info("node started", {{"node_id", "bz01"}, {"path", "/a b"}, {"odd", "x=y"}, {"empty", ""}});
  const std::string line = lines().at(0);
  EXPECT_NE(line.find("INFO node started node_id=bz01 path=\"/a b\" odd=\"x=y\" empty=\"\""), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST_F(LogTest, JsonLinesAreValidJsonEvenForHostileValues) {
  use(Level::kDebug, Format::kJson);
  debug("request failed", {{"path", "/x\"\\\n\x01"}, {"bytes", std::string("\xff\xfe ok")}, {"utf8", "Grüße"}});
  auto doc = json::parse(lines().at(0));
  ASSERT_TRUE(doc.ok()) << lines().at(0);
  EXPECT_EQ(doc->find("level")->as_string(), "debug");
  EXPECT_EQ(doc->find("msg")->as_string(), "request failed");
  EXPECT_EQ(doc->find("path")->as_string(), "/x\"\\\n\x01");
  EXPECT_EQ(doc->find("bytes")->as_string(), "?? ok");
  EXPECT_EQ(doc->find("utf8")->as_string(), "Grüße");
  EXPECT_EQ(doc->find("ts")->as_string().size(), 24u);  // 2026-11-24T11:30:00.123Z
}

TEST_F(LogTest, FieldsNamedLikeSecretsAreRedactedInBothFormats) {
  info("config", {{"jwt_hs256_secret", "s3cr3t-value"}, {"Authorization_Token", "abc"}, {"api_key", "k-123"},
                  {"chain", "devnet"}});
  use(Level::kInfo, Format::kJson);
  info("config", {{"SECRET_file", "s3cr3t-value"}, {"chain", "devnet"}});
  for (const std::string& line : lines()) {
    EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
    EXPECT_EQ(line.find("k-123"), std::string::npos) << line;
    EXPECT_NE(line.find("[redacted]"), std::string::npos) << line;
    EXPECT_NE(line.find("devnet"), std::string::npos) << line;
  }
}

TEST_F(LogTest, ConcurrentWritersProduceWholeLines) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t] {
      for (int i = 0; i < 200; ++i) info("event", {{"thread", std::to_string(t)}, {"i", std::to_string(i)}});
    });
  for (auto& thread : threads) thread.join();
  const auto all = lines();
  ASSERT_EQ(all.size(), 800u);
  for (const std::string& line : all) EXPECT_NE(line.find("INFO event thread="), std::string::npos) << line;
}

}  // namespace
}  // namespace bizra::log
