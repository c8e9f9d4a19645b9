#include "ace/operations_agent.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "ace/json_util.hpp"
#include "ace/skill_input.hpp"
#include "base/hex.hpp"
#include "codec/jcs.hpp"
#include "crypto/blake3.hpp"

namespace bizra::ace {
namespace {

namespace fs = std::filesystem;
using json::Value;

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxMetricNameBytes = 256;
constexpr std::size_t kHashChunkBytes = 1 << 20;
constexpr int kSequenceDigits = 20;  // zero-padded, so names sort like the numbers
constexpr std::string_view kCheckpoints = "checkpoints";
constexpr std::string_view kBackups = "backups";
constexpr std::string_view kPartialSuffix = ".partial";

Error io_error(const std::string& what, const std::error_code& ec) { return Error("io_error", what + ": " + ec.message()); }

Value num(std::uint64_t n) { return detail::json_uint(n); }
Value num(double x) { return Value::number(jcs::format_number(x), x); }
Value str(std::string s) { return Value::string(std::move(s)); }

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}
bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameBytes && std::all_of(name.begin(), name.end(), is_name_char);
}

std::string sequence_name(std::uint64_t n) {
  std::string digits = std::to_string(n);
  return std::string(static_cast<std::size_t>(kSequenceDigits) - digits.size(), '0') + digits;
}

// The number a directory name made only of digits stands for (a sequence-named checkpoint or
// backup); nullopt for anything else, which the sequence and retention logic leave alone.
std::optional<std::uint64_t> sequence_of(std::string_view name) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (name.empty() || ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  return n;
}

// The sequence-numbered subdirectories of `dir`, ascending.
Result<std::vector<std::uint64_t>> sequences_in(const fs::path& dir) {
  std::vector<std::uint64_t> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_directory(type_ec)) continue;
    if (auto n = sequence_of(it->path().filename().string())) found.push_back(*n);
  }
  if (ec) return io_error("listing " + dir.string(), ec);
  std::sort(found.begin(), found.end());
  return found;
}

Result<std::uint64_t> next_sequence(const fs::path& dir) {
  auto found = sequences_in(dir);
  if (!found) return found.error();
  return found->empty() ? 1 : found->back() + 1;
}

struct FileEntry {
  std::string path;  // relative, '/'-separated
  std::uint64_t size = 0;
};

// Regular files under `dir`, sorted by relative path (RocksDB checkpoints are flat, but walk anyway).
Result<std::vector<FileEntry>> list_files(const fs::path& dir) {
  std::vector<FileEntry> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;  // on error ec ends the loop and is reported
    const std::uintmax_t size = it->file_size(ec);
    if (ec) break;
    files.push_back({it->path().lexically_relative(dir).generic_string(), size});
  }
  if (ec) return io_error("listing " + dir.string(), ec);
  std::sort(files.begin(), files.end(), [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  return files;
}

Result<Hash32> hash_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error("io_error", "opening " + file.string());
  crypto::Blake3 hasher;
  std::string chunk(kHashChunkBytes, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    hasher.update(std::string_view(chunk.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) return Error("io_error", "reading " + file.string());
  return hasher.finalize();
}

// Written and fsynced before the backup directory gets its final name, so a backup that has a
// name has a complete manifest.
Status write_synced(const fs::path& file, std::string_view data) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Error("io_error", "creating " + file.string());
  bool ok = true;
  for (std::size_t done = 0; ok && done < data.size();) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok) return Error("io_error", "writing " + file.string());
  return ok_status();
}

Value stats_json(const storage::StoreStats& stats) {
  std::vector<Value::Member> keys;
  for (storage::Column column : storage::kAllColumns)
    keys.emplace_back(std::string(storage::column_name(column)),
                      num(stats.estimated_keys[static_cast<std::size_t>(column)]));
  return Value::object({{"disk_bytes", num(stats.disk_bytes)},
                        {"memory_bytes", num(stats.memory_bytes)},
                        {"estimated_keys", Value::object(std::move(keys))}});
}

bool is_metric_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxMetricNameBytes || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
  });
}

// The unlabeled samples of a Prometheus text exposition ("name value [timestamp]"), in order,
// at most `limit` of them. Labeled samples are counted, not kept: a map keyed by name cannot
// hold them, and the raw text is one scrape away. Non-finite values (NaN, ±Inf) have no JSON
// form and are skipped.
Value metrics_summary(std::string_view text, std::size_t limit) {
  std::vector<Value::Member> metrics;
  std::uint64_t samples = 0, unlabeled = 0;
  bool truncated = false;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.empty() || line[0] == '#') continue;
    ++samples;
    const std::size_t space = line.find(' ');
    const std::string_view name = line.substr(0, space);
    if (space == std::string_view::npos || !is_metric_name(name)) continue;  // labeled, or not a sample
    ++unlabeled;
    std::string_view value_text = line.substr(space + 1);
    value_text = value_text.substr(0, value_text.find(' '));
    double value = 0;
    const auto [end, ec] = std::from_chars(value_text.data(), value_text.data() + value_text.size(), value);
    if (ec != std::errc() || end != value_text.data() + value_text.size() || !std::isfinite(value)) continue;
    const bool seen = std::any_of(metrics.begin(), metrics.end(), [&](const Value::Member& m) { return m.first == name; });
    if (seen) continue;
    if (metrics.size() == limit) {
      truncated = true;
      continue;
    }
    metrics.emplace_back(std::string(name), num(value));
  }
  return Value::object({{"metrics", Value::object(std::move(metrics))},
                        {"samples", num(samples)},
                        {"unlabeled", num(unlabeled)},
                        {"truncated", Value::boolean(truncated)}});
}

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

