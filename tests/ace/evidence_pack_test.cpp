// security.hash_evidence: known answers, directory walks, and every way out of the evidence root.

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "ace/security_agent.hpp"
#include "codec/jcs.hpp"
#include "security_fixture.hpp"

namespace bizra::ace {
namespace {

namespace fs = std::filesystem;
using testing::FakeContext;
using testing::parse_json;
using testing::TempDir;

// b3sum / sha256sum of "hello evidence\n" (15 bytes) and of the empty file.
constexpr std::string_view kHelloBlake3 = "c95c7be2d73a1fa2a8a1a18aa0611d244b93ab0c6c799e5f9131b11661a49ed4";
constexpr std::string_view kHelloSha256 = "fe482b5e524c67728f4f2b4f430cd10d9a25659641f995ae537b282ccd181e0b";
constexpr std::string_view kEmptyBlake3 = "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";
constexpr std::string_view kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
// b3sum / sha256sum of the canonical files array of a pack holding only "ke.txt" = hello.
constexpr std::string_view kHelloPackBlake3 = "1d210a32e6debfb6240ce4150d1ebb6227af54b9a7169fe382c0e08cbca9aa3c";
constexpr std::string_view kHelloPackSha256 = "02c945c3dc015530fcd54e0e8c7e55f646a542d00a79d4804a5abb755ed64caf";

class HashEvidenceTest : public ::testing::Test {
 protected:
  HashEvidenceTest() : root_("evidence-root"), outside_("evidence-outside") { options_.evidence_root = root_.path(); }

  Result<json::Value> hash(std::string_view input_json, const FakeContext& ctx = FakeContext()) const {
    return make_security_agent(options_)->run("security.hash_evidence", parse_json(input_json), ctx);
  }
  // The error of a request that must fail; its message must not reveal the root.
  Error failure(std::string_view input_json) const {
    auto result = hash(input_json);
    EXPECT_FALSE(result.ok()) << jcs::serialize(*result);
    if (result) return Error("none", "");
    EXPECT_EQ(result.error().message().find(root_.path().string()), std::string::npos) << result.error().message();
    return result.error();
  }
  static std::vector<std::string> paths_of(const json::Value& output) {
    std::vector<std::string> paths;
    for (const json::Value& file : output.find("files")->items()) paths.push_back(file.find("path")->as_string());
    return paths;
  }

