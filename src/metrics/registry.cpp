#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include "metrics/metrics.hpp"

namespace bizra::metrics {

// ---- metrics ----

namespace {

void check_buckets(const std::vector<double>& bounds) {
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i - 1] < bounds[i]))) {
      throw std::logic_error("histogram buckets must be finite and strictly increasing");
    }
  }
}

}  // namespace

void Counter::inc(double v) {
  // `!(v >= 0)` also catches NaN, which would poison the counter forever.
  if (!(v >= 0)) throw std::logic_error("Counter::inc: negative or NaN increment");
  value_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
  check_buckets(bounds_);
}

void Histogram::observe(double v) {
  // First bound b with b >= v. Written as !(b >= v) so that NaN, which compares false with
  // everything, lands past the end: in the +Inf bucket, as the Go client does.
  auto it = std::partition_point(bounds_.begin(), bounds_.end(),
                                 [v](double bound) { return !(bound >= v); });
  counts_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.reserve(bounds_.size() + 1);
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> latency_ms_buckets() {
  return {1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
}

// ---- names ----

namespace {

bool is_alpha_or(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

bool valid_name(const std::string& name, bool colon) {
  if (name.empty() || !is_alpha_or(name[0], colon)) return false;
  return std::all_of(name.begin() + 1, name.end(),
                     [colon](char c) { return is_alpha_or(c, colon) || (c >= '0' && c <= '9'); });
}

void check_metric_name(const std::string& name) {
  if (!valid_name(name, true)) throw std::logic_error("invalid metric name \"" + name + "\"");
}

void check_label_names(const std::string& metric, const std::vector<std::string>& labels,
                       bool histogram) {
  std::set<std::string> seen;
  for (const auto& label : labels) {
    // "__" names are reserved for Prometheus' internal labels; "le" is the histogram bucket's.
    if (!valid_name(label, false) || label.rfind("__", 0) == 0 || (histogram && label == "le")) {
      throw std::logic_error("metric " + metric + ": invalid label name \"" + label + "\"");
    }
    if (!seen.insert(label).second) {
      throw std::logic_error("metric " + metric + ": duplicate label name \"" + label + "\"");
    }
  }
}

// ---- text format ----

void append_number(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
    out.append(buf, end);
  }
}

// Label values escape \, " and newline; HELP text escapes \ and newline (format 0.0.4).
void append_escaped(std::string& out, const std::string& s, bool quote) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

struct Label {
  const std::string& name;
  const std::string& value;
};

void append_sample(std::string& out, const std::string& name, const std::string& suffix,
                   const std::vector<std::string>& label_names,
                   const std::vector<std::string>& label_values, const Label* extra,
                   const std::string& value) {
  out += name;
  out += suffix;
  if (!label_names.empty() || extra) {
    char sep = '{';
    auto add = [&](const std::string& n, const std::string& v) {
      out += sep;
      out += n;
      out += "=\"";
      append_escaped(out, v, true);
      out += '"';
      sep = ',';
    };
    for (std::size_t i = 0; i < label_names.size(); ++i) add(label_names[i], label_values[i]);
    if (extra) add(extra->name, extra->value);
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::string number(double v) {
  std::string s;
  append_number(s, v);
  return s;
}

}  // namespace

// ---- registry ----

struct Registry::Entry {
  Entry(std::string n, std::string h, std::vector<std::string> labels, std::vector<double> b,
        Type t, std::function<double()> r = {})
      : name(std::move(n)), help(std::move(h)), label_names(std::move(labels)),
        buckets(std::move(b)), type(t), read(std::move(r)) {}

  std::string name;
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> buckets;
  Type type;
  std::function<double()> read;  // set for callback metrics, which have no family
  std::unique_ptr<CounterFamily> counter;
  std::unique_ptr<GaugeFamily> gauge;
  std::unique_ptr<HistogramFamily> histogram;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Entry& Registry::add(Entry spec) {
  check_metric_name(spec.name);
  check_label_names(spec.name, spec.label_names, spec.type == Type::kHistogram);
  if (auto it = entries_.find(spec.name); it != entries_.end()) {
    const Entry& old = *it->second;
    // Callbacks cannot be compared, so registering one twice is always an error.
    if (old.type != spec.type || old.help != spec.help || old.label_names != spec.label_names ||
        old.buckets != spec.buckets || old.read || spec.read) {
      throw std::logic_error("metric " + spec.name + " registered twice with a different shape");
    }
    return *it->second;
  }
  std::vector<std::string> series{spec.name};
  if (spec.type == Type::kHistogram) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) series.push_back(spec.name + suffix);
  }
  for (const auto& s : series) {
    if (auto owner = series_owner_.find(s); owner != series_owner_.end()) {
      throw std::logic_error("metric " + spec.name + ": series " + s + " already belongs to " +
                             owner->second);
    }
  }
  for (const auto& s : series) series_owner_.emplace(s, spec.name);
  auto& slot = entries_[spec.name];
  slot = std::make_unique<Entry>(std::move(spec));
  return *slot;
}

namespace {

// Creates the family in `slot` on first registration; an unlabelled family gets its only child
// at once so that it is exposed (as zero) before first use.
template <class M, class Make>
Family<M>& family_in(std::unique_ptr<Family<M>>& slot, const std::string& name,
                     const std::string& help, const std::vector<std::string>& labels, Make make) {
  if (!slot) {
    slot = std::make_unique<Family<M>>(name, help, labels, std::move(make));
    if (labels.empty()) slot->with({});
  }
  return *slot;
}

}  // namespace

CounterFamily& Registry::counter(std::string name, std::string help,
                                 std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& e =
      add(Entry(std::move(name), std::move(help), std::move(label_names), {}, Type::kCounter));
  return family_in(e.counter, e.name, e.help, e.label_names,
                   [] { return std::make_unique<Counter>(); });
}

GaugeFamily& Registry::gauge(std::string name, std::string help,
                             std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  Entry& e = add(Entry(std::move(name), std::move(help), std::move(label_names), {}, Type::kGauge));
  return family_in(e.gauge, e.name, e.help, e.label_names,
                   [] { return std::make_unique<Gauge>(); });
}

HistogramFamily& Registry::histogram(std::string name, std::string help,
                                     std::vector<double> buckets,
                                     std::vector<std::string> label_names) {
  check_buckets(buckets);  // before anything is registered
  std::lock_guard lock(mu_);
  Entry& e = add(Entry(std::move(name), std::move(help), std::move(label_names), std::move(buckets),
                       Type::kHistogram));
  return family_in(e.histogram, e.name, e.help, e.label_names,
                   [b = e.buckets] { return std::make_unique<Histogram>(b); });
}

void Registry::add_callback(std::string name, std::string help, Type type,
                            std::function<double()> read) {
  if (!read) throw std::logic_error("metric " + name + ": empty callback");
  std::lock_guard lock(mu_);
  add(Entry(std::move(name), std::move(help), {}, {}, type, std::move(read)));
}

void Registry::gauge_callback(std::string name, std::string help, std::function<double()> read) {
  add_callback(std::move(name), std::move(help), Type::kGauge, std::move(read));
}

void Registry::counter_callback(std::string name, std::string help,
                                std::function<double()> read) {
  add_callback(std::move(name), std::move(help), Type::kCounter, std::move(read));
}

void Registry::render(std::string& out, const Entry& e) {
  static const std::vector<std::string> kNone;
  std::string body;
  if (e.read) {
    append_sample(body, e.name, "", kNone, kNone, nullptr, number(e.read()));
  } else if (e.counter) {
    e.counter->for_each([&](const std::vector<std::string>& values, const Counter& c) {
      append_sample(body, e.name, "", e.label_names, values, nullptr, number(c.value()));
    });
  } else if (e.gauge) {
    e.gauge->for_each([&](const std::vector<std::string>& values, const Gauge& g) {
      append_sample(body, e.name, "", e.label_names, values, nullptr, number(g.value()));
    });
  } else if (e.histogram) {
    e.histogram->for_each([&](const std::vector<std::string>& values, const Histogram& h) {
      const auto snap = h.snapshot();
      static const std::string kLe = "le";
      for (std::size_t i = 0; i < snap.cumulative.size(); ++i) {
        const std::string le = i < e.buckets.size() ? number(e.buckets[i]) : "+Inf";
        const Label extra{kLe, le};
        append_sample(body, e.name, "_bucket", e.label_names, values, &extra,
                      std::to_string(snap.cumulative[i]));
      }
      append_sample(body, e.name, "_sum", e.label_names, values, nullptr, number(snap.sum));
      append_sample(body, e.name, "_count", e.label_names, values, nullptr,
                    std::to_string(snap.count));
    });
  }
  if (body.empty()) return;  // a labelled family without children: nothing to say yet
  static const char* const kTypeNames[] = {"counter", "gauge", "histogram"};
  out += "# HELP " + e.name + ' ';
  append_escaped(out, e.help, false);
  out += "\n# TYPE " + e.name + ' ' + kTypeNames[static_cast<int>(e.type)] + '\n';
  out += body;
}

void Registry::on_collect(std::function<void()> refresh) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(refresh));
}

std::string Registry::expose() const {
  // Entries are never removed or changed once registered, so they can be rendered after the
  // lock is released: callbacks (which may take the node's locks) then never run under ours.
  std::vector<const Entry*> entries;
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard lock(mu_);
    entries.reserve(entries_.size());
    for (const auto& [name, entry] : entries_) entries.push_back(entry.get());
    collectors = collectors_;
  }
  for (const auto& refresh : collectors) refresh();
  std::string out;
  for (const Entry* e : entries) render(out, *e);
  return out;
}

}  // namespace bizra::metrics
