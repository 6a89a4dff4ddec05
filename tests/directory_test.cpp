// The directory: unknown events, idle events handed over and brought back
// with everything they had, and the bounded backlog while they move.
#include "tests/actor_fixture.h"

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {

reservation_limits two_tickets() {
  reservation_limits l;
  l.max_tickets_per_customer = 2;
  return l;
}

// Events stop after 60 s without traffic; the directory sweeps every 15 s.
struct idle_fixture : test::event_fixture {
  section_id s = 0;
  std::optional<hold_info> live;
  std::optional<order_info> sold;

  explicit idle_fixture(uint32_t backlog_max = 1024)
    : event_fixture(two_tickets(), 60, backlog_max) {
    s = add_reserved(3, 4);
    open_sale();
    live = *hold(1, s, {"A-1"});
    auto h = hold(2, s, {"B-1", "B-2"});
    sold = *purchase(2, h->ref);
  }

  // Lets the sweep find the event idle and run until it has stopped.
  void go_idle() {
    advance_time(61s);
    sched.run();
  }
};

struct tiny_backlog : idle_fixture {
  tiny_backlog() : idle_fixture(1) {}
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(directory, idle_fixture)

BOOST_AUTO_TEST_CASE(unknown_event_is_not_found) {
  BOOST_CHECK(code(ask<event_view>(dir, event_request{event + 1})) == errc::event_not_found);
  BOOST_CHECK(code(ask<seat_map>(dir, seat_map_request{0, 1})) == errc::event_not_found);
}

BOOST_AUTO_TEST_CASE(idle_event_stops_and_comes_back_with_everything) {
  auto running = sys.registry().running();
  go_idle();
  BOOST_CHECK_EQUAL(sys.registry().running(), running - 2);  // the event and its section
  auto h = ask<hold_info>(dir, hold_query{live->ref, 1});
  BOOST_REQUIRE(h);
  BOOST_CHECK_EQUAL(h->expires_at, live->expires_at);
  BOOST_CHECK_EQUAL(sys.registry().running(), running);
  auto st = stats(s);
  BOOST_CHECK_EQUAL(st.held, 1u);
  BOOST_CHECK_EQUAL(st.sold, 2u);
  BOOST_CHECK(code(hold(3, s, {"B-2"})) == errc::seat_unavailable);
  // Quotas are rebuilt from the holds and orders: both customers are at or
  // near the limit of two tickets.
  BOOST_CHECK(code(hold_best(1, s, 2)) == errc::limit_exceeded);
  BOOST_CHECK(code(hold_best(2, s, 1)) == errc::limit_exceeded);
  auto next = hold_best(1, s, 1);
  BOOST_REQUIRE(next);
  BOOST_CHECK_GT(next->ref.hold, live->ref.hold);
  // The order survived too: its owner can still cancel it.
  BOOST_CHECK(ask<order_info>(dir, cancel_request{sold->ref, 2, {}}));
}

BOOST_AUTO_TEST_CASE(holds_expire_while_their_event_is_stopped) {
  go_idle();
  advance_time(600s);
  sched.run();
  BOOST_CHECK(code(ask<hold_info>(dir, hold_query{live->ref, 1})) == errc::hold_expired);
  BOOST_CHECK_EQUAL(stats(s).held, 0u);
  BOOST_CHECK(hold_best(1, s, 2));  // the expired hold's quota came back too
}

BOOST_AUTO_TEST_CASE(traffic_keeps_an_event_running) {
  auto running = sys.registry().running();
  for (int i = 0; i < 8; ++i) {
    advance_time(30s);
    sched.run();
    BOOST_REQUIRE_EQUAL(sys.registry().running(), running);  // never stopped in between
    BOOST_REQUIRE(ask<section_stats>(dir, stats_request{event, s}));
  }
  BOOST_CHECK_EQUAL(sys.registry().running(), running);
}

BOOST_AUTO_TEST_CASE(requests_during_a_hand_over_wait_and_are_served) {
  advance_time(61s);
  sched.run_once();  // the directory sweeps and asks the event to stop
  auto during = start<hold_info>(dir, hold_query{live->ref, 1});
  sched.prioritize(last_client);
  sched.run_once();  // the client's request reaches the directory mid hand-over
  sched.run();
  BOOST_REQUIRE(during->has_value());
  BOOST_CHECK(**during);
}

BOOST_AUTO_TEST_CASE(a_hold_made_during_a_hand_over_is_not_lost) {
  advance_time(61s);
  sched.run_once();  // the directory sweeps and asks the event to stop
  auto during = start<hold_info>(dir, hold_request{event, s, 3, {"C-1"}, 0, {}, {}});
  sched.prioritize(last_client);
  sched.run_once();  // the hold reaches the directory mid hand-over
  sched.run();
  BOOST_REQUIRE(during->has_value() && **during);
  BOOST_CHECK(ask<hold_info>(dir, hold_query{(**during)->ref, 3}));
  BOOST_CHECK_EQUAL(stats(s).held, 2u);
}

BOOST_FIXTURE_TEST_CASE(the_backlog_is_bounded, tiny_backlog) {
  advance_time(61s);
  sched.run_once();
  auto first = start<hold_info>(dir, hold_query{live->ref, 1});
  sched.prioritize(last_client);
  sched.run_once();
  auto second = start<section_stats>(dir, stats_request{event, s});
  sched.prioritize(last_client);
  sched.run_once();
  sched.run();
  BOOST_REQUIRE(first->has_value() && second->has_value());
  BOOST_CHECK(**first);
  BOOST_CHECK(code(**second) == errc::overloaded);
}

BOOST_AUTO_TEST_SUITE_END()