class OperationsAgent final : public Agent {
 public:
  OperationsAgent(NodeOperations& ops, OperationsOptions options) : ops_(ops), options_(std::move(options)) {}

  AgentKind kind() const override { return AgentKind::kOperations; }

  std::vector<std::string> skills() const override {
    std::vector<std::string> names;
    for (const SkillRow& row : skill_table()) names.push_back("operations." + std::string(row.verb));
    return names;
  }

  Result<Value> run(std::string_view skill, const Value& input, const SkillContext& ctx) override {
    for (const SkillRow& row : skill_table()) {
      if (skill == "operations." + std::string(row.verb)) return (this->*row.fn)(input, ctx);
    }
    return Error("unknown_skill", "the operations agent has no skill " + std::string(skill.substr(0, 128)));
  }

  bool rerunnable(std::string_view skill) const override {
    for (const SkillRow& row : skill_table())
      if (skill == "operations." + std::string(row.verb)) return row.read_only;
    return false;
  }

 private:
  using SkillFn = Result<Value> (OperationsAgent::*)(const Value&, const SkillContext&);
  struct SkillRow {
    std::string_view verb;
    SkillFn fn;
    bool read_only;  // re-runnable after a crash; backup, checkpoint and compaction write files
  };
  // Sorted by verb, so skills() is sorted. (A function, not a static member: the member
  // functions it names are declared below.)
  static std::span<const SkillRow> skill_table() {
    static constexpr SkillRow kSkills[] = {
        {"backup", &OperationsAgent::backup, false},
        {"checkpoint", &OperationsAgent::checkpoint, false},
        {"compact", &OperationsAgent::compact, false},
        {"health", &OperationsAgent::health, true},
        {"metrics_snapshot", &OperationsAgent::metrics_snapshot, true},
        {"peers", &OperationsAgent::peers, true},
    };
    return kSkills;
  }

  Result<Value> health(const Value& input, const SkillContext&) {
    BIZRA_TRY(detail::expect_object(input, {}));
    return ops_.health();
  }

  Result<Value> peers(const Value& input, const SkillContext&) {
    BIZRA_TRY(detail::expect_object(input, {}));
    return Value::object({{"peers", ops_.peers()}});
  }

  Result<Value> metrics_snapshot(const Value& input, const SkillContext&) {
    BIZRA_TRY(detail::expect_object(input, {}));
    const std::string text = ops_.metrics_text();
    Value summary = metrics_summary(text, options_.max_metrics);
    std::vector<Value::Member> members = summary.members();
    members.emplace_back("raw_bytes", num(static_cast<std::uint64_t>(text.size())));
    return Value::object(std::move(members));
  }

  Result<Value> checkpoint(const Value& input, const SkillContext&) {
    BIZRA_TRY(detail::expect_object(input, {"name"}));
    const Value* name = input.find("name");
    if (name && (!name->is_string() || !valid_name(name->as_string())))
      return detail::bad_input("name", "expected 1..64 characters of [A-Za-z0-9_-]");
    std::lock_guard lock(write_mu_);
    const fs::path parent = options_.backup_root / kCheckpoints;
    BIZRA_TRY(make_dirs(parent));
    std::string dir_name;
    if (name) {
      dir_name = name->as_string();
    } else {
      auto next = next_sequence(parent);
      if (!next) return next.error();
      dir_name = sequence_name(*next);
    }
    BIZRA_TRY(ops_.store().checkpoint(parent / dir_name));
    auto files = list_files(parent / dir_name);
    if (!files) return files.error();
    return Value::object({{"dir", str(std::string(kCheckpoints) + "/" + dir_name)},
                          {"files", num(static_cast<std::uint64_t>(files->size()))},
                          {"bytes", num(total_bytes(*files))}});
  }

