#include "metrics/process.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace bizra::metrics {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string read_proc(const char* path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();  // /proc files report size 0: read until EOF
  return text.str();
}

// /proc/self/stat fields after the command name, which may itself hold spaces and ')'; so the
// split starts after the last ')'. Index 0 is field 3 (state) of proc(5).
std::vector<std::string> stat_fields() {
  const std::string stat = read_proc("/proc/self/stat");
  const auto close = stat.rfind(')');
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream in(stat.substr(close + 1));
  for (std::string f; in >> f;) fields.push_back(f);
  return fields;
}

// proc(5) field number `n` (1-based, as the manual numbers them) as a number, or NaN.
double stat_field(const std::vector<std::string>& fields, std::size_t n) {
  if (n < 3 || n - 3 >= fields.size()) return kNaN;
  try {
    return std::stod(fields[n - 3]);
  } catch (const std::exception&) {
    return kNaN;
  }
}

double clock_ticks_per_second() { return static_cast<double>(sysconf(_SC_CLK_TCK)); }
double page_size() { return static_cast<double>(sysconf(_SC_PAGESIZE)); }

double boot_time_seconds() {
  std::istringstream in(read_proc("/proc/stat"));
  for (std::string key; in >> key;) {
    if (key == "btime") {
      double t = kNaN;
      in >> t;
      return t;
    }
  }
  return kNaN;
}

double start_time_seconds() {
  return boot_time_seconds() + stat_field(stat_fields(), 22) / clock_ticks_per_second();
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;  // includes the descriptor this iteration holds, as the Go client's count does
  }
  return ec ? kNaN : n;
}

double max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return kNaN;
  if (limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<double>::infinity();
  return static_cast<double>(limit.rlim_cur);
}

}  // namespace

void add_process_metrics(Registry& r) {
  r.counter_callback("process_cpu_seconds_total",
                     "Total user and system CPU time spent in seconds.", [] {
                       const auto f = stat_fields();
                       return (stat_field(f, 14) + stat_field(f, 15)) / clock_ticks_per_second();
                     });
  r.gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.",
                   [] { return stat_field(stat_fields(), 24) * page_size(); });
  r.gauge_callback("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                   [] { return stat_field(stat_fields(), 23); });
  r.gauge_callback("process_open_fds", "Number of open file descriptors.", open_fds);
  r.gauge_callback("process_max_fds", "Maximum number of open file descriptors.", max_fds);
  const double start = start_time_seconds();  // fixed for the process' life: read once
  r.gauge_callback("process_start_time_seconds",
                   "Start time of the process since unix epoch in seconds.",
                   [start] { return start; });

  const auto registered = std::chrono::steady_clock::now();
  r.gauge_callback("bizra_uptime_seconds", "Seconds since the node started.", [registered] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - registered).count();
  });
  // mallinfo2 walks every arena under its lock: fine once per scrape, not on a hot path.
  r.gauge_callback("bizra_memory_heap_used_bytes",
                   "Bytes of heap (glibc malloc) memory in use.", [] {
                     const struct mallinfo2 m = mallinfo2();
                     return static_cast<double>(m.uordblks + m.hblkhd);
                   });
  r.gauge_callback("bizra_memory_heap_total_bytes",
                   "Bytes of heap (glibc malloc) memory obtained from the system.", [] {
                     const struct mallinfo2 m = mallinfo2();
                     return static_cast<double>(m.arena + m.hblkhd);
                   });
}

}  // namespace bizra::metrics