  TempDir root_;
  TempDir outside_;
  SecurityOptions options_;
};

TEST_F(HashEvidenceTest, KnownAnswersForOneFile) {
  root_.write("ke.txt", "hello evidence\n");
  auto out = hash(R"({"paths": ["ke.txt"]})");
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  const json::Value& file = out->find("files")->items().at(0);
  EXPECT_EQ(file.find("path")->as_string(), "ke.txt");
  EXPECT_EQ(file.find("size")->number(), 15);
  EXPECT_EQ(file.find("blake3")->as_string(), kHelloBlake3);
  EXPECT_EQ(file.find("sha256")->as_string(), kHelloSha256);
  EXPECT_EQ(out->find("file_count")->number(), 1);
  EXPECT_EQ(out->find("total_bytes")->number(), 15);
  EXPECT_EQ(out->find("pack_digest")->as_string(), kHelloPackBlake3);
  EXPECT_EQ(out->find("pack_sha256")->as_string(), kHelloPackSha256);
}

TEST_F(HashEvidenceTest, EmptyFileAndDepsMemberAccepted) {
  root_.write("empty", "");
  auto out = hash(R"({"paths": ["empty"], "deps": {"policy": {"allowed": true}}})");
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  const json::Value& file = out->find("files")->items().at(0);
  EXPECT_EQ(file.find("blake3")->as_string(), kEmptyBlake3);
  EXPECT_EQ(file.find("sha256")->as_string(), kEmptySha256);
}

TEST_F(HashEvidenceTest, DirectoriesAreWalkedSortedAndDeduplicated) {
  root_.write("d/b.txt", "bb");
  root_.write("d/a.txt", "a");
  root_.write("d/sub/c.txt", "ccc");
  root_.write("other.txt", "o");
  auto out = hash(R"({"paths": ["d/", "d/a.txt", "./d//sub/c.txt"]})");
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(paths_of(*out), (std::vector<std::string>{"d/a.txt", "d/b.txt", "d/sub/c.txt"}));
  EXPECT_EQ(out->find("total_bytes")->number(), 6);

  auto all = hash(R"({"paths": ["."]})");
  ASSERT_TRUE(all.ok()) << all.error().to_string();
  EXPECT_EQ(paths_of(*all), (std::vector<std::string>{"d/a.txt", "d/b.txt", "d/sub/c.txt", "other.txt"}));
}

TEST_F(HashEvidenceTest, PackDigestDependsOnContentAndIsStable) {
  root_.write("a", "one");
  auto first = hash(R"({"paths": ["a"]})");
  auto again = hash(R"({"paths": ["a"]})");
  root_.write("a", "two");
  auto changed = hash(R"({"paths": ["a"]})");
  ASSERT_TRUE(first.ok() && again.ok() && changed.ok());
  EXPECT_EQ(first->find("pack_digest")->as_string(), again->find("pack_digest")->as_string());
  EXPECT_NE(first->find("pack_digest")->as_string(), changed->find("pack_digest")->as_string());
}

TEST_F(HashEvidenceTest, ManyFilesWithinTheDefaultBounds) {
  for (int i = 0; i < 300; ++i) root_.write("many/f" + std::to_string(1000 + i), std::to_string(i));
  auto out = hash(R"({"paths": ["many"]})");
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(out->find("file_count")->number(), 300);
  EXPECT_EQ(paths_of(*out).front(), "many/f1000");
  EXPECT_EQ(paths_of(*out).back(), "many/f1299");
}

TEST_F(HashEvidenceTest, RelativeTraversalIsRefused) {
  outside_.write("secret", "s");
  for (const char* input : {R"({"paths": ["../secret"]})", R"({"paths": ["a/../../secret"]})",
                            R"({"paths": ["ok/.."]})"}) {
    const Error error = failure(input);
    EXPECT_EQ(error.code(), "path_outside_root") << input;
  }
}

TEST_F(HashEvidenceTest, AbsolutePathsAreRefused) {
  root_.write("x", "x");
  const Error error = failure(R"({"paths": [")" + (root_.path() / "x").string() + R"("]})");
  EXPECT_EQ(error.code(), "path_outside_root");
  EXPECT_EQ(failure(R"({"paths": ["/etc/passwd"]})").code(), "path_outside_root");
}

TEST_F(HashEvidenceTest, SymlinksPointingOutsideAreRefused) {
  outside_.write("secret", "s");
  fs::create_symlink(outside_.path() / "secret", root_.path() / "link");
  fs::create_directories(root_.path() / "dir");
  fs::create_symlink(outside_.path() / "secret", root_.path() / "dir" / "link");
  fs::create_directory_symlink(outside_.path(), root_.path() / "outdir");

  Error direct = failure(R"({"paths": ["link"]})");
  EXPECT_EQ(direct.code(), "path_outside_root");
  EXPECT_NE(direct.message().find("link"), std::string::npos);
  EXPECT_EQ(failure(R"({"paths": ["dir"]})").code(), "path_outside_root");
  EXPECT_EQ(failure(R"({"paths": ["outdir/secret"]})").code(), "path_outside_root");
  EXPECT_EQ(failure(R"({"paths": ["outdir"]})").code(), "path_outside_root");
}

TEST_F(HashEvidenceTest, SymlinksInsideTheRootAreFollowedToFilesOnly) {
  root_.write("real/file", "hello evidence\n");
  fs::create_symlink(root_.path() / "real" / "file", root_.path() / "alias");
  auto out = hash(R"({"paths": ["alias"]})");
  ASSERT_TRUE(out.ok()) << out.error().to_string();
  EXPECT_EQ(paths_of(*out), std::vector<std::string>{"alias"});
  EXPECT_EQ(out->find("files")->items()[0].find("blake3")->as_string(), kHelloBlake3);

  // A directory named directly through a link is walked; a link to a directory met in a walk is not.
  fs::create_directory_symlink(root_.path() / "real", root_.path() / "reallink");
  auto walked = hash(R"({"paths": ["reallink"]})");
  ASSERT_TRUE(walked.ok()) << walked.error().to_string();
  EXPECT_EQ(paths_of(*walked), std::vector<std::string>{"reallink/file"});
  fs::create_directories(root_.path() / "w");
  fs::create_directory_symlink(root_.path() / "real", root_.path() / "w" / "up");
  EXPECT_EQ(failure(R"({"paths": ["w"]})").code(), "bad_input");
}

TEST_F(HashEvidenceTest, SymlinkLoopsAreRefused) {
  fs::create_symlink(root_.path() / "loop", root_.path() / "loop");
  const Error direct = failure(R"({"paths": ["loop"]})");
  EXPECT_EQ(direct.code(), "bad_input");
  EXPECT_NE(direct.message().find("symlink loop"), std::string::npos);
  fs::create_directories(root_.path() / "d");
  fs::create_symlink(root_.path() / "d" / "b", root_.path() / "d" / "a");
  fs::create_symlink(root_.path() / "d" / "a", root_.path() / "d" / "b");
  EXPECT_EQ(failure(R"({"paths": ["d"]})").code(), "bad_input");
}

TEST_F(HashEvidenceTest, MissingPathsAreNotFoundAndNamedRelatively) {
  const Error error = failure(R"({"paths": ["no/such/file"]})");
  EXPECT_EQ(error.code(), "not_found");
  EXPECT_NE(error.message().find("no/such/file"), std::string::npos);
}

TEST_F(HashEvidenceTest, SpecialFilesAreRefused) {
  fs::create_directories(root_.path() / "d");
  ASSERT_EQ(::mkfifo((root_.path() / "d" / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(failure(R"({"paths": ["d/fifo"]})").code(), "bad_input");
  EXPECT_EQ(failure(R"({"paths": ["d"]})").code(), "bad_input");
}

TEST_F(HashEvidenceTest, OversizedFilesAndPacksAreRefused) {
  options_.evidence_limits.max_file_bytes = 10;
  options_.evidence_limits.max_total_bytes = 12;
  root_.write("big", std::string(11, 'x'));
  root_.write("p/a", std::string(8, 'x'));
  root_.write("p/b", std::string(8, 'x'));
  root_.write("fits", std::string(10, 'x'));
  const Error big = failure(R"({"paths": ["big"]})");
  EXPECT_EQ(big.code(), "too_large");
  EXPECT_NE(big.message().find("big"), std::string::npos);
  EXPECT_EQ(failure(R"({"paths": ["p"]})").code(), "too_large");
  EXPECT_TRUE(hash(R"({"paths": ["fits"]})").ok());
}

TEST_F(HashEvidenceTest, FileAndEntryCountsAreBounded) {
  options_.evidence_limits.max_files = 5;
  for (int i = 0; i < 6; ++i) root_.write("six/" + std::to_string(i), "x");
  EXPECT_EQ(failure(R"({"paths": ["six"]})").code(), "too_large");
  EXPECT_TRUE(hash(R"({"paths": ["six/0", "six/1", "six/2", "six/3", "six/4"]})").ok());

  options_.evidence_limits.max_entries = 3;
  for (int i = 0; i < 4; ++i) fs::create_directories(root_.path() / "dirs" / std::to_string(i));
  EXPECT_EQ(failure(R"({"paths": ["dirs"]})").code(), "too_large");
}

TEST_F(HashEvidenceTest, PathLengthAndRequestSizeAreBounded) {
  options_.evidence_limits.max_path_bytes = 16;
  EXPECT_EQ(failure(R"({"paths": ["aaaaaaaaaaaaaaaaa"]})").code(), "bad_input");
  root_.write("deep/deeper/deepest/file", "x");
  EXPECT_EQ(failure(R"({"paths": ["deep"]})").code(), "bad_input");

  options_.evidence_limits.max_input_paths = 2;
  root_.write("a", "a");
  EXPECT_EQ(failure(R"({"paths": ["a", "a", "a"]})").code(), "bad_input");
}

TEST_F(HashEvidenceTest, NonUtf8NamesAreRefused) {
  root_.write("n/\xff\xfe", "x");
  EXPECT_EQ(failure(R"({"paths": ["n"]})").code(), "bad_input");
}

TEST_F(HashEvidenceTest, MalformedInputsAreBadInput) {
  for (const char* input : {R"({})", R"({"paths": []})", R"({"paths": "a"})", R"({"paths": [1]})",
                            R"({"paths": [""]})", R"({"paths": ["a\u0000b"]})", R"({"paths": ["a"], "x": 1})",
                            R"([])"}) {
    auto result = make_security_agent(options_)->run("security.hash_evidence",
                                                     parse_json(input), FakeContext());
    ASSERT_FALSE(result.ok()) << input;
    EXPECT_EQ(result.error().code(), "bad_input") << input;
  }
}

TEST_F(HashEvidenceTest, UnconfiguredRootIsReported) {
  options_.evidence_root.clear();
  EXPECT_EQ(failure(R"({"paths": ["a"]})").code(), "not_configured");
  options_.evidence_root = root_.path() / "missing";
  EXPECT_EQ(failure(R"({"paths": ["a"]})").code(), "not_configured");
}

TEST_F(HashEvidenceTest, CancellationIsPolledWhileHashing) {
  root_.write("big", std::string(1 << 20, 'x'));
  options_.evidence_limits.chunk_bytes = 4096;
  FakeContext ctx;
  ctx.cancel_after(10);  // during the file's 256 chunks
  auto result = hash(R"({"paths": ["big"]})", ctx);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), "cancelled");
}

}  // namespace
}  // namespace bizra::ace
