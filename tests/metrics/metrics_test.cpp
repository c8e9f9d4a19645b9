#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "metrics/metrics.hpp"
#include "metrics/process.hpp"

namespace bizra::metrics {
namespace {

// Sanitizers replace malloc with their own allocator, which glibc's mallinfo2 does not see.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kGlibcMalloc = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kGlibcMalloc = false;
#else
constexpr bool kGlibcMalloc = true;
#endif
#else
constexpr bool kGlibcMalloc = true;
#endif

TEST(Exposition, PinnedTextFormat) {
  Registry r;
  // Registered out of order: the output is sorted by name, then by label values.
  r.gauge_callback("d_height", "Height.", [] { return 42; });
  auto& latency = r.histogram("c_latency_seconds", "Latency.", {0.1, 1});
  latency.with({}).observe(0.25);
  latency.with({}).observe(0.0625);
  latency.with({}).observe(3);
  auto& by_route = r.histogram("c_route_seconds", "By route.", {0.5}, {"route"});
  by_route.with({"/b"}).observe(0.5);  // exactly on a bound: counts in it (le)
  by_route.with({"/a"}).observe(1);
  r.gauge("b_temperature", "Help with \\ and\nnewline and \"quotes\".", {"room"})
      .with({"a\"b\\c\nd"})
      .set(-1.5);
  auto& requests = r.counter("a_requests_total", "Requests.", {"method", "code"});
  requests.with({"POST", "500"}).inc(0.5);
  requests.with({"GET", "200"}).inc(3);
  r.counter("e_unused_total", "Labelled, never used.", {"x"});  // no child: not exposed
  r.counter("f_events_total", "Unlabelled, never used.");        // its only child: exposed as 0
  r.gauge("g_big", "Big.").with({}).set(1e21);

  EXPECT_EQ(r.expose(),
            "# HELP a_requests_total Requests.\n"
            "# TYPE a_requests_total counter\n"
            "a_requests_total{method=\"GET\",code=\"200\"} 3\n"
            "a_requests_total{method=\"POST\",code=\"500\"} 0.5\n"
            "# HELP b_temperature Help with \\\\ and\\nnewline and \"quotes\".\n"
            "# TYPE b_temperature gauge\n"
            "b_temperature{room=\"a\\\"b\\\\c\\nd\"} -1.5\n"
            "# HELP c_latency_seconds Latency.\n"
            "# TYPE c_latency_seconds histogram\n"
            "c_latency_seconds_bucket{le=\"0.1\"} 1\n"
            "c_latency_seconds_bucket{le=\"1\"} 2\n"
            "c_latency_seconds_bucket{le=\"+Inf\"} 3\n"
            "c_latency_seconds_sum 3.3125\n"
            "c_latency_seconds_count 3\n"
            "# HELP c_route_seconds By route.\n"
            "# TYPE c_route_seconds histogram\n"
            "c_route_seconds_bucket{route=\"/a\",le=\"0.5\"} 0\n"
            "c_route_seconds_bucket{route=\"/a\",le=\"+Inf\"} 1\n"
            "c_route_seconds_sum{route=\"/a\"} 1\n"
            "c_route_seconds_count{route=\"/a\"} 1\n"
            "c_route_seconds_bucket{route=\"/b\",le=\"0.5\"} 1\n"
            "c_route_seconds_bucket{route=\"/b\",le=\"+Inf\"} 1\n"
            "c_route_seconds_sum{route=\"/b\"} 0.5\n"
            "c_route_seconds_count{route=\"/b\"} 1\n"
            "# HELP d_height Height.\n"
            "# TYPE d_height gauge\n"
            "d_height 42\n"
            "# HELP f_events_total Unlabelled, never used.\n"
            "# TYPE f_events_total counter\n"
            "f_events_total 0\n"
            "# HELP g_big Big.\n"
            "# TYPE g_big gauge\n"
            "g_big 1e+21\n");
}

TEST(Exposition, SpecialValues) {
  Registry r;
  auto& g = r.gauge("g", "G.", {"k"});
  g.with({"inf"}).set(std::numeric_limits<double>::infinity());
  g.with({"nan"}).set(std::numeric_limits<double>::quiet_NaN());
  g.with({"neg"}).set(-std::numeric_limits<double>::infinity());
  EXPECT_EQ(
      r.expose(),
      "# HELP g G.\n# TYPE g gauge\ng{k=\"inf\"} +Inf\ng{k=\"nan\"} NaN\ng{k=\"neg\"} -Inf\n");
}

TEST(Histogram, NaNGoesToInfBucket) {
  Histogram h({1, 2});
  h.observe(std::numeric_limits<double>::quiet_NaN());
  h.observe(-5);  // below every bound: first bucket
  const auto s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{1, 1, 2}));
  EXPECT_EQ(s.count, 2u);
  EXPECT_TRUE(std::isnan(s.sum));
}

