// What one simulated sale is: the event's shape, the crowd and how it
// behaves, the limits, and the faults. A scenario comes from a preset
// (small, flash, soak) or a YAML file; the seed then derives what the
// preset leaves open (swarm faults, interleaving), so that `--seed S` alone
// names one run. print() shows every derived value, as the run starts.
#pragma once

#include "actors/limits.h"
#include "persistence/journal.h"

#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace boxoffice::sim {

// Each fault is off at 0.
struct fault_plan {
  double commit_fail = 0;             // probability that one commit fails
  uint32_t commit_latency_ms_max = 0; // each commit takes 0..this long
  uint32_t outage_at_s = 0;           // a store outage from this second of the sale...
  uint32_t outage_s = 0;              // ...lasting this long
  double crash_after_commit = 0;      // probability: the node dies after a commit, before its answer
  uint32_t node_crashes = 0;          // node crashes at random moments of the sale
  uint32_t actor_crashes = 0;         // the event actor, or one of its sections (which takes the
                                      // event with it: they are linked), killed; the rest runs on
  uint32_t clock_jumps = 0;           // forward jumps of the clock...
  uint32_t clock_jump_s_max = 0;      // ...of up to this long
  uint32_t client_timeout_ms = 0;     // clients give up after this long and retry (same key)
};

// How a customer behaves, as weights (they need not sum to 1).
struct behaviour_mix {
  double named = 3;     // names seats in a reserved section
  double best = 5;      // best available in a reserved section
  double general = 2;   // a quantity in general admission
  double abandon = 2;   // holds, then lets the hold expire
  double release = 1;   // holds, then releases
  double extend = 1;    // extends once, then buys
  double buy = 6;       // buys
  double cancel = 1;    // buys, then cancels the order
  double late = 1;      // buys in the last 5 ms before the hold's deadline
  uint32_t quantity_max = 4;
  uint32_t think_s_max = 60;  // between one answer and the next request
  uint32_t retries_max = 3;   // new tries after a refusal (other seats)
};

struct scenario {
  std::string name = "small";
  uint32_t reserved_sections = 1;
  uint32_t rows = 4;
  uint32_t seats_per_row = 5;
  uint32_t general_sections = 1;
  uint32_t general_capacity = 10;
  uint32_t customers = 40;
  uint32_t sale_s = 300;             // arrivals and actions happen within this window
  std::string arrival = "burst";     // burst: most arrive at the opening; uniform
  behaviour_mix behaviour;
  reservation_limits limits;
  journal_settings journal{64, 1, 65536, 4};  // 4 in flight, as on PostgreSQL
  double reorder = 0.5;              // probability the next actor is drawn, not the first ready
  double timer_race = 0.15;          // probability time moves while messages are pending
  uint64_t steps_max = 5'000'000;    // safety net: a run longer than this fails (no progress)
  uint32_t ops_max = 0;              // 0: no bound; else the crowd makes at most this many
                                     // requests (retries under the same key count once)
  fault_plan faults;
  std::string faults_name = "none";
};

// The named presets; throws std::invalid_argument for another name.
scenario preset(const std::string& name);
// A scenario file (YAML): any key of the preset it names (`base:`), see README.
scenario load_scenario(const std::string& path);

// Faults by name: none, swarm (each fault on or off, intensities drawn from
// the seed), or a comma list of commit_fail, latency, outage, crash,
// crash_after_commit, actor_crash, clock_jump, timeout, slow_disk (each on, intensity
// drawn).
void draw_faults(scenario& s, const std::string& faults, std::mt19937_64& rng);
// The interleaving knobs and the crowd's mix, jittered by the seed.
void draw_interleaving(scenario& s, std::mt19937_64& rng);

void print(std::ostream& out, const scenario& s);

} // namespace boxoffice::sim
