// What the load generator counts per operation: attempts, successes, each
// non-2xx answer by status and problem code, and latencies in a log-linear
// histogram (about 1.6 % resolution, bounded memory whatever the run's
// length). One op_stats per thread; merged at the end.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace boxoffice::loadgen {

enum class op : uint8_t { health, event, seat_map, hold, purchase };
constexpr std::size_t op_count = 5;
const char* to_string(op x);

// Latencies in microseconds, 64 linear steps per power of two.
class latency_histogram {
public:
  void add(uint64_t us);
  void merge(const latency_histogram& other);
  uint64_t count() const { return count_; }
  uint64_t max_us() const { return max_; }
  // The smallest recorded bucket value with at least `q` of the samples at
  // or below it (q in [0, 1]); 0 when empty.
  uint64_t quantile_us(double q) const;

private:
  static constexpr int sub_bits = 6;
  static constexpr std::size_t buckets = (64 - sub_bits + 1) << sub_bits;
  static std::size_t bucket_of(uint64_t us);
  static uint64_t value_of(std::size_t bucket);
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(buckets);
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

struct op_stats {
  uint64_t attempts = 0;
  uint64_t successes = 0;
  std::map<std::string, uint64_t> failures;  // "409 not_enough_seats", "0 transport" ...
  latency_histogram latency;

  void merge(const op_stats& other);
};

using run_stats = std::array<op_stats, op_count>;

void merge(run_stats& into, const run_stats& other);

// The table on stdout: one line per operation that was attempted, then the
// failures. `seconds`: the measured run's wall time.
std::string stats_table(const run_stats& stats, double seconds);
nlohmann::json stats_json(const run_stats& stats, double seconds);

} // namespace boxoffice::loadgen
