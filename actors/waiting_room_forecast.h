// What a waiting room knows and does not store (internal to the room's
// files, waiting_room*.cpp): the wait estimate's inputs (the measured rate
// and the event's holds, with how holds of each age end), the waiters it
// skipped, and who is still to be told of the last sold-out instant.
// The estimate itself: waiting_room_estimate.cpp. REQUIRES: owned by one
// waiting_room (external synchronization).
#pragma once

#include "actors/waiting_room.h"

#include <array>
#include <deque>
#include <map>

namespace boxoffice {

// Holds followed until a hold lifetime after their start, for how holds end.
constexpr size_t cohort_kept_max = 100000;

// The helpers the room's files share.
namespace room_detail {
std::string random_hex(size_t bytes);
inline bool in_line(entry_state s) {
  return s == entry_state::pre_queue || s == entry_state::waiting;
}
inline bool live(entry_state s) {
  return in_line(s) || s == entry_state::admitted || s == entry_state::away;
}
} // namespace room_detail

struct waiting_room::forecast {
  // Admissions per second over the last minute, and which seconds count
  // for the measured rate: open (not paused, drawn), still waiters after
  // the round (the line did not run dry) and not held back by the stock.
  std::array<uint32_t, 60> admitted{};
  std::array<bool, 60> open{}, dry{}, held{};
  int64_t second = 0;  // the last second written (Unix s)

  // The event's holds: expiry -> (seats, start), and each customer's in order.
  struct hold { uint32_t seats; timestamp_ms started; uint64_t seq; };
  using hold_map = std::multimap<timestamp_ms, hold>;
  hold_map holds;
  std::unordered_map<customer_id, std::deque<hold_map::iterator>> by_customer;
  timestamp_ms now = 0;  // of the last round
  uint32_t hold_ttl_s = 600;
  // How holds end, from those started a whole hold lifetime ago (all of
  // which have ended, so neither outcome is favoured by ending sooner):
  // how many came back unbought, and the ages at which the others were bought.
  struct cohort_hold { timestamp_ms started; timestamp_ms age = -1; bool bought = false; };
  std::map<uint64_t, cohort_hold> cohort;  // by start order, until a lifetime old
  uint64_t next_seq = 0;
  uint64_t matured_back = 0, matured_bought = 0;
  static constexpr size_t age_buckets = 32;
  std::array<uint64_t, age_buckets> bought_at_age{};  // by age / (lifetime / 32)
  static constexpr uint64_t matured_min = 10;  // before that, a prior

  // Holds a whole lifetime old are counted; one still live then (extended)
  // is left out.
  void mature(timestamp_ms ttl_ms);
  // The chance that a hold still live at `age` comes back unbought: of the
  // holds that reach that age, those that are not bought later. The prior:
  // half bought, at ages spread evenly over the lifetime.
  double back_chance(timestamp_ms age, timestamp_ms ttl_ms) const;

  // Built at most once a second by tick().
  timestamp_ms built_at = 0;
  uint32_t built_epoch = 0;
  double rate_per_s = 0;           // admissions per second the rate allows
  uint64_t servable = 0;           // shoppers the free seats serve now
  std::vector<std::pair<int64_t, uint64_t>> back;  // ms after built_at -> shoppers served by then
  double next_generation = 0;      // shoppers served in the lifetime after the known holds
  double back_share = 0;           // of a generation, the share that comes back

  // Skipped entries in the order of their skip: (skipped_at, entry).
  std::deque<std::pair<timestamp_ms, uint64_t>> skipped;

  // The last sold-out instant and who is still to be told of it.
  uint32_t sold_out_epoch = 0;
  bool telling = false, was_sold_out = false;
  timestamp_ms sold_out_at = 0, last_told = 0;
  uint64_t untold = 0, to_tell = 0;
  std::optional<int64_t> report;

  void record(int64_t now_ms, uint64_t n, bool is_open, bool is_dry, bool is_held);
  void forget_rate();
  // Admissions per second over the whole seconds that count (the current
  // one is still filling); 0 when fewer than `min_s` count.
  double measured(uint32_t min_s) const;
};

} // namespace boxoffice