TEST(Registry, SameRegistrationReturnsSameFamily) {
  Registry r;
  auto& a = r.counter("x_total", "X.", {"a"});
  auto& b = r.counter("x_total", "X.", {"a"});
  EXPECT_EQ(&a, &b);
  EXPECT_EQ(&a.with({"1"}), &b.with({"1"}));
  auto& h1 = r.histogram("h", "H.", {1, 2});
  EXPECT_EQ(&h1, &r.histogram("h", "H.", {1, 2}));
}

TEST(Registry, CollectorsRefreshValuesBeforeEveryExposition) {
  Registry r;
  auto& depth = r.gauge("queue_depth", "Depth.", {"level"});
  int scrapes = 0;
  r.on_collect([&] { depth.with({"L1"}).set(++scrapes); });
  EXPECT_NE(r.expose().find("queue_depth{level=\"L1\"} 1\n"), std::string::npos);
  EXPECT_NE(r.expose().find("queue_depth{level=\"L1\"} 2\n"), std::string::npos);
}

TEST(Registry, ProgrammingErrorsThrow) {
  Registry r;
  EXPECT_THROW(r.counter("", "h"), std::logic_error);
  EXPECT_THROW(r.counter("1abc", "h"), std::logic_error);
  EXPECT_THROW(r.counter("a-b", "h"), std::logic_error);
  EXPECT_NO_THROW(r.counter("ns:sub_total", "colons are valid in metric names"));
  EXPECT_THROW(r.counter("l1", "h", {"a:b"}), std::logic_error);  // but not in label names
  EXPECT_THROW(r.counter("l2", "h", {"__reserved"}), std::logic_error);
  EXPECT_THROW(r.counter("l3", "h", {"a", "a"}), std::logic_error);
  EXPECT_THROW(r.histogram("l4", "h", {1}, {"le"}), std::logic_error);
  EXPECT_NO_THROW(r.gauge("l5", "h", {"le"}));  // "le" is reserved only in histograms

  r.counter("c_total", "C.", {"a"});
  EXPECT_THROW(r.gauge("c_total", "C.", {"a"}), std::logic_error);         // other type
  EXPECT_THROW(r.counter("c_total", "C.", {"b"}), std::logic_error);       // other labels
  EXPECT_THROW(r.counter("c_total", "Other.", {"a"}), std::logic_error);   // other help
  EXPECT_THROW(r.gauge_callback("c_total", "C.", [] { return 1.0; }), std::logic_error);

  r.histogram("lat", "L.", {1, 2});
  EXPECT_THROW(r.histogram("lat", "L.", {1, 3}), std::logic_error);        // other buckets
  EXPECT_THROW(r.counter("lat_count", "h"), std::logic_error);             // series collision
  EXPECT_THROW(r.gauge("lat_bucket", "h"), std::logic_error);
  r.gauge("g_sum", "h");
  EXPECT_THROW(r.histogram("g", "h", {1}), std::logic_error);

  EXPECT_THROW(r.histogram("b1", "h", {2, 1}), std::logic_error);
  EXPECT_THROW(r.histogram("b2", "h", {1, 1}), std::logic_error);
  EXPECT_THROW(r.histogram("b3", "h", {1, std::numeric_limits<double>::infinity()}),
               std::logic_error);
  EXPECT_THROW(r.histogram("b4", "h", {std::numeric_limits<double>::quiet_NaN()}),
               std::logic_error);

  r.gauge_callback("cb", "h", [] { return 1.0; });
  EXPECT_THROW(r.gauge_callback("cb", "h", [] { return 1.0; }), std::logic_error);
  EXPECT_THROW(r.gauge_callback("cb2", "h", nullptr), std::logic_error);

  auto& fam = r.counter("two_total", "h", {"a", "b"});
  EXPECT_THROW(fam.with({"x"}), std::logic_error);
  EXPECT_THROW(fam.with({"x", "y", "z"}), std::logic_error);
  EXPECT_THROW(fam.with({"x", "y"}).inc(-1), std::logic_error);
  EXPECT_THROW(fam.with({"x", "y"}).inc(std::numeric_limits<double>::quiet_NaN()),
               std::logic_error);
  EXPECT_EQ(fam.with({"x", "y"}).value(), 0);
  // Nothing half-registered by the failures above.
  EXPECT_EQ(r.expose().find("b1"), std::string::npos);
}