  // Built under "<seq>.partial" and renamed when complete: a directory named by a bare sequence
  // number is always a whole backup, which is what retention counts.
  Result<Value> backup(const Value& input, const SkillContext& ctx) {
    BIZRA_TRY(detail::expect_object(input, {}));
    std::lock_guard lock(write_mu_);
    const fs::path parent = options_.backup_root / kBackups;
    BIZRA_TRY(make_dirs(parent));
    BIZRA_TRY(remove_partials(parent));
    auto next = next_sequence(parent);
    if (!next) return next.error();
    const std::string dir_name = sequence_name(*next);
    const fs::path partial = parent / (dir_name + std::string(kPartialSuffix));
    auto made = make_backup(partial, *next, ctx);
    if (!made) {
      std::error_code ignored;
      fs::remove_all(partial, ignored);
      return made.error();
    }
    std::error_code ec;
    fs::rename(partial, parent / dir_name, ec);
    if (ec) return io_error("renaming " + partial.string(), ec);
    auto removed = apply_retention(parent);
    if (!removed) return removed.error();
    std::vector<Value::Member> out = made->members();
    out.emplace(out.begin(), "dir", str(std::string(kBackups) + "/" + dir_name));
    out.emplace_back("removed", Value::array(std::move(*removed)));
    return Value::object(std::move(out));
  }

  Result<Value> compact(const Value& input, const SkillContext&) {
    BIZRA_TRY(detail::expect_object(input, {}));
    std::lock_guard lock(write_mu_);
    const storage::StoreStats before = ops_.store().stats();
    const auto start = std::chrono::steady_clock::now();
    BIZRA_TRY(ops_.store().compact());
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    return Value::object({{"before", stats_json(before)},
                          {"after", stats_json(ops_.store().stats())},
                          {"duration_ms", num(static_cast<std::uint64_t>(elapsed.count()))}});
  }

  // The checkpoint in `dir`/db and its manifest; returns {"files","bytes","manifest_digest"}.
  Result<Value> make_backup(const fs::path& dir, std::uint64_t sequence, const SkillContext& ctx) {
    BIZRA_TRY(make_dirs(dir));
    BIZRA_TRY(ops_.store().checkpoint(dir / "db"));
    auto files = list_files(dir / "db");
    if (!files) return files.error();
    std::vector<Value> listed;
    for (const FileEntry& file : *files) {
      if (ctx.cancelled()) return Error("cancelled", "backup stopped at the deadline while hashing files");
      auto digest = hash_file(dir / "db" / file.path);
      if (!digest) return digest.error();
      listed.push_back(Value::object(
          {{"path", str("db/" + file.path)}, {"size", num(file.size)}, {"blake3", str(hex::encode(*digest))}}));
    }
    const std::uint64_t bytes = total_bytes(*files);
    const std::string manifest = jcs::serialize(Value::object({{"format", str("bizra-backup/v1")},
                                                               {"sequence", num(sequence)},
                                                               {"created_unix_ms", num(unix_ms())},
                                                               {"bytes", num(bytes)},
                                                               {"files", Value::array(std::move(listed))}}));
    BIZRA_TRY(write_synced(dir / "manifest.json", manifest));
    return Value::object({{"files", num(static_cast<std::uint64_t>(files->size()))},
                          {"bytes", num(bytes)},
                          {"manifest_digest", str(hex::encode(crypto::blake3(std::string_view(manifest))))}});
  }

  // Deletes all but the newest keep_backups backups; returns the removed directories.
  Result<std::vector<Value>> apply_retention(const fs::path& parent) const {
    auto found = sequences_in(parent);
    if (!found) return found.error();
    std::vector<Value> removed;
    for (std::size_t i = 0; i + options_.keep_backups < found->size(); ++i) {
      const std::string name = sequence_name((*found)[i]);
      std::error_code ec;
      fs::remove_all(parent / name, ec);
      if (ec) return io_error("removing an old backup", ec);
      removed.push_back(str(std::string(kBackups) + "/" + name));
    }
    return removed;
  }

  // Leftovers of a backup interrupted by a crash.
  static Status remove_partials(const fs::path& parent) {
    std::error_code ec;
    std::vector<fs::path> partials;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->path().filename().string().ends_with(kPartialSuffix)) partials.push_back(it->path());
    }
    for (const fs::path& p : partials) fs::remove_all(p, ec);
    if (ec) return io_error("removing an interrupted backup", ec);
    return ok_status();
  }

  static Status make_dirs(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return io_error("creating " + dir.string(), ec);
    return ok_status();
  }

  static std::uint64_t total_bytes(const std::vector<FileEntry>& files) {
    std::uint64_t sum = 0;
    for (const FileEntry& f : files) sum += f.size;
    return sum;
  }

  NodeOperations& ops_;
  const OperationsOptions options_;
  std::mutex write_mu_;  // one checkpoint/backup/compact at a time: sequence numbers and retention
};

}  // namespace

Result<std::unique_ptr<Agent>> make_operations_agent(NodeOperations& ops, OperationsOptions options) {
  if (options.backup_root.empty()) return Error("bad_config", "backup_root: required");
  if (options.keep_backups == 0) return Error("bad_config", "keep_backups: at least 1");
  if (options.max_metrics == 0) return Error("bad_config", "max_metrics: at least 1");
  return std::unique_ptr<Agent>(std::make_unique<OperationsAgent>(ops, std::move(options)));
}

}  // namespace bizra::ace
