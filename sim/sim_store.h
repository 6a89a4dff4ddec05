// The simulated database: an in-memory, deterministic store behind the
// journal's store interface (persistence/store.h), with fault switches. The
// data (sim_db) outlives the nodes that use it, as a database outlives a
// crashed process; every node makes its own sim_store handles onto it.
//
// It refuses what the SQL schema refuses (a seat sold twice: conflict), and
// it also reports to its observer what the schema would let through but a
// correct server never writes (a seat in two live holds, a purchase past the
// deadline, an answer kept twice...): the simulator fails on those.
#pragma once

#include "persistence/store.h"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace boxoffice::sim {

struct stored_hold {
  hold_record rec;
  bool live = true;
  hold_end why = hold_end::released;  // once !live
};

struct stored_order {
  order_record rec;  // seats kept after a cancel, for the checks
  bool cancelled = false;
};

struct stored_section {
  section_info info;
  std::map<hold_id, stored_hold> holds;
  std::map<order_id, stored_order> orders;
  std::vector<order_id> seat_order;  // reserved: the live order of each seat, 0 if none
  std::vector<hold_id> seat_hold;    // reserved: the latest hold of each seat, 0 if none
  std::map<hold_id, uint32_t> live;  // live holds and their quantity (GA capacity check)
  uint32_t sold = 0;                 // seats (or GA places) in live orders
};

// What one customer has in one event, kept as the changes arrive.
struct customer_books {
  std::vector<std::pair<section_id, hold_id>> holds;  // live
  uint32_t sold = 0;
};

struct stored_event {
  event_info info;  // sections live in `sections`
  std::map<section_id, stored_section> sections;
  std::map<customer_id, customer_books> customers;
  // The waiting room (migration 5): its settings and entries, by entry id.
  queue_settings queue;
  std::map<uint64_t, queue_entry> queue_entries;
};

// Switches the simulator turns; the store reads them on every call.
struct store_faults {
  // Called once per apply(); true: this commit fails (unavailable).
  std::function<bool()> fail_commit;
  // [from, to) in virtual ms: every call fails as if the database were down.
  timestamp_ms outage_from = 0;
  timestamp_ms outage_to = 0;
};

// What the store tells the simulator: a violated rule (the simulator fails
// the run) and each applied change (coverage, trace).
struct store_observer {
  std::function<void(const std::string& what)> violated;
  std::function<void(const change& c)> applied;
  std::function<void(const std::vector<change>& batch)> failed;  // a commit that threw
  std::function<timestamp_ms()> now;  // virtual wall-clock ms
};

class sim_db {
public:
  std::map<event_id, stored_event> events;
  std::map<std::pair<customer_id, std::string>, answer_saved> answers;
  store_faults faults;
  store_observer observer;
  uint64_t commits = 0;
  uint64_t failed_commits = 0;
  uint64_t refused_answers = 0;   // a second answer for a key refused (the retry lost the race)
  uint64_t expired_then_held = 0;  // coverage: a seat held again after its hold expired
  // The node generation that may write: a crashed node's actors may still
  // run a few queued messages in the simulator, but a dead process cannot
  // commit, so its handles are refused.
  uint64_t live_epoch = 0;

  // All or nothing, as one transaction would be.
  void apply(const std::vector<change>& batch);
  std::optional<event_snapshot> load(event_id id) const;

  const stored_section* section(event_id e, section_id s) const;
  // Seats (GA: places) of live holds alive at `now`.
  uint32_t held_alive(const stored_section& s, timestamp_ms now) const;
  // Tickets (holds alive at now + live orders) and live holds of a customer.
  std::pair<uint32_t, uint32_t> usage(event_id e, customer_id c, timestamp_ms now) const;
  bool outage(timestamp_ms now) const {
    return now >= faults.outage_from && now < faults.outage_to;
  }

private:
  void apply_one(const change& c);
  void end_live(stored_event& ev, stored_section& s, stored_hold& h, hold_end why);
  void violated(const std::string& what) const;
};

// One connection's view of the shared sim_db (what store_factory makes).
class sim_store : public store {
public:
  sim_store(sim_db& db, uint64_t epoch) : db_(db), epoch_(epoch) {}
  void apply(const std::vector<change>& batch) override;
  std::vector<event_id> event_ids() override;
  std::optional<event_snapshot> load_event(event_id id) override;

private:
  void check_outage();
  sim_db& db_;
  uint64_t epoch_;
};

} // namespace boxoffice::sim
