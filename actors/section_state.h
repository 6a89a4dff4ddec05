// Every rule of a hold, in one class with no actors, I/O or clocks in it:
// which seats a hold may take, when it ends, what purchase and cancel do.
// The caller passes the current time into every operation and must call
// expire_due(now) before each one; an operation also treats a hold whose
// deadline has passed as expired, so the deadline, not message order,
// decides a race between expiry and purchase.
//
// Durability (docs/durability.md): seats are taken at once and given back
// only once durable. hold, extend and purchase take effect at once and can be
// undone if their commit fails; release and cancel end the hold or order at
// once but keep its seats until finish_release / finish_cancel (or put it
// back with undo_release / undo_cancel).
// REQUIRES: external synchronization (the section actor owns it).
#pragma once

#include "actors/domain.h"
#include "actors/errc.h"
#include "actors/limits.h"

#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace boxoffice {

// Checks the shape of a hold request before any seat is looked at: exactly
// one of seats or quantity, a positive count, at most max_seats_per_hold.
std::optional<errc> check_hold_shape(const std::vector<std::string>& seats, int32_t quantity,
                                     const reservation_limits& limits);

// The number of seats a well-shaped hold request asks for.
uint32_t requested_seats(const std::vector<std::string>& seats, int32_t quantity);

class section_state {
public:
  // REQUIRES: the layout passed check_layout.
  section_state(section_layout layout, const reservation_limits& limits);

  // Rebuilds a section from a snapshot. Holds past their deadline at `now`,
  // and older holds whose seats a sale or a newer hold took (possible only
  // after a commit whose outcome was lost), are left out and listed in
  // `expired`. Returns invalid_section if a record is malformed, an id
  // repeats, or two orders share a seat.
  // Takes the snapshot by value: the section's orders move out of it.
  static outcome<section_state> restore(section_snapshot snapshot,
                                        const reservation_limits& limits, timestamp_ms now,
                                        std::vector<hold_record>& expired);

  // All-or-nothing: either every seat is taken or none is. Seats given by
  // label, or (quantity > 0) picked best-available / counted for GA.
  outcome<hold_record> hold(customer_id customer, const std::vector<std::string>& seats,
                            int32_t quantity, timestamp_ms now);
  // Another hold_ttl_s from now, never past hold_max_lifetime_s from creation.
  outcome<hold_record> extend(hold_id id, customer_id customer, timestamp_ms now);
  // Ends the hold; its seats stay held until finish_release.
  outcome<hold_record> release(hold_id id, customer_id customer, timestamp_ms now);
  outcome<order_record> purchase(hold_id id, customer_id customer, timestamp_ms now);
  // Ends the order; its seats stay sold until finish_cancel. An order the
  // customer cancelled before is order_cancelled; one still being cancelled
  // (its commit in flight, it may yet be undone) is order_not_found.
  outcome<order_record> cancel(order_id id, customer_id customer);

  // The second half of a change, once its commit is known. Each takes the
  // id (and for undos the record) that the first half returned.
  void finish_release(hold_id id);
  void finish_cancel(order_id id);
  // Returns whether the hold was still live (an expiry may have ended it).
  bool undo_hold(hold_id id);
  // An extend to `extended_to` committed, or failed. A failed one takes the
  // deadline back to the last committed one, and only if no later extend
  // has moved it since: a failed extend never takes back a later one (which
  // commits after it: commits resolve in order), nor leaves a deadline that
  // no commit made.
  void extend_committed(hold_id id, timestamp_ms extended_to);
  void undo_extend(hold_id id, timestamp_ms extended_to);
  void undo_purchase(order_id order, const hold_record& hold);
  void undo_release(hold_id id);
  void undo_cancel(order_id id);
  outcome<hold_record> find_hold(hold_id id, customer_id customer, timestamp_ms now) const;

  // Ends every hold whose deadline is at or before now; returns them.
  std::vector<hold_record> expire_due(timestamp_ms now);
  // The earliest deadline of a live hold.
  std::optional<timestamp_ms> next_expiry() const;
  // Live holds whose deadline is after `now` and at most `now + window_ms`
  // (unless bought, released or extended first). O(log holds): the event
  // page reads it, so it ranks two keys in the deadline index, never a scan.
  uint32_t holds_expiring(timestamp_ms now, timestamp_ms window_ms) const;

  const section_layout& layout() const { return layout_; }
  // Row-major seat statuses of a reserved section; empty for GA.
  const std::vector<seat_status>& seats() const { return seats_; }
  section_stats stats() const;
  // Live holds and orders (plus id counters): the inverse of restore. The
  // server rebuilds sections from the database instead; the tests use this
  // to prove that restore reproduces the same books.
  void fill(section_snapshot& snapshot) const;

  // Aborts with a message if the state contradicts itself: free + held +
  // sold == capacity, no seat in two holds or orders, every index agrees.
  void check_invariants() const;

private:
  outcome<std::vector<uint32_t>> resolve_labels(const std::vector<std::string>& labels) const;
  outcome<std::vector<uint32_t>> pick(uint32_t quantity) const;
  outcome<const hold_record*> live_hold(hold_id id, customer_id customer,
                                        timestamp_ms now) const;
  void mark(const std::vector<uint32_t>& seats, seat_status from, seat_status to);
  void place(hold_record hold);  // marks its seats held, then index()
  void index(hold_record hold);  // a live hold whose seats are already held
  hold_record end_hold(hold_id id, hold_end why);
  void remember_end(hold_id id, customer_id customer, hold_end why);
  void place_order(order_record order);

  section_layout layout_;
  reservation_limits limits_;
  std::vector<seat_status> seats_;
  std::vector<uint32_t> free_per_row_;
  uint32_t held_ = 0;
  uint32_t sold_ = 0;
  std::unordered_map<hold_id, hold_record> holds_;
  // Holds with extends whose commit is not known yet: how many, and the
  // last deadline known committed (bounded by the commits in flight).
  struct extending {
    uint32_t in_flight = 0;
    timestamp_ms committed = 0;
  };
  std::unordered_map<hold_id, extending> extending_;
  // Live holds by deadline. An order-statistics tree (libstdc++'s policy
  // based data structures) rather than a std::set, so that counting the
  // holds due in a window is two ranks (holds_expiring), not a walk.
  using deadline_key = std::pair<timestamp_ms, hold_id>;
  using deadline_index =
    __gnu_pbds::tree<deadline_key, __gnu_pbds::null_type, std::less<deadline_key>,
                     __gnu_pbds::rb_tree_tag, __gnu_pbds::tree_order_statistics_node_update>;
  deadline_index deadlines_;
  std::unordered_map<order_id, order_record> orders_;
  // Ended but not yet durable: their seats are still taken.
  std::unordered_map<hold_id, hold_record> releasing_;
  std::unordered_map<order_id, order_record> cancelling_;
  // Cancelled and durable, seats cleared: a second cancel is order_cancelled.
  std::unordered_map<order_id, order_record> cancelled_;
  // Recently ended holds, so a late purchase learns why; oldest forgotten first.
  struct ended_hold {
    customer_id customer;
    hold_end why;
  };
  std::unordered_map<hold_id, ended_hold> ended_;
  std::deque<hold_id> ended_order_;
  hold_id next_hold_id_ = 1;
  order_id next_order_id_ = 1;
};

// Validates a new section's layout against the limits.
std::optional<errc> check_layout(const section_layout& layout, const reservation_limits& limits);

} // namespace boxoffice
