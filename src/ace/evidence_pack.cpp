#include "ace/evidence_pack.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "ace/json_util.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"

namespace bizra::ace {
namespace {

namespace fs = std::filesystem;

Error fail(std::string_view code, std::string_view path, std::string_view what) {
  return Error(code, std::string(path) + ": " + std::string(what));
}

// File names are bytes on Linux; the output is JSON, whose strings must be UTF-8.
bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1, cp = c & 0x1fU;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2, cp = c & 0x0fU;
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3, cp = c & 0x07U;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0U) != 0x80U) return false;
      cp = (cp << 6) | (cc & 0x3fU);
    }
    // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
    constexpr std::uint32_t kMinOf[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinOf[extra] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += extra + 1;
  }
  return true;
}

Error errno_error(std::string_view listed, int error) {
  const std::error_code ec(error, std::generic_category());
  if (ec == std::errc::no_such_file_or_directory || ec == std::errc::not_a_directory)
    return fail("not_found", listed, "no such file or directory");
  if (ec == std::errc::too_many_symbolic_link_levels) return fail("bad_input", listed, "symlink loop");
  if (ec == std::errc::filename_too_long) return fail("bad_input", listed, "path too long");
  return fail("io_error", listed, ec.message());
}

Error resolve_error(std::string_view listed, const std::error_code& ec) {
  return ec.category() == std::generic_category() || ec.category() == std::system_category()
             ? errno_error(listed, ec.value())
             : fail("io_error", listed, ec.message());
}

bool is_inside(const fs::path& root, const fs::path& resolved) {
  const fs::path relative = resolved.lexically_relative(root);
  return !relative.empty() && *relative.begin() != "..";
}

Error special_file(std::string_view listed) {
  return fail("bad_input", listed, "not a regular file or directory");
}

// Streaming SHA-256 through OpenSSL's EVP interface.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), &EVP_MD_CTX_free) {
    if (!ctx_) throw std::bad_alloc();
    // SHA-256 is in OpenSSL's default provider: failing here is a broken installation.
    if (EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) throw std::logic_error("EVP sha256 unavailable");
  }
  void update(ByteSpan data) {
    if (EVP_DigestUpdate(ctx_.get(), data.data(), data.size()) != 1) throw std::logic_error("EVP_DigestUpdate");
  }
  Hash32 finalize() {
    Hash32 out;
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx_.get(), out.data(), &length) != 1 || length != Hash32::kSize)
      throw std::logic_error("EVP_DigestFinal_ex");
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Phase 1: turns the requested paths into the sorted set of files to hash, enforcing every
// bound before a byte is read.
class PackCollector {
 public:
  PackCollector(fs::path root, const EvidenceLimits& limits, const std::function<bool()>& cancelled)
      : root_(std::move(root)), limits_(limits), cancelled_(cancelled) {}

  Status add_request(const std::string& requested) {
    if (requested.empty()) return Error("bad_input", "paths: an empty path");
    // Not echoed: an absolute path may well spell out the root.
    if (requested.front() == '/') return Error("path_outside_root", "paths: absolute paths are not accepted");
    if (requested.size() > limits_.max_path_bytes) return path_too_long(requested);
    if (requested.find('\0') != std::string::npos) return Error("bad_input", "paths: a path contains NUL");
    const fs::path path(requested);
    for (const fs::path& part : path)
      if (part == "..") return fail("path_outside_root", requested, "\"..\" is not accepted");

    std::string listed = path.lexically_normal().generic_string();
    while (listed.size() > 1 && listed.back() == '/') listed.pop_back();
    auto real = resolve(listed, root_ / listed);
    if (!real) return real.error();
    std::error_code ec;
    const fs::file_status status = fs::status(*real, ec);
    if (ec) return resolve_error(listed, ec);
    if (fs::is_regular_file(status)) return add_file(listed, *real);
    if (fs::is_directory(status)) return walk(listed, *real);
    return special_file(listed);
  }

  const std::map<std::string, fs::path>& files() const { return files_; }

