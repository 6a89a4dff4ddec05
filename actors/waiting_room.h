// The waiting room of one event (issue 15): its line, its lottery, its
// admissions and the passes it issues. Plain C++ with no actors, HTTP or
// SQL in it; the event actor owns it, feeds it the time and the stock, and
// journals the entries it changes. REQUIRES: external synchronization.
//
// Rules, all checked in tests/waiting_room_test.cpp:
// - One entry per customer: joining again returns the same entry.
// - Joins before opens_at wait in a pre-queue; at opens_at they are ranked
//   in the lottery's order (draw_order: by SHA-256 of seed ":" entry id),
//   whose seed hash was public before. After that, first come first served.
// - Admissions are paced on a grid of 1/rate_per_s seconds: a tick admits
//   only slots that fell due since the previous slot, so no 1 s window gets
//   more than rate + 1 (while tick_ms <= 1000 / rate_per_s).
// - Never more than active_max admitted at once; never more shoppers than
//   the stock can serve: (free x stock_margin_pct / 100 - tickets_per_shopper
//   x admitted shoppers without a hold) / tickets_per_shopper, so nobody is
//   admitted once the event is sold out. Admission resumes by itself when
//   seats come back (holds expire, orders are cancelled).
// - A pass ends when its holder buys (used), leaves, or lets it expire.
#pragma once

#include "actors/admission_pass.h"
#include "actors/errc.h"
#include "actors/queue_domain.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

namespace boxoffice {

struct waiting_room_limits {
  uint32_t tick_ms = 100;               // longest time between two admission rounds
  uint32_t tickets_per_shopper = 2;     // seats set aside per admitted shopper
  uint32_t stock_margin_pct = 100;      // share of the free seats admitted against
  uint32_t refresh_after_s = 5;         // poll interval suggested to waiters
  uint32_t rate_per_s_max = 10000;      // bounds of the per-event settings
  uint32_t queue_length_max = 1000000;
  uint32_t pass_ttl_s_max = 7200;
};

// What the event knows of its stock when the room admits.
struct stock_view {
  uint64_t free_seats = 0;  // capacity minus held and sold
  uint64_t live_holds = 0;
  uint64_t capacity = 0;
  // Whether an admitted customer holds or bought seats (then its seats are
  // no longer free, and nothing more is set aside for it).
  std::function<bool(customer_id)> holding;
};

// What a waiter sees of its entry.
struct queue_view {
  queue_entry entry;
  uint64_t position = 0;  // 1: next in line; 0 when not in line (or not drawn)
  uint64_t ahead = 0;
  uint64_t eta_s = 0;
  bool sold_out = false;
  std::string pass;       // while admitted
};

class waiting_room {
public:
  waiting_room(event_id event, waiting_room_limits limits, std::shared_ptr<const pass_keys> keys);

  void restore(queue_settings settings, std::vector<queue_entry> entries);

  const queue_settings& settings() const { return settings_; }
  bool on() const { return settings_.mode != queue_mode::off; }
  const waiting_room_limits& limits() const { return limits_; }

  // `next` checked against the limits, with the lottery's seed kept (or made,
  // the first time a pre-queue is set up), or why not. Draws cannot be undone:
  // once drawn, opens_at stays.
  outcome<queue_settings> plan(queue_settings next) const;
  // REQUIRES: `s` came from plan().
  void configure(queue_settings s);

  struct joined {
    queue_entry entry;
    bool fresh = false;  // false: the customer's existing entry
  };
  // `sale_closed`: the event's sale is over.
  outcome<joined> join(customer_id customer, timestamp_ms now, bool sale_closed);
  // Undoes a fresh join whose commit failed.
  void forget(uint64_t entry);

  // The entry with this id and secret (compared in constant time).
  const queue_entry* find(uint64_t entry, const std::string& secret) const;
  outcome<queue_entry> leave(uint64_t entry, const std::string& secret, timestamp_ms now);
  queue_view view(const queue_entry& e, timestamp_ms now) const;

  // One admission round: the draw when due, passes that expired, then
  // admissions. Returns the entries it changed, and sets settings_changed
  // when the draw revealed the seed.
  std::vector<queue_entry> tick(timestamp_ms now, const stock_view& stock, bool& settings_changed);
  // How long until the next round should run.
  uint32_t tick_interval_ms() const;

  // Whether a hold by `customer` may go ahead with `pass` (the codes
  // queue_pass_*). REQUIRES: on().
  std::optional<errc> check_hold(const std::string& pass, customer_id customer,
                                 timestamp_ms now) const;
  // The customer bought: its pass is used and its slot free.
  std::optional<queue_entry> purchased(customer_id customer, timestamp_ms now);
  // The sale closed: every entry still in line or admitted is closed.
  std::vector<queue_entry> close(timestamp_ms now);

  struct counts {
    uint64_t pre_queue = 0;
    uint64_t waiting = 0;
    uint64_t admitted = 0;
    uint64_t admitted_total = 0;  // since this room was loaded
  };
  counts count() const { return counts_; }
  bool sold_out() const { return sold_out_; }
  std::string pass_of(const queue_entry& e) const;

  // The published commitment to a seed (hex SHA-256 of its bytes).
  static std::string seed_hash_of(const std::string& seed_hex);
  // The lottery: `entries` ordered by the hex SHA-256 of "<seed hex>:<id>".
  static std::vector<uint64_t> draw_order(const std::string& seed_hex,
                                          std::vector<uint64_t> entries);

private:
  void set_state(queue_entry& e, entry_state next);
  void rank(queue_entry& e);
  uint64_t slot_us() const;
  bool admit_one(timestamp_ms now, std::vector<queue_entry>& changed);

  event_id event_;
  waiting_room_limits limits_;
  std::shared_ptr<const pass_keys> keys_;
  queue_settings settings_;
  std::unordered_map<uint64_t, queue_entry> entries_;
  std::unordered_map<customer_id, uint64_t> by_customer_;
  std::map<uint64_t, uint64_t> line_;  // rank -> entry, the waiting ones
  std::vector<uint32_t> fenwick_;      // waiting ranks, for positions in O(log n)
  std::unordered_map<customer_id, uint64_t> admitted_;  // customer -> entry
  uint64_t next_entry_ = 1;
  uint64_t next_rank_ = 1;
  int64_t next_slot_us_ = 0;
  bool sold_out_ = false;
  counts counts_;
};

} // namespace boxoffice
