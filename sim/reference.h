// The reference model: what one section and its event must answer, as plain
// sequential code written again from the rules (the comments of
// actors/section_state.h, seat_picker.h, event_state.h, docs/durability.md),
// sharing no code with the actors: no section_state, event_state, seat
// picker or label code is called here. The simulator feeds it every message
// in the order the real actors handle them (sim/watch.cpp) and compares
// every reply with its answer; a difference fails the run.
//
// Durability as the rules state it: a hold, extend and purchase take effect
// at once and are undone if their commit fails; a release and a cancel end
// the hold or order at once but keep its seats until the commit is known.
// REQUIRES: one caller (the simulator's step loop).
#pragma once

#include "actors/errc.h"
#include "actors/limits.h"
#include "actors/protocol.h"
#include "sim/sim_store.h"

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace boxoffice::sim {

struct model_hold {
  hold_id id = 0;
  customer_id customer = 0;
  std::vector<uint32_t> seats;  // ascending; empty in general admission
  uint32_t quantity = 0;
  timestamp_ms created_at = 0;
  timestamp_ms expires_at = 0;
};

struct model_order {
  order_id id = 0;
  customer_id customer = 0;
  hold_id from_hold = 0;
  std::vector<uint32_t> seats;
  uint32_t quantity = 0;
  timestamp_ms created_at = 0;
};

// What a request must get: a refusal, a hold or an order.
struct model_reply {
  std::optional<errc> refused;
  bool is_order = false;
  hold_info hold;
  order_info order;
};

enum class model_op : uint8_t { hold, extend, release, purchase, cancel };

// A change the section made at once, waiting for its commit.
struct model_change {
  model_op op = model_op::hold;
  model_hold hold;               // hold, extend (before), release, purchase (the hold bought)
  model_order order;             // purchase, cancel
  timestamp_ms previous_expires_at = 0;  // extend
  model_reply answer;            // what the client gets if it commits
};

class section_model {
public:
  section_model(event_id event, const section_info& info, const reservation_limits& limits);

  // The section as it starts from the store's books at `now`: orders, then
  // holds newest first, each claiming its seats if they are free and its
  // deadline has not passed (else it is ended as expired).
  void restore(const stored_section& stored, timestamp_ms now);

  // Ends every live hold whose deadline is at or before now, earliest first.
  void expire_due(timestamp_ms now);

  // The first half of each write: a refusal, or the change made at once.
  std::variant<errc, model_change> hold(customer_id customer,
                                        const std::vector<std::string>& labels,
                                        int32_t quantity, timestamp_ms now);
  std::variant<errc, model_change> extend(hold_id id, customer_id customer, timestamp_ms now);
  std::variant<errc, model_change> release(hold_id id, customer_id customer, timestamp_ms now);
  std::variant<errc, model_change> purchase(hold_id id, customer_id customer, timestamp_ms now);
  std::variant<errc, model_change> cancel(order_id id, customer_id customer);

  // The second half: the reply once committed, or the undo.
  model_reply committed(const model_change& c, timestamp_ms now);
  void failed(const model_change& c);

  // What the section must report to its event, in order.
  std::deque<customer_delta> deltas;

  section_stats stats() const;
  const std::vector<uint8_t>& seats() const { return seats_; }  // 0 free, 1 held, 2 sold
  std::string label(uint32_t seat) const;

private:
  std::optional<errc> live(hold_id id, customer_id customer, timestamp_ms now) const;
  std::optional<std::vector<uint32_t>> best_available(uint32_t quantity) const;
  void take(const std::vector<uint32_t>& seats, uint8_t from, uint8_t to);
  void end(hold_id id, hold_end why);
  void remember(hold_id id, customer_id customer, hold_end why);
  hold_info info_of(const model_hold& h) const;
  order_info info_of(const model_order& o) const;

  event_id event_;
  section_info info_;
  reservation_limits limits_;
  std::vector<uint8_t> seats_;
  std::vector<uint32_t> free_in_row_;
  std::map<std::string, uint32_t> by_label_;
  uint32_t held_ = 0, sold_ = 0;
  std::map<hold_id, model_hold> holds_;
  std::set<std::pair<timestamp_ms, hold_id>> deadlines_;
  std::map<hold_id, model_hold> releasing_;
  std::map<order_id, model_order> orders_, cancelling_;
  std::map<order_id, customer_id> cancelled_;
  std::map<hold_id, std::pair<customer_id, hold_end>> ended_;
  std::deque<hold_id> ended_order_;
  hold_id next_hold_ = 1;
  order_id next_order_ = 1;
};

// The event's part: the per-customer quotas, reserved when a hold is
// admitted and given back by the sections' reports.
class event_model {
public:
  void restore(const stored_event& stored);
  std::optional<errc> admit(const event_info& info, const reservation_limits& limits,
                            customer_id customer, section_id section,
                            const std::vector<std::string>& seats, int32_t quantity);
  // Empty, or why the report is wrong (it would make a quota negative).
  std::string apply(const customer_delta& d);

private:
  struct usage {
    int64_t holds = 0, tickets = 0;
  };
  std::map<customer_id, usage> usage_;
};

// The shape rules of a hold request, as the event and the section check them.
std::optional<errc> model_hold_shape(const std::vector<std::string>& seats, int32_t quantity,
                                     const reservation_limits& limits);

// Empty if the reply equals the model's, else what differs.
std::string compare(const model_reply& want, const hold_info& got);
std::string compare(const model_reply& want, const order_info& got);

} // namespace boxoffice::sim