TEST(Concurrency, IncrementsFromThreadsAreAllCounted) {
  Registry r;
  auto& counter = r.counter("hits_total", "Hits.", {"worker"});
  auto& shared = r.counter("shared_total", "Shared.").with({});
  auto& gauge = r.gauge("level", "Level.").with({});
  auto& hist = r.histogram("lat", "Latency.", {1, 10}).with({});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        shared.inc();
        gauge.add(1);
        hist.observe(i % 3 == 0 ? 0.5 : 5);
        // Children created concurrently, some shared between threads.
        counter.with({std::to_string((t + i) % 4)}).inc();
        if (i % 5000 == 0) (void)r.expose();  // scrapes race with updates
      }
    });
  }
  for (auto& th : threads) th.join();
  constexpr double kTotal = double{kThreads} * kPerThread;
  EXPECT_EQ(shared.value(), kTotal);
  EXPECT_EQ(gauge.value(), kTotal);
  EXPECT_EQ(hist.snapshot().count, static_cast<std::uint64_t>(kTotal));
  double per_worker = 0;
  for (int w = 0; w < 4; ++w) per_worker += counter.with({std::to_string(w)}).value();
  EXPECT_EQ(per_worker, kTotal);
}

// The value of the unlabelled sample `name` in an exposition, or NaN if absent.
double sample(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return std::numeric_limits<double>::quiet_NaN();
}

TEST(Process, MetricsPresentAndSane) {
  Registry r;
  add_process_metrics(r);
  auto keep = std::make_unique<std::vector<char>>(1 << 20, 'x');  // some heap in use
  const std::string text = r.expose();
  const double rss = sample(text, "process_resident_memory_bytes");
  const double vm = sample(text, "process_virtual_memory_bytes");
  const double fds = sample(text, "process_open_fds");
  const double max_fds = sample(text, "process_max_fds");
  const double start = sample(text, "process_start_time_seconds");
  const double cpu = sample(text, "process_cpu_seconds_total");
  const double uptime = sample(text, "bizra_uptime_seconds");
  const double used = sample(text, "bizra_memory_heap_used_bytes");
  const double total = sample(text, "bizra_memory_heap_total_bytes");
  EXPECT_GT(rss, 1 << 20);
  EXPECT_GE(vm, rss);
  EXPECT_GE(fds, 3);  // stdin, stdout, stderr
  EXPECT_GE(max_fds, fds);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 24 * 3600);  // a test process started less than a day ago
  EXPECT_GE(cpu, 0);
  EXPECT_GE(uptime, 0);
  EXPECT_LT(uptime, 3600);
  if (kGlibcMalloc) {
    EXPECT_GE(used, double{1 << 20});
  }
  EXPECT_GE(used, 0);
  EXPECT_GE(total, used);
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
  EXPECT_THROW(add_process_metrics(r), std::logic_error);
}

}  // namespace
}  // namespace bizra::metrics
