#include "bench/loadgen/stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace boxoffice::loadgen {

const char* to_string(op x) {
  switch (x) {
    case op::health: return "health";
    case op::event: return "event";
    case op::seat_map: return "seat_map";
    case op::hold: return "hold";
    case op::purchase: return "purchase";
  }
  return "?";
}

// Values below 2^sub_bits are exact; above, each power of two is split into
// 2^sub_bits equal steps.
std::size_t latency_histogram::bucket_of(uint64_t us) {
  if (us < (uint64_t{1} << sub_bits))
    return static_cast<std::size_t>(us);
  int msb = 63 - __builtin_clzll(us);
  int shift = msb - sub_bits;
  auto sub = (us >> shift) & ((uint64_t{1} << sub_bits) - 1);
  return (static_cast<std::size_t>(shift + 1) << sub_bits) + static_cast<std::size_t>(sub);
}

uint64_t latency_histogram::value_of(std::size_t bucket) {
  auto group = bucket >> sub_bits;
  auto sub = bucket & ((std::size_t{1} << sub_bits) - 1);
  if (group == 0)
    return sub;
  auto shift = group - 1;
  // The bucket's upper end, so quantiles never understate.
  return (((uint64_t{1} << sub_bits) + sub + 1) << shift) - 1;
}

void latency_histogram::add(uint64_t us) {
  ++counts_[std::min(bucket_of(us), buckets - 1)];
  ++count_;
  max_ = std::max(max_, us);
}

void latency_histogram::merge(const latency_histogram& other) {
  for (std::size_t i = 0; i < buckets; ++i)
    counts_[i] += other.counts_[i];
  count_ += other.count_;
  max_ = std::max(max_, other.max_);
}

uint64_t latency_histogram::quantile_us(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<uint64_t>(rank, 1);
  uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets; ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return std::min(value_of(i), max_);
  }
  return max_;
}

void op_stats::merge(const op_stats& other) {
  attempts += other.attempts;
  successes += other.successes;
  for (const auto& [what, n] : other.failures)
    failures[what] += n;
  latency.merge(other.latency);
}

void merge(run_stats& into, const run_stats& other) {
  for (std::size_t i = 0; i < op_count; ++i)
    into[i].merge(other[i]);
}

namespace {

double per_s(uint64_t n, double seconds) {
  return seconds > 0 ? static_cast<double>(n) / seconds : 0.0;
}

double ms(uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}

} // namespace

std::string stats_table(const run_stats& stats, double seconds) {
  std::string out;
  char line[256];
  std::snprintf(line, sizeof(line), "%-9s %10s %10s %11s %11s %8s %8s %8s %8s\n", "operation",
                "attempts", "successes", "attempts/s", "successes/s", "p50 ms", "p90 ms",
                "p99 ms", "max ms");
  out += line;
  for (std::size_t i = 0; i < op_count; ++i) {
    const auto& s = stats[i];
    if (s.attempts == 0)
      continue;
    std::snprintf(line, sizeof(line), "%-9s %10llu %10llu %11.0f %11.0f %8.2f %8.2f %8.2f %8.2f\n",
                  to_string(static_cast<op>(i)), static_cast<unsigned long long>(s.attempts),
                  static_cast<unsigned long long>(s.successes), per_s(s.attempts, seconds),
                  per_s(s.successes, seconds), ms(s.latency.quantile_us(0.5)),
                  ms(s.latency.quantile_us(0.9)), ms(s.latency.quantile_us(0.99)),
                  ms(s.latency.max_us()));
    out += line;
  }
  for (std::size_t i = 0; i < op_count; ++i)
    for (const auto& [what, n] : stats[i].failures) {
      std::snprintf(line, sizeof(line), "  %-9s %-36s %10llu\n", to_string(static_cast<op>(i)),
                    what.c_str(), static_cast<unsigned long long>(n));
      out += line;
    }
  return out;
}

nlohmann::json stats_json(const run_stats& stats, double seconds) {
  auto all = nlohmann::json::object();
  for (std::size_t i = 0; i < op_count; ++i) {
    const auto& s = stats[i];
    if (s.attempts == 0)
      continue;
    all[to_string(static_cast<op>(i))] = {
      {"attempts", s.attempts},
      {"successes", s.successes},
      {"attempts_per_s", per_s(s.attempts, seconds)},
      {"successes_per_s", per_s(s.successes, seconds)},
      {"latency_ms_p50", ms(s.latency.quantile_us(0.5))},
      {"latency_ms_p90", ms(s.latency.quantile_us(0.9))},
      {"latency_ms_p99", ms(s.latency.quantile_us(0.99))},
      {"latency_ms_p999", ms(s.latency.quantile_us(0.999))},
      {"latency_ms_max", ms(s.latency.max_us())},
      {"failures", s.failures},
    };
  }
  return all;
}

} // namespace boxoffice::loadgen
