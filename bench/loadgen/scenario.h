// The scenarios: what each connection asks next and what it makes of the
// answer. A shopper is one connection's customer(s); the shoppers of one
// thread share its stats and its record of the sale, all shoppers share the
// stop flag, the request budget and which sections still have seats.
//
//   health    GET /v1/health, the HTTP ceiling
//   flash     best-available 1-seat hold, then its purchase, until sold out
//   spread    best-available 1-seat holds on a uniformly random section
//             until sold out; holds only, like the lock baseline it is
//             compared with (bench/lock_baseline/)
//   browse    seat maps of random sections and the event, half and half
//   mixed     80 % reads (as browse), 15 % 1-seat holds, 5 % purchases of
//             the shopper's oldest hold
//   quantity  best-available holds of 2-4 seats until no section fits 2
//   seat_map  seat maps of random sections (default: one of 1,000 seats)
//   seat_map_cached  the same, each sent with If-None-Match of the last
//             ETag this connection saw for that section: 304 is a success
//   event_page  GET of the event (default: 100 sections)
//
// A section answered not_enough_seats for q seats is asked for fewer than q
// from then on; a scenario that holds ends when no section fits its least.
#pragma once

#include "bench/loadgen/options.h"
#include "bench/loadgen/setup.h"
#include "bench/loadgen/stats.h"
#include "bench/loadgen/wire.h"

#include <atomic>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace boxoffice::loadgen {

// What the run saw, for the audit.
struct granted_hold {
  std::string id;  // "<event>-<section>-<n>"
  uint32_t section = 0;
  uint32_t quantity = 0;
  std::vector<std::string> seats;
};

struct acknowledged_order {
  std::string id;
  std::string hold_id;
  uint32_t section = 0;
  uint32_t quantity = 0;
  std::vector<std::string> seats;
};

struct sale_record {
  std::vector<granted_hold> holds;          // every 2xx hold
  std::vector<acknowledged_order> orders;   // every 2xx purchase
  uint64_t unknown_holds = 0;               // 503 request_timeout or no answer
  std::vector<std::string> unknown_purchases;  // hold ids, same
  void merge(sale_record&& other);
};

// Counters the progress line reads while the run goes on.
struct alignas(64) progress {
  std::atomic<uint64_t> answers{0};
  std::atomic<uint64_t> successes{0};
  std::atomic<uint64_t> errors{0};
};

struct shared_run {
  shared_run(const options& o, const sale& s);
  const options& opts;
  const sale& the_sale;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> requests{0};
  // Per section: the largest quantity that may still fit.
  std::unique_ptr<std::atomic<uint32_t>[]> fits;

  // A random section that may still fit `least` seats; -1 if none.
  int open_section(std::mt19937_64& rng, uint32_t least) const;
  void refused(std::size_t section, uint32_t quantity);
};

// One thread's part: its stats, record and progress, shared by its shoppers.
struct thread_part {
  run_stats stats;
  sale_record record;
  progress live;
};

class shopper : public wire_client {
public:
  shopper(shared_run& run, thread_part& part, uint32_t index);
  bool next_request(std::string& request) override;
  void on_response(const wire_response& response, wire_clock::duration latency) override;

private:
  struct own_hold {
    std::string id;
    uint32_t customer = 0;
  };
  struct pending {
    op kind = op::health;
    std::size_t section = 0;  // index into the sale's sections
    uint32_t quantity = 0;
    own_hold hold;            // a purchase's hold; a hold's customer
  };

  bool plan(pending& p);
  bool plan_hold(pending& p, uint32_t least, uint32_t most);
  void plan_read(pending& p);
  std::string format(const pending& p);
  void on_success(const wire_response& r);
  void on_failure(const wire_response& r, const std::string& code);

  shared_run& run_;
  thread_part& part_;
  uint32_t index_;
  uint32_t next_customer_;
  std::mt19937_64 rng_;
  std::deque<own_hold> holds_;  // granted, not yet bought (flash, mixed)
  pending now_;
  uint64_t keys_ = 0;
  std::string event_path_;
  std::vector<std::string> etags_;  // per section, the last ETag seen (seat_map_cached)
};

} // namespace boxoffice::loadgen