 private:
  // Names the path by its first bytes, cut at a character boundary (messages end up in JSON).
  Error path_too_long(std::string_view listed) const {
    std::size_t cut = std::min<std::size_t>(listed.size(), 64);
    while (cut > 0 && cut < listed.size() && (static_cast<unsigned char>(listed[cut]) & 0xc0U) == 0x80U) --cut;
    return fail("bad_input", std::string(listed.substr(0, cut)) + "...",
                "path longer than " + std::to_string(limits_.max_path_bytes) + " bytes");
  }

  // The canonical form of `lexical` (symlinks followed), which must lie under the root.
  Result<fs::path> resolve(std::string_view listed, const fs::path& lexical) const {
    std::error_code ec;
    fs::path real = fs::canonical(lexical, ec);
    if (ec) return resolve_error(listed, ec);
    if (!is_inside(root_, real)) return fail("path_outside_root", listed, "resolves outside the evidence root");
    return real;
  }

  Status count_entry() {
    if (++entries_ > limits_.max_entries)
      return Error("too_large", "more than " + std::to_string(limits_.max_entries) + " directory entries");
    if (cancelled_()) return Error("cancelled", "hashing evidence cancelled");
    return ok_status();
  }

  Status walk(const std::string& listed_dir, const fs::path& real_dir) {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(real_dir, fs::directory_options::none, ec), end; !ec && it != end;
         it.increment(ec)) {
      BIZRA_TRY(count_entry());
      const std::string relative = it->path().lexically_relative(real_dir).generic_string();
      const std::string listed = listed_dir == "." ? relative : listed_dir + "/" + relative;
      BIZRA_TRY(visit(listed, it->path()));
    }
    if (ec) return resolve_error(listed_dir, ec);
    return ok_status();
  }

  // One entry found by a walk; `found` lies under the walk's canonical directory and names no
  // symlink but possibly its own last component.
  Status visit(const std::string& listed, const fs::path& found) {
    if (!is_utf8(listed)) return Error("bad_input", "a file name under the evidence root is not UTF-8");
    if (listed.size() > limits_.max_path_bytes) return path_too_long(listed);
    std::error_code ec;
    const fs::file_status own = fs::symlink_status(found, ec);
    if (ec) return resolve_error(listed, ec);
    if (fs::is_directory(own)) return ok_status();  // the iterator descends into it
    if (fs::is_regular_file(own)) return add_file(listed, found);
    if (!fs::is_symlink(own)) return special_file(listed);

    auto target = resolve(listed, found);
    if (!target) return target.error();
    const fs::file_status status = fs::status(*target, ec);
    if (ec) return resolve_error(listed, ec);
    if (fs::is_regular_file(status)) return add_file(listed, *target);
    if (fs::is_directory(status))
      return fail("bad_input", listed, "symlink to a directory inside a walk (name it directly to include it)");
    return special_file(listed);
  }

  Status add_file(const std::string& listed, const fs::path& real) {
    if (files_.count(listed) != 0) return ok_status();  // named twice ("a" and "a/b")
    if (files_.size() >= limits_.max_files)
      return Error("too_large", "more than " + std::to_string(limits_.max_files) + " files");
    std::error_code ec;
    const std::uintmax_t size = fs::file_size(real, ec);
    if (ec) return resolve_error(listed, ec);
    if (size > limits_.max_file_bytes)
      return fail("too_large", listed,
                  std::to_string(size) + " bytes, over the limit of " + std::to_string(limits_.max_file_bytes));
    total_ += size;
    if (total_ > limits_.max_total_bytes)
      return fail("too_large", listed, "the pack exceeds " + std::to_string(limits_.max_total_bytes) + " bytes");
    files_.emplace(listed, real);
    return ok_status();
  }

  const fs::path root_;
  const EvidenceLimits& limits_;
  const std::function<bool()>& cancelled_;
  std::map<std::string, fs::path> files_;  // listed path -> canonical path; sorted bytewise
  std::uint64_t total_ = 0;
  std::size_t entries_ = 0;
};

