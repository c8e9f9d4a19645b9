#include "crypto/keyfile.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "base/hex.hpp"
#include "crypto/identity.hpp"

namespace bizra::crypto {
namespace {

constexpr std::string_view kSeedTag = "bizra-ed25519-seed-v1:";
constexpr std::string_view kPubTag = "pubkey:";
constexpr std::size_t kMaxKeyFileSize = 4096;

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return Error("io_error", what + " " + path.string() + ": " + std::strerror(errno));
}

// A std::string whose contents are wiped when it goes away (holds the seed's hex).
struct WipedString {
  std::string s;
  ~WipedString() { sodium_memzero(s.data(), s.size()); }
};

Status write_all_and_sync(int fd, std::string_view data, const std::filesystem::path& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error("writing", path);
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fsync(fd) != 0) return io_error("syncing", path);
  return ok_status();
}

// fsync the directory so the new name survives a crash.
void sync_parent_directory(const std::filesystem::path& path) {
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Status write_key_file(const std::filesystem::path& path, const SecretKey& key, bool overwrite) {
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(path, ec))
    return Error("exists", "key file " + path.string() + " already exists (refusing to overwrite)");

  WipedString text;
  text.s.reserve(256);
  text.s.append(kSeedTag).append(hex::encode(key.seed())).append("\n");
  text.s.append(kPubTag).append(format_public_key(key.public_key())).append("\n");

  const std::filesystem::path tmp = path.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("creating", tmp);
  Status written = ::fchmod(fd, 0600) == 0 ? write_all_and_sync(fd, text.s, tmp) : io_error("chmod", tmp);
  ::close(fd);
  if (written.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) written = io_error("renaming to", path);
  if (!written.ok()) {
    ::unlink(tmp.c_str());
    return written;
  }
  sync_parent_directory(path);
  return ok_status();
}

Result<SecretKey> read_key_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Error("not_found", "key file " + path.string() + " does not exist");
    return io_error("opening", path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return io_error("stat", path);
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Error("insecure_key_file", "key file " + path.string() +
                                          " is accessible by group or others; run: chmod 600 " + path.string());
  }
  if (!S_ISREG(st.st_mode) || st.st_size > static_cast<off_t>(kMaxKeyFileSize)) {
    ::close(fd);
    return Error("bad_key_file", "key file " + path.string() + " is not a regular file of at most 4 KiB");
  }
  WipedString text;
  text.s.resize(kMaxKeyFileSize);
  const ssize_t n = ::read(fd, text.s.data(), text.s.size());
  ::close(fd);
  if (n < 0) return io_error("reading", path);
  text.s.resize(static_cast<std::size_t>(n));

  const auto bad = [&](const std::string& why) {
    return Error("bad_key_file", "key file " + path.string() + ": " + why);
  };
  std::string_view rest = text.s;
  const auto take_line = [&rest]() {
    const auto nl = rest.find('\n');
    const auto line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    return line;
  };
  const auto seed_line = take_line();
  const auto pub_line = take_line();
  if (!seed_line.starts_with(kSeedTag) || !pub_line.starts_with(kPubTag) || !rest.empty())
    return bad("expected two lines \"bizra-ed25519-seed-v1:<hex>\" and \"pubkey:ed25519:<hex>\"");

  auto seed = hex::decode(seed_line.substr(kSeedTag.size()));
  if (!seed || seed->size() != SecretKey::kSeedSize) return bad("seed must be 64 hex digits");
  auto key = SecretKey::from_seed(*seed);
  sodium_memzero(seed->data(), seed->size());
  if (!key) return key.error();

  auto stated = parse_public_key(pub_line.substr(kPubTag.size()));
  if (!stated) return bad(stated.error().message());
  if (*stated != key->public_key()) return bad("public key does not match the seed (file corrupt?)");
  return key;
}

}  // namespace bizra::crypto
