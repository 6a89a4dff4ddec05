// The simulator (sim/) as a developer uses it from Boost.Test: determinism
// (the same seed twice, the same trace), each fault on its own, and a
// hand-made scenario (two buyers, one seat). The CI seed set runs as its own
// CTest entry (boxoffice-sim ci).
#include "sim/simulation.h"

#include <boost/test/unit_test.hpp>
#include <spdlog/spdlog.h>

using namespace boxoffice;

namespace {

struct quiet_logs {
  quiet_logs() { spdlog::set_level(spdlog::level::off); }
  ~quiet_logs() { spdlog::set_level(spdlog::level::info); }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(simulator, quiet_logs)

BOOST_AUTO_TEST_CASE(same_seed_twice_gives_the_same_trace_for_twenty_seeds) {
  for (uint64_t seed = 100; seed < 120; ++seed) {
    auto s = sim::derive(seed, "small", "swarm");
    auto first = sim::simulation{s, seed}.run();
    auto second = sim::simulation{s, seed}.run();
    BOOST_TEST_CONTEXT("seed " << seed) {
      BOOST_TEST(first.passed, first.report());
      BOOST_TEST(first.trace == second.trace);
      BOOST_TEST(first.steps == second.steps);
    }
  }
}

BOOST_AUTO_TEST_CASE(other_seeds_give_other_traces) {
  auto a = sim::simulation{sim::derive(1, "small", "none"), 1}.run();
  auto b = sim::simulation{sim::derive(2, "small", "none"), 2}.run();
  BOOST_TEST(a.passed);
  BOOST_TEST(b.passed);
  BOOST_TEST(a.trace != b.trace);
}

BOOST_AUTO_TEST_CASE(every_fault_alone_passes_and_fires) {
  for (const char* fault : {"commit_fail", "latency", "outage", "crash", "crash_after_commit",
                            "clock_jump", "timeout"}) {
    BOOST_TEST_CONTEXT(fault) {
      auto s = sim::derive(5, "small", fault);
      if (std::string{fault} == "crash_after_commit")
        s.faults.crash_after_commit = 0.2;  // surely once in a small sale
      auto r = sim::simulation{s, 5}.run();
      BOOST_TEST(r.passed, r.report());
      auto fired = r.cov.commit_failure_undone + r.cov.node_crashes + r.cov.crash_after_commit +
                   r.cov.clock_jumps + r.cov.client_timeouts;
      if (std::string{fault} != "latency")
        BOOST_TEST(fired > 0u);
    }
  }
}

// The kind of case a developer writes: two buyers want the one seat.
BOOST_AUTO_TEST_CASE(two_buyers_one_seat) {
  auto s = sim::preset("small");
  s.rows = 1;
  s.seats_per_row = 1;
  s.general_sections = 0;
  s.customers = 2;
  s.arrival = "uniform";
  s.sale_s = 5;
  s.behaviour = sim::behaviour_mix{};
  s.behaviour.named = 1;
  s.behaviour.best = 0;
  s.behaviour.quantity_max = 1;
  s.behaviour.abandon = s.behaviour.release = s.behaviour.extend = s.behaviour.cancel = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    sim::simulation sim{s, seed};
    auto r = sim.run();
    BOOST_TEST_CONTEXT("seed " << seed) {
      BOOST_TEST(r.passed, r.report());
      BOOST_TEST(r.orders <= 1u);  // never sold twice
      BOOST_TEST(r.sold <= 1u);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
