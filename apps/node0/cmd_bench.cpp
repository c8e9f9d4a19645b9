// node0 bench: the performance report (docs/PERFORMANCE.md). The measuring and the rendering live
// in bench/run_all.py (Python, so that the report can be re-rendered without C++); this command
// finds that script and runs it against the build tree this node0 belongs to.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"

namespace node0 {
namespace {

namespace fs = std::filesystem;

constexpr const char* kScript = "bench/run_all.py";

struct BenchOptions {
  bool quick = false;
  std::string out_dir, build_dir, only, script;
  unsigned repetitions = 0;  // 0: the script's default (3, quick: 1)
};

fs::path executable() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) fail("cannot resolve /proc/self/exe: " + ec.message());
  return self;
}

// The source tree holding bench/run_all.py: an ancestor of the executable (build trees live in
// the source tree's build/), else the source directory this binary was configured from.
fs::path find_script(const fs::path& self) {
  for (fs::path dir = self.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path())
    if (fs::is_regular_file(dir / kScript)) return dir / kScript;
  const fs::path configured = fs::path(BIZRA_SOURCE_DIR) / kScript;
  if (fs::is_regular_file(configured)) return configured;
  fail(std::string("cannot find ") + kScript + " above " + self.parent_path().string() + " nor in " + BIZRA_SOURCE_DIR +
       " (run from a source checkout, or pass --script PATH)");
}

[[noreturn]] void run_bench(const BenchOptions& o) {
  const fs::path self = executable();
  const fs::path script = o.script.empty() ? find_script(self) : fs::path(o.script);
  if (!fs::is_regular_file(script)) fail("no such script: " + script.string());
  // <build>/apps/node0/node0: the build tree whose benchmarks go with this node0.
  const std::string build = o.build_dir.empty() ? self.parent_path().parent_path().parent_path().string() : o.build_dir;
  std::vector<std::string> args = {"python3", script.string(), "--build-dir", build};
  if (o.quick) args.push_back("--quick");
  if (!o.out_dir.empty()) args.insert(args.end(), {"--out-dir", o.out_dir});
  if (!o.only.empty()) args.insert(args.end(), {"--only", o.only});
  if (o.repetitions > 0) args.insert(args.end(), {"--repetitions", std::to_string(o.repetitions)});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  execvp(argv[0], argv.data());
  fail(std::string("cannot run python3: ") + std::strerror(errno));
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  auto* cmd = app.add_subcommand("bench", "Run every benchmark suite and write docs/PERFORMANCE.md (bench/run_all.py)");
  cmd->add_flag("--quick", o->quick, "Every suite briefly, one repetition (a few minutes; not figures to publish)");
  cmd->add_option("--out-dir", o->out_dir, "Where performance.json, PERFORMANCE.md and perf/*.svg go (default: docs/)");
  cmd->add_option("--build-dir", o->build_dir, "Release build tree to measure (default: the one holding this node0)");
  cmd->add_option("--repetitions", o->repetitions, "Repetitions per figure (default 3, quick 1)")
      ->check(CLI::Range(1u, 100u));
  cmd->add_option("--only", o->only, "Comma-separated suites (bench/run_all.py --help lists them)");
  cmd->add_option("--script", o->script, "Path of bench/run_all.py (default: found from this executable)");
  cmd->callback([o] { run_bench(*o); });
}

}  // namespace node0
