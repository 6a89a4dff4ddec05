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
// - Listening: every status request (a poll, or the poll of the entry's
//   event stream) counts. A waiter not heard from for abandon_after_s is
//   skipped when its turn comes (away), without using the slot, so the
//   live ones behind keep the full rate. It keeps its rank: coming back
//   within return_grace_s of the skip puts it back in line at that rank,
//   ahead of everyone still waiting (next in line). After the grace it is
//   abandoned (ended; a new join gets a place at the back). At most
//   skips_per_round_max skips per round bound a round's work.
// - Last-seen stamps are not durable (a status poll must not cost a
//   commit): after a restart every entry counts as seen at the restart,
//   which errs towards the waiter (streams need a moment to reconnect).
//   Skips, returns and abandonments are: each changes the entry (tick,
//   look, join report it), an away entry keeps its skip time in ended_at,
//   so after a restart it is still away and its grace runs on.
// - The estimated wait of the n-th in line is the later of two times: when
//   the rate lets n through (measured: admissions per second over the last
//   minute of seconds in which admission was not held back by the stock;
//   the configured rate before there are rate_window_min_s such seconds),
//   and when the stock can serve n (shoppers the free seats serve now,
//   then the seats of live holds as they expire, each counted at the chance
//   that a hold of its age is not bought, learnt from holds a whole hold
//   lifetime old; past the known holds, generations of one hold lifetime,
//   each the unbought share of the one before). Before the draw: the time
//   to the opening.
// - What a waiter is shown moves only when the estimate is off by more
//   than 5 % (or 1 s), and never rises by more than 20 % (or 1 s, the
//   estimate being whole seconds) over the last value shown to it, unless
//   the settings changed in between. Not durable either: after a restart
//   the first value shown is the estimate itself.
// - Sold out (no free seat, no live hold): the waiters listening at that
//   instant are counted; the time until the last of them was shown sold
//   out is reported once (take_sold_out_told_ms), or after abandon_after_s
//   without the rest (they were not listening after all).
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
  uint32_t abandon_after_s = 60;        // not heard from this long: skipped at its turn
  uint32_t return_grace_s = 300;        // a skipped waiter may come back this long
};

// What the event knows of its stock when the room admits.
struct stock_view {
  uint64_t free_seats = 0;  // capacity minus held and sold
  uint64_t live_holds = 0;
  uint64_t capacity = 0;
  // Whether an admitted customer holds or bought seats (then its seats are
  // no longer free, and nothing more is set aside for it).
  std::function<bool(customer_id)> holding;
  // When a hold that went past its expiry without ending (extended) is due
  // next: reservation.hold_ttl_s.
  uint32_t hold_ttl_s = 600;
};

// What a waiter sees of its entry.
struct queue_view {
  queue_entry entry;
  uint64_t position = 0;  // 1: next in line; 0 when not in line (or not drawn)
  uint64_t ahead = 0;
  uint64_t eta_s = 0;
  bool sold_out = false;
  std::string pass;       // while admitted
  bool returned = false;  // look() put this away entry back in line (journal it)
};

class waiting_room {
public:
  waiting_room(event_id event, waiting_room_limits limits, std::shared_ptr<const pass_keys> keys);
  ~waiting_room();
  waiting_room(waiting_room&&) noexcept;
  waiting_room& operator=(waiting_room&&) noexcept;

  // Bounds a round's skips of waiters who stopped listening.
  static constexpr uint32_t skips_per_round_max = 10000;
  // Seconds of admission history before the measured rate is used.
  static constexpr uint32_t rate_window_min_s = 5;

  // `now`: every restored entry counts as seen then (stamps are not stored).
  void restore(queue_settings settings, std::vector<queue_entry> entries, timestamp_ms now = 0);

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
    // The customer's away entry that this join ended (journal it with the new one).
    std::optional<queue_entry> ended;
    bool returned = false;  // the customer's away entry, back in line (journal it)
  };
  // `sale_closed`: the event's sale is over.
  outcome<joined> join(customer_id customer, timestamp_ms now, bool sale_closed);
  // Undoes a fresh join whose commit failed.
  void forget(uint64_t entry);

  // The entry with this id and secret (compared in constant time).
  const queue_entry* find(uint64_t entry, const std::string& secret) const;
  outcome<queue_entry> leave(uint64_t entry, const std::string& secret, timestamp_ms now);
  queue_view view(const queue_entry& e, timestamp_ms now) const;
  // The waiter of this entry asked for it (a poll or its stream): it is
  // listening, back in line if away within the grace, and what it is shown
  // is recorded (the 20 % rule). nullopt: no entry with this id and secret.
  std::optional<queue_view> look(uint64_t entry, const std::string& secret, timestamp_ms now);

  // The event's holds, for the forecast of the stock: a hold admitted for
  // `customer` (due to expire at expires_at unless bought, released or
  // extended), and one ended (the customer's oldest is taken to be it).
  void hold_started(customer_id customer, uint32_t seats, timestamp_ms expires_at);
  void hold_ended(customer_id customer, bool bought);
  // Once per sold-out instant: ms from it until the last waiter listening
  // then was shown sold out.
  std::optional<int64_t> take_sold_out_told_ms();

  // One admission round: the draw when due, passes that expired, graces
  // that ended, then admissions and skips. Returns the entries it changed
  // (each to be journaled), and sets settings_changed
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
    uint64_t away = 0;            // skipped, within the grace
    uint64_t abandoned = 0;       // since this room was loaded
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
  // An entry with what the room knows of its waiter, none of it stored.
  struct room_entry : queue_entry {
    room_entry() = default;
    explicit room_entry(const queue_entry& e) : queue_entry(e) {}
    timestamp_ms seen_at = 0;
    timestamp_ms skipped_at = 0;
    uint64_t eta_shown_s = 0;
    uint32_t eta_epoch = 0;       // settings_epoch_ when shown; 0: never shown
    uint32_t tell_epoch = 0;      // sold-out instant it is still to be told of
  };
  struct forecast;  // the wait estimate's inputs (waiting_room.cpp)

  void set_state(room_entry& e, entry_state next);
  void rank(room_entry& e);
  uint64_t slot_us() const;
  bool admit_one(timestamp_ms now, std::vector<queue_entry>& changed, uint32_t& skips);
  uint64_t raw_eta_s(uint64_t ahead, timestamp_ms now) const;
  uint64_t shown_eta_s(const room_entry& e, uint64_t raw) const;
  void end_graces(timestamp_ms now, std::vector<queue_entry>& changed);
  void track_sold_out(timestamp_ms now);
  void plan_ahead(timestamp_ms now, const stock_view& stock, uint64_t servable,
                  uint64_t waiting_for_hold);
  void told(room_entry& e, timestamp_ms now);

  event_id event_;
  waiting_room_limits limits_;
  std::shared_ptr<const pass_keys> keys_;
  queue_settings settings_;
  std::unordered_map<uint64_t, room_entry> entries_;
  std::unordered_map<customer_id, uint64_t> by_customer_;
  std::map<uint64_t, uint64_t> line_;  // rank -> entry, the waiting ones
  std::vector<uint32_t> fenwick_;      // waiting ranks, for positions in O(log n)
  std::unordered_map<customer_id, uint64_t> admitted_;  // customer -> entry
  uint64_t next_entry_ = 1;
  uint64_t next_rank_ = 1;
  int64_t next_slot_us_ = 0;
  bool sold_out_ = false;
  counts counts_;
  uint32_t settings_epoch_ = 1;
  std::unique_ptr<forecast> forecast_;
};

} // namespace boxoffice
