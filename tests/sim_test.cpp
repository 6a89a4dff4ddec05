// The simulator (sim/) as a developer uses it from Boost.Test: determinism
// (the same seed twice, the same trace), each fault on its own, and a
// hand-made scenario (two buyers, one seat). The CI seed set runs as its own
// CTest entry (boxoffice-sim ci).
#include "actors/section_state.h"
#include "sim/reference.h"
#include "sim/simulation.h"

#include <boost/test/unit_test.hpp>
#include <spdlog/spdlog.h>

#include <random>

using namespace boxoffice;

namespace {

struct quiet_logs {
  quiet_logs() { spdlog::set_level(spdlog::level::off); }
  ~quiet_logs() { spdlog::set_level(spdlog::level::info); }
};

// The refusal's code, or "ok" for a change made.
std::string code(const std::variant<errc, sim::model_change>& v) {
  return std::holds_alternative<errc>(v) ? to_string(std::get<errc>(v)) : "ok";
}

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
                            "actor_crash", "clock_jump", "timeout"}) {
    BOOST_TEST_CONTEXT(fault) {
      auto s = sim::derive(5, "small", fault);
      if (std::string{fault} == "crash_after_commit")
        s.faults.crash_after_commit = 0.2;  // surely once in a small sale
      auto r = sim::simulation{s, 5}.run();
      BOOST_TEST(r.passed, r.report());
      auto fired = r.cov.commit_failure_undone + r.cov.node_crashes + r.cov.crash_after_commit +
                   r.cov.actor_crashes + r.cov.clock_jumps + r.cov.client_timeouts;
      BOOST_TEST(r.replies_checked > 0u);  // the reference model judged the replies
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

// Shrinking, on a developer's own invariant that the sale breaks (nobody
// may own more than two tickets; the limit is six): the smaller run found
// still fails, and is smaller.
BOOST_AUTO_TEST_CASE(shrinking_finds_a_smaller_failing_run) {
  auto greedy = [](sim::simulation& sim) {
    sim.add_check([](const sim::sim_db& db) -> std::string {
      for (const auto& [eid, ev] : db.events)
        for (const auto& [cid, books] : ev.customers)
          if (books.sold > 2)
            return "customer " + std::to_string(cid) + " owns " + std::to_string(books.sold);
      return {};
    });
  };
  auto s = sim::derive(3, "small", "none");
  sim::simulation first{s, 3};
  greedy(first);
  auto failed = first.run();
  BOOST_TEST_REQUIRE(!failed.passed);
  auto small = sim::shrink(s, 3, failed, 40, greedy);
  BOOST_TEST_REQUIRE(small.smaller);
  BOOST_TEST(small.runs <= 40u);
  BOOST_TEST((small.smallest.customers < s.customers ||
              (small.smallest.ops_max > 0 && small.smallest.ops_max < failed.ops)));
  sim::simulation again{small.smallest, 3};
  greedy(again);
  auto r = again.run();
  BOOST_TEST(!r.passed);
  BOOST_TEST(r.violation == small.last.violation);
  BOOST_TEST(r.steps < failed.steps);
}

// The reference model on its own: the rules as the README states them.
BOOST_AUTO_TEST_CASE(reference_model_follows_the_rules) {
  reservation_limits limits;
  limits.hold_ttl_s = 10;
  limits.hold_max_lifetime_s = 25;
  section_info info{1, "R", section_layout{section_kind::reserved, 1, 5, 5}, 100};
  sim::section_model m{7, info, limits};
  // Best available: one seat in an empty row of five takes the centre.
  auto a = m.hold(1, {}, 1, 1000);
  BOOST_TEST_REQUIRE(std::holds_alternative<sim::model_change>(a));
  auto held = m.committed(std::get<sim::model_change>(a), 1001);
  BOOST_TEST(held.hold.seats == std::vector<std::string>{"A-3"});
  // Two more: A-1+A-2 and A-4+A-5 strand nothing and are as far from the centre: left wins.
  auto b = m.hold(2, {}, 2, 1002);
  BOOST_TEST_REQUIRE(std::holds_alternative<sim::model_change>(b));
  BOOST_TEST(std::get<sim::model_change>(b).answer.hold.seats ==
             (std::vector<std::string>{"A-1", "A-2"}));
  // A failed commit gives the seats back and the quota with it.
  m.deltas.clear();
  m.failed(std::get<sim::model_change>(b));
  BOOST_TEST(m.stats().held == 1u);
  BOOST_TEST_REQUIRE(m.deltas.size() == 1u);
  BOOST_TEST(m.deltas.front().tickets == -2);
  // Another customer cannot buy customer 1's hold; past its deadline nobody can.
  BOOST_TEST(code(m.purchase(held.hold.ref.hold, 2, 2000)) == "hold_not_found");
  m.expire_due(11'000);
  BOOST_TEST(code(m.purchase(held.hold.ref.hold, 1, 11'000)) == "hold_expired");
  // Extending stops at the maximum lifetime.
  auto c = m.hold(3, {"A-5"}, 0, 20'000);
  auto id = std::get<sim::model_change>(c).hold.id;
  m.committed(std::get<sim::model_change>(c), 20'000);
  auto e1 = m.extend(id, 3, 29'000);
  BOOST_TEST(std::get<sim::model_change>(e1).answer.hold.expires_at == 39'000);
  auto e2 = m.extend(id, 3, 38'000);
  BOOST_TEST(std::get<sim::model_change>(e2).answer.hold.expires_at == 45'000);
  BOOST_TEST(code(m.extend(id, 3, 40'000)) == "hold_lifetime_exceeded");
  BOOST_TEST(code(m.hold(4, {"A-5"}, 0, 40'000)) == "seat_unavailable");
}

// Two implementations written apart must agree: the reference model and
// section_state pick the same best-available seats, hold after hold, with
// holds ending at random (a disagreement is a bug in one of them).
BOOST_AUTO_TEST_CASE(reference_model_and_section_state_pick_the_same_seats) {
  reservation_limits limits;
  limits.hold_ttl_s = 1000;
  std::mt19937_64 rng{14};
  for (int round = 0; round < 30; ++round) {
    uint32_t rows = 1 + rng() % 6, per_row = 1 + rng() % 12;
    section_info info{1, "R", reserved_layout(rows, per_row), 100};
    sim::section_model model{1, info, limits};
    section_state real{info.layout, limits};
    std::vector<std::pair<hold_id, sim::model_change>> live;
    for (int op = 0; op < 60; ++op) {
      if (!live.empty() && rng() % 3 == 0) {  // one ends: released and committed
        auto k = rng() % live.size();
        auto [id, change] = live[k];
        live.erase(live.begin() + static_cast<long>(k));
        auto m = model.release(id, 1, 1);
        BOOST_TEST_REQUIRE(std::holds_alternative<sim::model_change>(m));
        model.committed(std::get<sim::model_change>(m), 1);
        BOOST_TEST_REQUIRE(bool(real.release(id, 1, 1)));
        real.finish_release(id);
        continue;
      }
      auto n = static_cast<int32_t>(1 + rng() % std::min<uint32_t>(per_row, 6));
      auto m = model.hold(1, {}, n, 1);
      auto r = real.hold(1, {}, n, 1);
      BOOST_TEST_CONTEXT("round " << round << " op " << op << " party of " << n) {
        BOOST_TEST_REQUIRE(std::holds_alternative<sim::model_change>(m) == bool(r));
        if (!r)
          continue;
        auto change = std::get<sim::model_change>(m);
        BOOST_TEST(change.hold.seats == r->seats);
        live.emplace_back(r->id, change);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
