#include "crypto/keyfile.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "crypto/identity.hpp"

namespace bizra::crypto {
namespace {

namespace fs = std::filesystem;

class KeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("bizra-keyfile-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static mode_t mode_of(const fs::path& p) {
    struct stat st {};
    ::stat(p.c_str(), &st);
    return st.st_mode & 0777;
  }
  static std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void write_text(const fs::path& p, const std::string& text, mode_t mode) {
    std::ofstream(p) << text;
    ::chmod(p.c_str(), mode);
  }

  fs::path dir_;
};

TEST_F(KeyFile, WriteThenReadRoundTripsWithMode0600) {
  const auto key = SecretKey::generate();
  const auto path = dir_ / "validator.key";
  ASSERT_TRUE(write_key_file(path, key).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  auto loaded = read_key_file(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(loaded->public_key(), key.public_key());
}

TEST_F(KeyFile, Mode0600EvenUnderPermissiveUmask) {
  const mode_t old = ::umask(0);
  const auto path = dir_ / "k";
  const Status st = write_key_file(path, SecretKey::generate());
  ::umask(old);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(mode_of(path), 0600u);
}

TEST_F(KeyFile, ExistingFileIsNotOverwrittenUnlessAsked) {
  const auto path = dir_ / "k";
  const auto first = SecretKey::generate();
  ASSERT_TRUE(write_key_file(path, first).ok());
  const auto refused = write_key_file(path, SecretKey::generate());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), "exists");
  EXPECT_EQ(read_key_file(path)->public_key(), first.public_key());

  const auto second = SecretKey::generate();
  ASSERT_TRUE(write_key_file(path, second, /*overwrite=*/true).ok());
  EXPECT_EQ(read_key_file(path)->public_key(), second.public_key());
}

TEST_F(KeyFile, FilesReadableByOthersAreRefused) {
  const auto path = dir_ / "k";
  ASSERT_TRUE(write_key_file(path, SecretKey::generate()).ok());
  for (mode_t mode : {0640u, 0604u, 0644u, 0660u, 0601u, 0610u}) {
    ::chmod(path.c_str(), mode);
    auto r = read_key_file(path);
    ASSERT_FALSE(r.ok()) << std::oct << mode;
    EXPECT_EQ(r.error().code(), "insecure_key_file");
  }
  ::chmod(path.c_str(), 0400);
  EXPECT_TRUE(read_key_file(path).ok());
}

TEST_F(KeyFile, MissingFileIsNotFound) {
  auto r = read_key_file(dir_ / "absent");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), "not_found");
}

TEST_F(KeyFile, CorruptContentsAreRefused) {
  const auto good_path = dir_ / "good";
  ASSERT_TRUE(write_key_file(good_path, SecretKey::generate()).ok());
  const std::string good = read_text(good_path);
  const std::string other_pub = format_public_key(SecretKey::generate().public_key());
  const std::string seed_line = good.substr(0, good.find('\n') + 1);

  const std::string corrupt[] = {
      "",
      "garbage\n",
      seed_line,                                                   // public key line missing
      seed_line + "pubkey:" + other_pub + "\n",                    // pubkey does not match seed
      "bizra-ed25519-seed-v1:abcd\n" + good.substr(good.find('\n') + 1),  // short seed
      good + "extra\n",                                            // trailing content
      std::string(5000, 'a'),                                      // over the size bound
  };
  for (const auto& text : corrupt) {
    const auto path = dir_ / "bad";
    write_text(path, text, 0600);
    auto r = read_key_file(path);
    ASSERT_FALSE(r.ok()) << text.substr(0, 80);
    EXPECT_EQ(r.error().code(), "bad_key_file") << text.substr(0, 80);
  }
}

}  // namespace
}  // namespace bizra::crypto
