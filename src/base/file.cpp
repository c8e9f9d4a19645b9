#include "base/file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace bizra {
namespace {

Error io_error(const std::filesystem::path& path, std::string_view what) {
  return Error("io_error", path.string() + ": " + std::string(what));
}

Error too_large(const std::filesystem::path& path, std::size_t max_bytes) {
  return Error("too_large", path.string() + ": more than " + std::to_string(max_bytes) + " bytes; refused");
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Status fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(dir, std::strerror(errno));
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return io_error(dir, "fsync failed");
  return ok_status();
}

}  // namespace

Result<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes) {
  std::error_code ec;
  if (const auto size = std::filesystem::file_size(path, ec); !ec && size > max_bytes) return too_large(path, max_bytes);
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error(path, "cannot open");
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return io_error(path, "read error");
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > max_bytes) return too_large(path, max_bytes);
  return text;
}

Status write_file_atomic(const std::filesystem::path& path, std::string_view contents) {
  const std::filesystem::path temp = path.string() + ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(temp, std::strerror(errno));
  const bool written = write_all(fd, contents) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written || std::rename(temp.c_str(), path.c_str()) != 0) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    return io_error(path, "write failed");
  }
  return fsync_directory(path.parent_path());
}

}  // namespace bizra
