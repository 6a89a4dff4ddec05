// Prometheus metrics: counters, gauges and histograms grouped in families
// with fixed label names, rendered in the text exposition format 0.0.4 for
// GET /metrics. Debian ships no C++ Prometheus client, so this is ours, kept
// small. Updates are lock-free (atomics) and safe from any thread, actors
// included; a mutex is taken only when a family meets a new label set and
// while rendering.
//
// Label sets must stay bounded: routes, statuses, event and section ids,
// actor kinds. Never a customer, a hold or a request id.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace boxoffice::metrics {

// Label values in the order of the family's label names.
using label_values = std::vector<std::string>;

class counter {
public:
  void inc(uint64_t n = 1) noexcept { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<uint64_t> value_{0};
};

class gauge {
public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double delta) noexcept;
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0};
};

class histogram {
public:
  // Upper bounds, strictly increasing; +Inf is implied.
  explicit histogram(std::vector<double> bounds);
  void observe(double v) noexcept;

  struct snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (= count)
    double sum = 0;
  };
  snapshot read() const;
  const std::vector<double>& bounds() const noexcept { return bounds_; }

private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<double> sum_{0};
};

// Latency buckets in seconds, 100 µs .. 10 s.
std::vector<double> latency_buckets_s();

class family_base {
public:
  family_base(std::string name, std::string help, std::vector<std::string> label_names);
  virtual ~family_base() = default;
  virtual void render(std::string& out) const = 0;
  const std::string& name() const noexcept { return name_; }

protected:
  void render_header(std::string& out, const char* type) const;
  // `name{a="x",b="y"}` with the extra label (le="0.5") last, if given.
  void render_series(std::string& out, const std::string& series_name, const label_values& values,
                     const char* extra_label = nullptr, const std::string& extra_value = {}) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
};

// All children of one metric name. `with` returns the child for a label set,
// made on first use; callers on a hot path keep the pointer. `remove` stops
// rendering a child (an event deleted), holders keep a valid object.
template <class Metric>
class family : public family_base {
public:
  template <class... Args>
  family(std::string name, std::string help, std::vector<std::string> label_names, Args... args)
      : family_base(std::move(name), std::move(help), std::move(label_names)),
        make_([=] { return std::make_shared<Metric>(args...); }) {}

  std::shared_ptr<Metric> with(const label_values& values);
  void remove(const label_values& values);
  void render(std::string& out) const override;

private:
  std::function<std::shared_ptr<Metric>()> make_;
  mutable std::mutex mutex_;
  std::map<label_values, std::shared_ptr<Metric>> children_;
};

// A registry of families. Registering a name twice returns the first family
// (so any file may name the metric it updates); with another type it throws.
class registry {
public:
  family<counter>& counters(const std::string& name, const std::string& help,
                            std::vector<std::string> label_names = {});
  family<gauge>& gauges(const std::string& name, const std::string& help,
                        std::vector<std::string> label_names = {});
  family<histogram>& histograms(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names, std::vector<double> bounds);
  // A gauge read when rendered (process memory, requests in flight).
  // The latest reader registered under a name wins.
  void sampled_gauge(const std::string& name, const std::string& help,
                     std::function<double()> read);
  // A counter kept elsewhere (a library's), read when rendered.
  void sampled_counter(const std::string& name, const std::string& help,
                       std::function<double()> read);

  // The text exposition of every family, in registration order.
  std::string render() const;

private:
  template <class F>
  F& get_or_add(const std::string& name, std::unique_ptr<F> made);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<family_base>> families_;
};

// The process's registry: what GET /metrics renders.
registry& default_registry();

} // namespace boxoffice::metrics
