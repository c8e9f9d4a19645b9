#pragma once
// A small Prometheus client: counters, gauges and histograms, optionally in labelled families,
// plus gauges and counters read by callback at scrape time, exposed in the text format 0.0.4.
//
// Hot paths are lock-free: Counter::inc, Gauge::set/add and Histogram::observe are atomics on
// an existing child. Creating a child (Family::with with new label values) and registering a
// family take a mutex. Children and families are never removed, so the references returned
// stay valid for the registry's lifetime: callers look a child up once and keep the reference.
//
// Programming errors throw std::logic_error (never expected failures; nothing here reads
// external input):
//   - invalid metric name (Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*) or label name
//     ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", not "le" on a histogram), duplicate
//     label names;
//   - registering a name again with a different type, help, label names or buckets (the same
//     registration again returns the existing family), or a name whose exposed series collide
//     with another family's (histogram "x" owns x_bucket, x_sum and x_count);
//   - with() given a label value count different from the label name count;
//   - Counter::inc with a negative or NaN amount (counters are monotonic);
//   - histogram buckets that are not finite and strictly increasing.
//
// Output is deterministic: families sorted by name, children by label values (lexicographic).

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace bizra::metrics {

class Counter {
 public:
  void inc(double v = 1);  // v >= 0
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  // `upper_bounds`: finite, strictly increasing; the +Inf bucket is implicit.
  explicit Histogram(std::vector<double> upper_bounds);

  // Counts v in the first bucket whose upper bound is >= v (Prometheus "le"); NaN goes to +Inf.
  void observe(double v);

  struct Snapshot {
    std::vector<std::uint64_t> cumulative;  // one per upper bound, then +Inf (== count)
    double sum = 0;
    std::uint64_t count = 0;
  };
  // Bucket counts are read one by one while others may observe; count is derived from the
  // buckets so that the +Inf bucket always equals _count. _sum may be one observation off.
  Snapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

// Buckets for request latencies in milliseconds, 1 ms .. 10 s (bizra_http_request_duration_ms).
std::vector<double> latency_ms_buckets();

// A metric name with label names; one child per distinct tuple of label values.
template <class M>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::function<std::unique_ptr<M>()> make)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  // The child for `label_values` (in label_names order), created on first use.
  M& with(const std::vector<std::string>& label_values) {
    if (label_values.size() != label_names_.size()) {
      throw std::logic_error("metric " + name_ + ": " + std::to_string(label_values.size()) +
                             " label values for " + std::to_string(label_names_.size()) +
                             " label names");
    }
    std::lock_guard lock(mu_);
    auto& child = children_[label_values];
    if (!child) child = make_();
    return *child;
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  // Calls f(label_values, child) for each child in label-value order, under the family's lock.
  template <class F>
  void for_each(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, child] : children_) f(values, *child);
  }

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const std::function<std::unique_ptr<M>()> make_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> children_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // A family without labels has its single child from the start, so it is exposed as 0 before
  // first use; a labelled family is exposed once it has a child.
  CounterFamily& counter(std::string name, std::string help,
                         std::vector<std::string> label_names = {});
  GaugeFamily& gauge(std::string name, std::string help,
                     std::vector<std::string> label_names = {});
  HistogramFamily& histogram(std::string name, std::string help, std::vector<double> buckets,
                             std::vector<std::string> label_names = {});

  // Values read at scrape time (e.g. the committed height read from the node). `read` runs
  // during expose(), outside the registry's lock, possibly on several threads at once; it must
  // be thread-safe. A counter callback must return a non-decreasing value.
  void gauge_callback(std::string name, std::string help, std::function<double()> read);
  void counter_callback(std::string name, std::string help, std::function<double()> read);

  // Runs `refresh` at the start of every expose(), outside the registry's lock: for labelled
  // gauges whose values are read from elsewhere (e.g. a queue depth per level), set in one go.
  // Same thread-safety requirements as the callbacks above.
  void on_collect(std::function<void()> refresh);

  // Prometheus text format 0.0.4 (Content-Type: text/plain; version=0.0.4).
  std::string expose() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Entry;
  // Registers `spec` (or returns the identical earlier registration). Caller holds mu_.
  Entry& add(Entry spec);
  void add_callback(std::string name, std::string help, Type type, std::function<double()> read);
  static void render(std::string& out, const Entry& entry);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>> entries_;  // by family name
  std::map<std::string, std::string> series_owner_;         // exposed series name -> family
  std::vector<std::function<void()>> collectors_;
};

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace bizra::metrics