// Phase 2: streams one file through both hashes. The size is re-checked while reading: the file
// may have grown since phase 1.
Result<EvidenceFile> hash_file(const std::string& listed, const fs::path& real, std::uint64_t total_left,
                               const EvidenceLimits& limits, const std::function<bool()>& cancelled,
                               std::vector<std::uint8_t>& buffer) {
  // `real` is canonical: O_NOFOLLOW refuses a last component swapped for a link since phase 1,
  // O_NONBLOCK keeps a swapped-in FIFO from blocking open() before fstat() refuses it.
  const FileDescriptor fd(::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) return errno_error(listed, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_error(listed, errno);
  if (!S_ISREG(st.st_mode)) return special_file(listed);

  const std::uint64_t limit = std::min(limits.max_file_bytes, total_left);
  crypto::Blake3 blake3;
  Sha256 sha256;
  EvidenceFile file{listed, 0, {}, {}};
  for (;;) {
    if (cancelled()) return Error("cancelled", "hashing evidence cancelled");
    const ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_error(listed, errno);
    if (n == 0) break;
    const ByteSpan chunk(buffer.data(), static_cast<std::size_t>(n));
    file.size += chunk.size();
    if (file.size > limit) return fail("too_large", listed, "grew past the size limit while being read");
    blake3.update(chunk);
    sha256.update(chunk);
  }
  file.blake3 = blake3.finalize();
  file.sha256 = sha256.finalize();
  return file;
}

}  // namespace

Result<EvidencePack> hash_evidence(const std::filesystem::path& root, const std::vector<std::string>& paths,
                                   const EvidenceLimits& limits, const std::function<bool()>& cancelled) {
  std::error_code ec;
  const fs::path real_root = root.empty() ? fs::path() : fs::canonical(root, ec);
  if (root.empty() || ec || !fs::is_directory(real_root, ec))
    return Error("not_configured", "the evidence root is not configured or not a directory");
  if (paths.size() > limits.max_input_paths)
    return Error("bad_input", "paths: more than " + std::to_string(limits.max_input_paths) + " entries");

  PackCollector collector(real_root, limits, cancelled);
  for (const std::string& path : paths) BIZRA_TRY(collector.add_request(path));

  EvidencePack pack;
  pack.files.reserve(collector.files().size());
  std::vector<std::uint8_t> buffer(std::max<std::size_t>(limits.chunk_bytes, 1));
  for (const auto& [listed, real] : collector.files()) {
    auto file = hash_file(listed, real, limits.max_total_bytes - pack.total_bytes, limits, cancelled, buffer);
    if (!file) return file.error();
    pack.total_bytes += file->size;
    pack.files.push_back(std::move(*file));
  }
  const std::string canonical = jcs::serialize(evidence_files_json(pack.files));
  pack.pack_digest = crypto::blake3(canonical);
  Sha256 sha256;
  sha256.update(as_bytes(canonical));
  pack.pack_sha256 = sha256.finalize();
  return pack;
}

json::Value evidence_files_json(const std::vector<EvidenceFile>& files) {
  std::vector<json::Value> items;
  items.reserve(files.size());
  for (const EvidenceFile& file : files)
    items.push_back(json::Value::object({{"path", json::Value::string(file.path)},
                                         {"size", detail::json_uint(file.size)},
                                         {"blake3", json::Value::string(hex::encode(file.blake3))},
                                         {"sha256", json::Value::string(hex::encode(file.sha256))}}));
  return json::Value::array(std::move(items));
}

json::Value evidence_pack_json(const EvidencePack& pack) {
  return json::Value::object({{"files", evidence_files_json(pack.files)},
                              {"file_count", detail::json_uint(pack.files.size())},
                              {"total_bytes", detail::json_uint(pack.total_bytes)},
                              {"pack_digest", json::Value::string(hex::encode(pack.pack_digest))},
                              {"pack_sha256", json::Value::string(hex::encode(pack.pack_sha256))}});
}

Hash32 sha256(ByteSpan data) {
  Sha256 hash;
  hash.update(data);
  return hash.finalize();
}

}  // namespace bizra::ace
