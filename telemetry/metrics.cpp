#include "telemetry/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace boxoffice::metrics {

namespace {

// Prometheus's number form: integers without a fraction, +Inf/-Inf/NaN spelled out.
std::string number(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

void add_atomic(std::atomic<double>& target, double delta) noexcept {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta, std::memory_order_relaxed))
    ;
}

void escape_into(std::string& out, const std::string& text, bool quotes) {
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
}

class sampled_family : public family_base {
public:
  sampled_family(std::string name, std::string help, const char* type,
                 std::function<double()> read)
      : family_base(std::move(name), std::move(help), {}), type_(type), read_(std::move(read)) {}

  void render(std::string& out) const override {
    render_header(out, type_);
    render_series(out, name_, {});
    std::lock_guard<std::mutex> guard{mutex_};
    out += ' ' + number(read_()) + '\n';
  }

  void replace(std::function<double()> read) {
    std::lock_guard<std::mutex> guard{mutex_};
    read_ = std::move(read);
  }

private:
  const char* type_;
  mutable std::mutex mutex_;
  std::function<double()> read_;
};

} // namespace

void gauge::add(double delta) noexcept {
  add_atomic(value_, delta);
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
    throw std::logic_error("histogram bounds must increase strictly");
  for (size_t i = 0; i <= bounds_.size(); ++i)
    buckets_[i].store(0, std::memory_order_relaxed);
}

void histogram::observe(double v) noexcept {
  auto i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v)
                               - bounds_.begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  add_atomic(sum_, v);
}

histogram::snapshot histogram::read() const {
  snapshot s;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

std::vector<double> latency_buckets_s() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
          0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 5, 10};
}

family_base::family_base(std::string name, std::string help, std::vector<std::string> label_names)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}

void family_base::render_header(std::string& out, const char* type) const {
  out += "# HELP " + name_ + ' ';
  escape_into(out, help_, false);
  out += "\n# TYPE " + name_ + ' ' + type + '\n';
}

void family_base::render_series(std::string& out, const std::string& series_name,
                                const label_values& values, const char* extra_label,
                                const std::string& extra_value) const {
  out += series_name;
  if (label_names_.empty() && extra_label == nullptr)
    return;
  out += '{';
  bool first = true;
  auto add = [&](const std::string& label, const std::string& value) {
    if (!first)
      out += ',';
    first = false;
    out += label + "=\"";
    escape_into(out, value, true);
    out += '"';
  };
  for (size_t i = 0; i < label_names_.size(); ++i)
    add(label_names_[i], i < values.size() ? values[i] : std::string{});
  if (extra_label != nullptr)
    add(extra_label, extra_value);
  out += '}';
}

template <class Metric>
std::shared_ptr<Metric> family<Metric>::with(const label_values& values) {
  if (values.size() != label_names_.size())
    throw std::logic_error("metric " + name_ + ": wrong number of label values");
  std::lock_guard<std::mutex> guard{mutex_};
  auto& child = children_[values];
  if (!child)
    child = make_();
  return child;
}

template <class Metric>
void family<Metric>::remove(const label_values& values) {
  std::lock_guard<std::mutex> guard{mutex_};
  children_.erase(values);
}

template <>
void family<counter>::render(std::string& out) const {
  render_header(out, "counter");
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& [values, c] : children_) {
    render_series(out, name_, values);
    out += ' ' + number(static_cast<double>(c->value())) + '\n';
  }
}

template <>
void family<gauge>::render(std::string& out) const {
  render_header(out, "gauge");
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& [values, g] : children_) {
    render_series(out, name_, values);
    out += ' ' + number(g->value()) + '\n';
  }
}

template <>
void family<histogram>::render(std::string& out) const {
  render_header(out, "histogram");
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& [values, h] : children_) {
    auto snap = h->read();
    const auto& bounds = h->bounds();
    for (size_t i = 0; i <= bounds.size(); ++i) {
      render_series(out, name_ + "_bucket", values, "le",
                    i < bounds.size() ? number(bounds[i]) : "+Inf");
      out += ' ' + number(static_cast<double>(snap.cumulative[i])) + '\n';
    }
    render_series(out, name_ + "_sum", values);
    out += ' ' + number(snap.sum) + '\n';
    render_series(out, name_ + "_count", values);
    out += ' ' + number(static_cast<double>(snap.cumulative.back())) + '\n';
  }
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

template <class F>
F& registry::get_or_add(const std::string& name, std::unique_ptr<F> made) {
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& f : families_) {
    if (f->name() != name)
      continue;
    if (auto* same = dynamic_cast<F*>(f.get()))
      return *same;
    throw std::logic_error("metric " + name + " registered twice with different types");
  }
  families_.push_back(std::move(made));
  return static_cast<F&>(*families_.back());
}

family<counter>& registry::counters(const std::string& name, const std::string& help,
                                    std::vector<std::string> label_names) {
  return get_or_add(name, std::make_unique<family<counter>>(name, help, std::move(label_names)));
}

family<gauge>& registry::gauges(const std::string& name, const std::string& help,
                                std::vector<std::string> label_names) {
  return get_or_add(name, std::make_unique<family<gauge>>(name, help, std::move(label_names)));
}

family<histogram>& registry::histograms(const std::string& name, const std::string& help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> bounds) {
  return get_or_add(name, std::make_unique<family<histogram>>(name, help, std::move(label_names),
                                                              std::move(bounds)));
}

// The latest reader wins: a server started again in the same process (tests)
// must not leave the registry reading the first one's objects.
void registry::sampled_gauge(const std::string& name, const std::string& help,
                             std::function<double()> read) {
  get_or_add(name, std::make_unique<sampled_family>(name, help, "gauge", read)).replace(read);
}

void registry::sampled_counter(const std::string& name, const std::string& help,
                               std::function<double()> read) {
  get_or_add(name, std::make_unique<sampled_family>(name, help, "counter", read)).replace(read);
}

std::string registry::render() const {
  std::string out;
  std::lock_guard<std::mutex> guard{mutex_};
  for (const auto& f : families_)
    f->render(out);
  return out;
}

registry& default_registry() {
  static registry instance;
  return instance;
}

} // namespace boxoffice::metrics
