// The genesis file: strict reading, a lossless round trip, and a root that depends on content,
// not formatting.
#include "node/genesis.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "base/hex.hpp"
#include "crypto/identity.hpp"

namespace bizra::node {
namespace {

crypto::PublicKey key(std::uint8_t n) {
  std::array<std::uint8_t, 32> seed{};
  seed[0] = n;
  return crypto::SecretKey::from_seed(seed).value().public_key();
}

Genesis sample() {
  Genesis g;
  g.chain_id = "bizra-test";
  g.genesis_time_ms = 1'764'000'000'000;
  for (std::uint8_t i = 0; i < 4; ++i)
    g.validators.push_back({"v" + std::to_string(i), key(i), std::uint64_t{i} + 1, 1000,
                            "127.0.0.1:" + std::to_string(26600 + i), i == 3 ? "" : "127.0.0.1:300" + std::to_string(i)});
  g.max_block_transactions = 500;
  g.max_block_payload_bytes = 1 << 20;
  g.base_timeout_ms = 800;
  g.bench_transactions = true;
  return g;
}

std::string code_of(std::string_view text) {
  auto g = parse_genesis(text);
  return g ? "ok" : std::string(g.error().code()) + " " + g.error().message();
}

// Replaces the first occurrence of `from` in the sample's text.
std::string edited(std::string_view from, std::string_view to) {
  std::string text = format_genesis(sample());
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(Genesis, FormatsAndParsesBackEqual) {
  const Genesis g = sample();
  auto parsed = parse_genesis(format_genesis(g));
  ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
  EXPECT_EQ(*parsed, g);
}

TEST(Genesis, RootDependsOnContentNotFormatting) {
  const Genesis g = sample();
  std::string compact = format_genesis(g);
  std::erase(compact, '\n');
  auto reparsed = parse_genesis(compact);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(genesis_root(*reparsed), genesis_root(g));
  Genesis other = g;
  other.validators[0].weight += 1;
  EXPECT_NE(genesis_root(other), genesis_root(g));
  other = g;
  other.chain_id = "bizra-other";
  EXPECT_NE(genesis_root(other), genesis_root(g));
}

TEST(Genesis, RejectsEachDefectNamingTheMember) {
  EXPECT_EQ(code_of("{").rfind("bad_genesis genesis: ", 0), 0u) << code_of("{");  // JSON syntax
  EXPECT_EQ(code_of(edited("\"bench_transactions\"", "\"extra\": 1, \"bench_transactions\"")),
            "bad_genesis genesis.extra: unknown member");
  EXPECT_EQ(code_of(edited("\"chain_id\": \"bizra-test\"", "\"chain_id\": \"has space\"")),
            "bad_genesis genesis.chain_id: expected 1..64 of [A-Za-z0-9._-]");
  EXPECT_EQ(code_of(edited("\"weight\": 1,", "\"weight\": 0,")),
            "bad_genesis genesis.validators[0].weight: 0 is outside 1..9007199254740991");
  EXPECT_EQ(code_of(edited("\"weight\": 1,", "\"weight\": 1.5,")),
            "bad_genesis genesis.validators[0].weight: expected an integer in [0, 2^53-1]");
  EXPECT_EQ(code_of(edited("\"p2p\": \"127.0.0.1:26600\"", "\"p2p\": \"127.0.0.1:0\"")),
            "bad_genesis genesis.validators[0].p2p: port must be 1..65535 in '127.0.0.1:0'");
  EXPECT_EQ(code_of(edited("\"name\": \"v1\"", "\"name\": \"v0\"")),
            "bad_genesis genesis.validators[1].name: duplicate name");
  EXPECT_EQ(code_of(edited("\"max_transactions\": 500", "\"max_transactions\": 0")),
            "bad_genesis genesis.block.max_transactions: 0 is outside 1..1000000");
  EXPECT_EQ(code_of(edited("\"base_timeout_ms\": 800", "\"base_timeout_ms\": \"800\"")),
            "bad_genesis genesis.consensus.base_timeout_ms: expected an integer");
  EXPECT_EQ(code_of(edited("\"bench_transactions\": true", "\"bench_transactions\": 1")),
            "bad_genesis genesis.bench_transactions: expected true or false");
  EXPECT_EQ(code_of(edited(", \"api\": \"127.0.0.1:3000\"", "")),
            "bad_genesis genesis.validators[0].api: missing");
}

TEST(Genesis, RejectsDuplicateKeysAndEmptyOrHugeValidatorSets) {
  const Genesis g = sample();
  Genesis dup = g;
  dup.validators[1].key = dup.validators[0].key;
  EXPECT_EQ(code_of(format_genesis(dup)), "bad_genesis genesis.validators[1].pubkey: duplicate key");
  Genesis empty = g;
  empty.validators.clear();
  EXPECT_EQ(code_of(format_genesis(empty)), "bad_genesis genesis.validators: expected an array of 1..100");
  Genesis huge = g;
  for (std::uint8_t i = 4; i <= kMaxGenesisValidators; ++i)
    huge.validators.push_back({"x" + std::to_string(i), key(i), 1, 0, "127.0.0.1:1", ""});
  EXPECT_EQ(code_of(format_genesis(huge)), "bad_genesis genesis.validators: expected an array of 1..100");
  EXPECT_EQ(parse_genesis(std::string(kMaxGenesisBytes + 1, ' ')).error().message(), "genesis: larger than 1 MiB");
}

TEST(Genesis, FileRoundTripAndErrors) {
  const auto dir = std::filesystem::temp_directory_path() / ("genesis_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(write_genesis_file(dir / "genesis.json", sample()).ok());
  auto read = read_genesis_file(dir / "genesis.json");
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  EXPECT_EQ(*read, sample());
  EXPECT_EQ(read_genesis_file(dir / "missing.json").error().code(), "io_error");
  std::filesystem::remove_all(dir);
}

TEST(HostPort, ParsesAndRejects) {
  auto ok = parse_host_port("node-1.example:26600");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->first, "node-1.example");
  EXPECT_EQ(ok->second, 26600);
  for (const char* bad : {"", "host", ":80", "host:", "host:0", "host:65536", "host:8x", "host:-1"})
    EXPECT_EQ(parse_host_port(bad).error().code(), "bad_address") << bad;
}

}  // namespace
}  // namespace bizra::node
