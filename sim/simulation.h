// The simulator: one sale, run deterministically from a seed on CAF's test
// coordinator in virtual time. The real directory, event, section and
// journal actors run; the database is sim_db (sim/sim_store.h); customers
// are driven as messages, not HTTP. The seed decides which ready actor runs
// next, when time moves relative to pending messages, what each customer
// does, and which faults fire. Invariants are checked after every step;
// the first broken one ends the run.
//
// Usable from a developer's own Boost.Test case:
//   auto s = boxoffice::sim::preset("small");
//   s.customers = 2; s.rows = 1; s.seats_per_row = 1;
//   auto r = boxoffice::sim::simulation{s, 7}.run();
//   BOOST_TEST(r.passed, r.report());
//
// Multi-node (follow-up): a node is the group of actors start_node() makes
// around the one sim_db; several nodes would each get their own group and
// the cluster's ownership store would live beside sim_db.
#pragma once

#include "sim/scenario.h"
#include "sim/sim_store.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace boxoffice::sim {

// "Sometimes" properties: each must happen in at least one CI seed.
struct coverage {
  uint64_t sold_out = 0;               // a section sold out
  uint64_t expired_then_held = 0;      // a seat's hold expired and the seat was held again
  uint64_t crash_after_commit = 0;     // the node died between a commit and its answer
  uint64_t idempotent_retry = 0;       // a retry got the first answer from the store
  uint64_t commit_failure_undone = 0;  // a failed commit was undone and refused
  uint64_t node_crashes = 0;
  uint64_t actor_crashes = 0;          // an event or section actor killed, the node running on
  uint64_t clock_jumps = 0;
  uint64_t client_timeouts = 0;
};

struct result {
  bool passed = false;
  std::string violation;       // empty if passed
  uint64_t failed_step = 0;
  std::vector<std::string> last;  // the last steps before the failure
  uint64_t steps = 0;
  uint64_t messages = 0;
  double virtual_s = 0;
  uint64_t trace = 0;          // hash of every step and every answer
  coverage cov;
  uint64_t holds = 0, orders = 0, refusals = 0, sold = 0, capacity = 0;
  uint64_t replies_checked = 0;  // replies compared with the reference model
  uint64_t ops = 0;              // requests the crowd made (a retry under the same key: one)
  std::string report() const;  // PASSED ... or the failure
};

class simulation {
public:
  simulation(scenario s, uint64_t seed);
  ~simulation();
  simulation(const simulation&) = delete;
  simulation& operator=(const simulation&) = delete;

  // Print every message in the last-steps list (slower; used to explain a failure).
  void render_messages(bool on);
  // Print every step as it happens (with render_messages: every message).
  void echo_steps(bool on);
  // A developer's own invariant, called after every step with the store:
  // a non-empty answer fails the run with it.
  void add_check(std::function<std::string(const sim_db&)> check);
  result run();
  const sim_db& db() const;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

// The scenario for (seed, scenario name or file, faults): the preset, then
// the seed's draws, in a fixed order.
scenario derive(uint64_t seed, const std::string& scenario_name, const std::string& faults);

// Shrinking: a failing (scenario, seed) run again with fewer customers, then
// fewer operations (ops_max), keeping each cut that still fails, at most
// runs_max runs. `prepare` is applied to every run (e.g. add_check).
// Another crowd draws other choices from the seed, so a smaller run may fail
// another way: `last` says how the smallest one failed.
struct shrunk {
  scenario smallest;  // == the input if nothing smaller failed
  result last;        // the smallest failing run's result
  uint32_t runs = 0;
  bool smaller = false;
};
shrunk shrink(const scenario& failing, uint64_t seed, const result& failed, uint32_t runs_max = 40,
              const std::function<void(simulation&)>& prepare = {});

} // namespace boxoffice::sim
