// BLAKE3 checked differentially against Debian's independent Rust implementation (b3sum),
// plus the structural properties our callers rely on (incremental == one-shot, XOF prefix).

#include "crypto/blake3.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "base/hex.hpp"

namespace bizra::crypto {
namespace {

namespace fs = std::filesystem;

// Runs a shell command and returns its stdout (trailing newline stripped).
std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  std::array<char, 512> buf{};
  while (std::fgets(buf.data(), buf.size(), pipe) != nullptr) out += buf.data();
  ::pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

Bytes random_bytes_seeded(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

class Blake3VersusB3sum : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("command -v b3sum").empty()) GTEST_FAIL() << "b3sum is not installed (scripts/setup.sh installs it)";
    dir_ = fs::temp_directory_path() / ("bizra-b3-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_file(const std::string& name, ByteSpan data) {
    const fs::path path = dir_ / name;
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                                static_cast<std::streamsize>(data.size()));
    return path;
  }

  fs::path dir_;
};

// Lengths around every internal boundary: block (64), chunk (1024), SIMD batch widths, and
// larger multi-level trees.
const std::size_t kLengths[] = {0,    1,    2,    63,   64,    65,    127,   128,   129,  1023,
                                1024, 1025, 2047, 2048, 2049,  3072,  4095,  4096,  4097, 8193,
                                16384, 31744, 65536, 102400, (1u << 20) + 1};

TEST_F(Blake3VersusB3sum, PlainHashMatchesOnManyLengths) {
  for (std::size_t len : kLengths) {
    const Bytes data = random_bytes_seeded(len, len + 7);
    const auto file = write_file("in", data);
    EXPECT_EQ(hex::encode(blake3(data)), run("b3sum --no-names " + file.string())) << "length " << len;
  }
}

TEST_F(Blake3VersusB3sum, KeyedHashMatches) {
  const Bytes key_bytes = random_bytes_seeded(32, 99);
  const auto key_file = write_file("key", key_bytes);
  const auto key = Blake3Key::from_span(key_bytes);
  for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{64}, std::size_t{1025}, std::size_t{70000}}) {
    const Bytes data = random_bytes_seeded(len, len + 1000);
    const auto file = write_file("in", data);
    EXPECT_EQ(hex::encode(blake3_keyed(key, data)),
              run("b3sum --no-names --keyed " + file.string() + " < " + key_file.string()))
        << "length " << len;
  }
}

TEST_F(Blake3VersusB3sum, DeriveKeyMatches) {
  const std::string context = "BIZRA test 2026-11-24 derive-key check";
  for (std::size_t len : {std::size_t{0}, std::size_t{32}, std::size_t{1024}, std::size_t{5000}}) {
    const Bytes material = random_bytes_seeded(len, len + 2000);
    const auto file = write_file("in", material);
    EXPECT_EQ(hex::encode(blake3_derive_key(context, material)),
              run("b3sum --no-names --derive-key '" + context + "' " + file.string()))
        << "length " << len;
  }
}

TEST_F(Blake3VersusB3sum, ExtendedOutputMatches) {
  const Bytes data = random_bytes_seeded(3000, 5);
  const auto file = write_file("in", data);
  Bytes out(131);
  Blake3().update(data).finalize(out);
  EXPECT_EQ(hex::encode(out), run("b3sum --no-names --length 131 " + file.string()));
}

TEST(Blake3, KnownAnswerForEmptyInput) {
  // From the BLAKE3 specification's test vectors (input length 0).
  EXPECT_EQ(hex::encode(blake3(std::string_view{})),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
}

TEST(Blake3, IncrementalEqualsOneShotForAnySplit) {
  const Bytes data = random_bytes_seeded(5000, 42);
  const Hash32 expected = blake3(data);
  for (std::size_t split : {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{64}, std::size_t{1024},
                            std::size_t{1025}, std::size_t{4999}, std::size_t{5000}}) {
    Blake3 h;
    h.update(ByteSpan(data).first(split)).update(ByteSpan(data).subspan(split));
    EXPECT_EQ(h.finalize(), expected) << "split at " << split;
  }
}

TEST(Blake3, FinalizeDoesNotConsumeState) {
  Blake3 h;
  h.update("abc");
  const Hash32 first = h.finalize();
  EXPECT_EQ(h.finalize(), first);
  h.update("def");
  EXPECT_EQ(h.finalize(), blake3("abcdef"));
}

TEST(Blake3, ModesAreDomainSeparated) {
  const Blake3Key key{};
  const Bytes data = to_bytes("same input");
  EXPECT_NE(blake3(data), blake3_keyed(key, data));
  EXPECT_NE(blake3(data), blake3_derive_key("ctx", data));
  EXPECT_NE(blake3_derive_key("ctx-a", data), blake3_derive_key("ctx-b", data));
}

TEST(Blake3, ExtendedOutputPrefixIsTheDefaultHash) {
  Bytes out(64);
  Blake3().update("xof").finalize(out);
  EXPECT_EQ(Hash32::from_span(out), blake3("xof"));
}

}  // namespace
}  // namespace bizra::crypto
