// The event actor through the directory: races driven in every order,
// per-customer limits across sections, the sale window, and refusals that
// change nothing.
#include "actors/event_actor.h"
#include "tests/actor_fixture.h"

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {

reservation_limits small_limits() {
  reservation_limits l;
  l.max_tickets_per_customer = 5;
  l.max_holds_per_customer = 3;
  return l;
}

struct sale_fixture : test::event_fixture {
  section_id stalls = 0;
  section_id circle = 0;
  section_id standing = 0;

  sale_fixture() : event_fixture(small_limits()) {
    stalls = add_reserved(4, 10);
    circle = add_reserved(2, 6);
    standing = add_general(20);
    open_sale();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(event_actor, sale_fixture)

BOOST_AUTO_TEST_CASE(two_customers_race_for_one_seat_in_either_order) {
  for (bool a_first : {true, false}) {
    std::string seat = a_first ? "A-1" : "A-2";
    auto a = start<hold_info>(dir, hold_request{event, stalls, 1, {seat}, 0, {}, {}});
    auto a_client = last_client;
    auto b = start<hold_info>(dir, hold_request{event, stalls, 2, {seat}, 0, {}, {}});
    auto b_client = last_client;
    sched.prioritize(a_first ? a_client : b_client);
    sched.run_once();  // the chosen client's request reaches the directory first
    sched.run();
    BOOST_REQUIRE(a->has_value() && b->has_value());
    auto& winner = a_first ? **a : **b;
    auto& loser = a_first ? **b : **a;
    BOOST_CHECK(winner);
    BOOST_CHECK(code(loser) == errc::seat_unavailable);
  }
  BOOST_CHECK_EQUAL(stats(stalls).held, 2u);
}

BOOST_AUTO_TEST_CASE(many_customers_race_for_one_seat_exactly_one_wins) {
  std::vector<test::pending<hold_info>> answers;
  for (customer_id c = 1; c <= 50; ++c)
    answers.push_back(start<hold_info>(dir, hold_request{event, circle, c, {"B-6"}, 0, {}, {}}));
  sched.run();
  int wins = 0;
  for (auto& a : answers) {
    BOOST_REQUIRE(a->has_value());
    if (**a)
      ++wins;
    else
      BOOST_CHECK(code(**a) == errc::seat_unavailable);
  }
  BOOST_CHECK_EQUAL(wins, 1);
  BOOST_CHECK_EQUAL(stats(circle).held, 1u);
}

BOOST_AUTO_TEST_CASE(overlapping_holds_are_all_or_nothing) {
  BOOST_REQUIRE(hold(1, stalls, {"C-7"}));
  auto big = hold(2, stalls, {"C-5", "C-6", "C-7", "C-8", "C-9"});
  BOOST_CHECK(code(big) == errc::seat_unavailable);
  auto st = stats(stalls);
  BOOST_CHECK_EQUAL(st.held, 1u);
  BOOST_CHECK_EQUAL(st.free, 39u);
  BOOST_CHECK(hold(2, stalls, {"C-5", "C-6", "C-8", "C-9", "C-10"}));  // the rest stayed free
}

BOOST_AUTO_TEST_CASE(ticket_limit_spans_sections_and_follows_every_change) {
  auto h1 = hold(1, stalls, {"A-1", "A-2", "A-3"});
  auto h2 = hold_best(1, circle, 2);
  BOOST_REQUIRE(h1 && h2);
  BOOST_CHECK(code(hold_best(1, standing, 1)) == errc::limit_exceeded);
  // A purchase keeps the tickets counted.
  BOOST_REQUIRE(purchase(1, h1->ref));
  BOOST_CHECK(code(hold_best(1, standing, 1)) == errc::limit_exceeded);
  // A release gives them back.
  BOOST_REQUIRE(ask<hold_info>(dir, release_request{h2->ref, 1, {}}));
  auto h3 = hold_best(1, standing, 2);
  BOOST_REQUIRE(h3);
  BOOST_CHECK(code(hold_best(1, circle, 1)) == errc::limit_exceeded);
  // An expiry gives them back, with no client action.
  advance_time(600s);
  sched.run();
  BOOST_CHECK(hold_best(1, circle, 2));
  // Another customer was never affected.
  BOOST_CHECK(hold_best(2, circle, 5));
}

BOOST_AUTO_TEST_CASE(live_holds_per_customer_are_bounded) {
  BOOST_REQUIRE(hold_best(1, standing, 1));
  BOOST_REQUIRE(hold_best(1, standing, 1));
  BOOST_REQUIRE(hold_best(1, circle, 1));
  BOOST_CHECK(code(hold_best(1, stalls, 1)) == errc::too_many_holds);
}

BOOST_AUTO_TEST_CASE(refused_holds_give_the_quota_back) {
  BOOST_REQUIRE(hold(2, stalls, {"D-1"}));
  for (int i = 0; i < 10; ++i)
    BOOST_CHECK(code(hold(1, stalls, {"D-1"})) == errc::seat_unavailable);
  BOOST_CHECK(hold_best(1, stalls, 5));  // the whole limit is still there
}

BOOST_AUTO_TEST_CASE(bad_requests_are_refused_and_change_nothing) {
  struct bad_case {
    hold_request req;
    errc expected;
  };
  const bad_case cases[] = {
    {{event, stalls, 1, {"Z-1"}, 0, {}, {}}, errc::unknown_seat},
    {{event, stalls, 1, {"A-11"}, 0, {}, {}}, errc::unknown_seat},
    {{event, stalls, 1, {"A-1", "A-1"}, 0, {}, {}}, errc::invalid_request},
    {{event, stalls, 1, {"A-1"}, 2, {}, {}}, errc::invalid_request},
    {{event, stalls, 1, {}, 0, {}, {}}, errc::invalid_quantity},
    {{event, stalls, 1, {}, -3, {}, {}}, errc::invalid_quantity},
    {{event, stalls, 1, {}, 11, {}, {}}, errc::too_many_seats},
    {{event, standing, 1, {}, 21, {}, {}}, errc::too_many_seats},
    {{event, standing, 1, {"A-1"}, 0, {}, {}}, errc::invalid_request},
    {{event, 99, 1, {}, 1, {}, {}}, errc::section_not_found},
    {{event + 1, stalls, 1, {}, 1, {}, {}}, errc::event_not_found},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT("expected " << to_string(c.expected)) {
      BOOST_CHECK(code(ask<hold_info>(dir, c.req)) == c.expected);
    }
  }
  for (auto s : {stalls, circle, standing}) {
    auto st = stats(s);
    BOOST_CHECK_EQUAL(st.held + st.sold, 0u);
    BOOST_CHECK_EQUAL(st.free, st.capacity);
  }
  BOOST_CHECK(hold_best(1, stalls, 5));  // no quota leaked
}

BOOST_AUTO_TEST_CASE(general_admission_never_exceeds_capacity) {
  for (customer_id c = 1; c <= 4; ++c)
    BOOST_REQUIRE(hold_best(c, standing, 5));
  BOOST_CHECK(code(hold_best(5, standing, 1)) == errc::not_enough_seats);
  auto st = stats(standing);
  BOOST_CHECK_EQUAL(st.held, 20u);
  BOOST_CHECK_EQUAL(st.free, 0u);
}

BOOST_AUTO_TEST_CASE(release_then_another_customer_holds_the_seat) {
  auto h = hold(1, circle, {"A-3"});
  BOOST_REQUIRE(h);
  BOOST_CHECK(code(hold(2, circle, {"A-3"})) == errc::seat_unavailable);
  BOOST_REQUIRE(ask<hold_info>(dir, release_request{h->ref, 1, {}}));
  BOOST_CHECK(hold(2, circle, {"A-3"}));
  BOOST_CHECK(code(purchase(1, h->ref)) == errc::hold_released);
}

BOOST_AUTO_TEST_CASE(cancel_puts_seats_back_on_sale_at_once) {
  auto h = hold(1, circle, {"A-1", "A-2"});
  BOOST_REQUIRE(h);
  auto order = purchase(1, h->ref);
  BOOST_REQUIRE(order);
  BOOST_CHECK_EQUAL(order->total_cents, 2000);
  BOOST_CHECK(code(hold(2, circle, {"A-1"})) == errc::seat_unavailable);
  BOOST_CHECK(code(ask<order_info>(dir, cancel_request{order->ref, 2, {}})) == errc::order_not_found);
  BOOST_REQUIRE(ask<order_info>(dir, cancel_request{order->ref, 1, {}}));
  BOOST_CHECK(code(ask<order_info>(dir, cancel_request{order->ref, 1, {}})) == errc::order_cancelled);
  BOOST_CHECK(hold(2, circle, {"A-1"}));
  BOOST_CHECK(hold_best(1, circle, 5));  // the cancelled tickets left the quota
}

BOOST_AUTO_TEST_CASE(another_customers_hold_is_not_found) {
  auto h = hold(1, stalls, {"B-1"});
  BOOST_REQUIRE(h);
  BOOST_CHECK(code(ask<hold_info>(dir, hold_query{h->ref, 2})) == errc::hold_not_found);
  BOOST_CHECK(code(ask<hold_info>(dir, extend_request{h->ref, 2, {}})) == errc::hold_not_found);
  BOOST_CHECK(code(ask<hold_info>(dir, release_request{h->ref, 2, {}})) == errc::hold_not_found);
  BOOST_CHECK(code(purchase(2, h->ref)) == errc::hold_not_found);
  BOOST_CHECK(ask<hold_info>(dir, hold_query{h->ref, 1}));
}

BOOST_AUTO_TEST_CASE(event_view_counts_every_section) {
  BOOST_REQUIRE(hold(1, stalls, {"A-1", "A-2"}));
  auto h = hold_best(2, standing, 3);
  BOOST_REQUIRE(h && purchase(2, h->ref));
  auto v = ask<event_view>(dir, event_request{event});
  BOOST_REQUIRE(v);
  BOOST_REQUIRE_EQUAL(v->sections.size(), 3u);
  BOOST_CHECK_EQUAL(v->info.sections.size(), 3u);
  BOOST_CHECK_EQUAL(v->sections[0].held, 2u);
  BOOST_CHECK_EQUAL(v->sections[1].free, 12u);
  BOOST_CHECK_EQUAL(v->sections[2].sold, 3u);
  BOOST_CHECK(v->info.status == sale_status::on_sale);
}

// A crowd reading the event at once shares rounds of gathering; each one
// still gets every section's counts, as they are after it asked.
BOOST_AUTO_TEST_CASE(concurrent_views_are_all_answered_with_every_section) {
  std::vector<test::pending<event_view>> views;
  for (int i = 0; i < 20; ++i)
    views.push_back(start<event_view>(dir, event_request{event}));
  sched.run();
  for (auto& v : views) {
    BOOST_REQUIRE(v->has_value() && v->value());
    BOOST_CHECK_EQUAL(v->value()->sections.size(), 3u);
    BOOST_CHECK_EQUAL(v->value()->sections[0].free, 40u);
  }
  BOOST_REQUIRE(hold(1, stalls, {"B-1"}));
  auto after = ask<event_view>(dir, event_request{event});
  BOOST_REQUIRE(after);
  BOOST_CHECK_EQUAL(after->sections[0].held, 1u);
}

// A view that reaches an event after its stop has begun (sent by a holder
// of the event's own handle: the directory queues its requests behind the
// stop) is answered `overloaded`, to be retried, instead of never: its
// sections' counts would come back after the event has gone.
BOOST_AUTO_TEST_CASE(a_view_arriving_as_the_event_stops_is_turned_away) {
  auto snapshot = ask<event_snapshot>(loader, load_atom::value, event);
  BOOST_REQUIRE(snapshot);
  auto ev = spawn_event(sys, std::move(*snapshot), event_context{journal, limits, {}, {}, nullptr});
  auto stopped = start<stopped_atom>(ev, stop_atom::value);
  auto view = start<event_view>(ev, event_request{event});
  sched.run();
  BOOST_REQUIRE_MESSAGE(stopped->has_value(), "the stop was never answered");
  BOOST_CHECK(static_cast<bool>(stopped->value()));
  BOOST_REQUIRE_MESSAGE(view->has_value(), "the view was never answered");
  BOOST_CHECK(code(view->value()) == errc::overloaded);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(sale_window, test::event_fixture)

BOOST_AUTO_TEST_CASE(holds_only_while_on_sale) {
  auto s = add_reserved(2, 5);
  BOOST_CHECK(code(hold_best(1, s, 1)) == errc::sale_not_open);
  open_sale();
  auto h = hold_best(1, s, 2);
  BOOST_REQUIRE(h);
  BOOST_REQUIRE(ask<event_info>(dir, set_status_request{event, sale_status::closed}));
  BOOST_CHECK(code(hold_best(2, s, 1)) == errc::sale_not_open);
  // A hold admitted while on sale may still be bought until it expires.
  BOOST_CHECK(purchase(1, h->ref));
  BOOST_CHECK(code(ask<event_info>(dir, set_status_request{event, sale_status::on_sale}))
              == errc::invalid_transition);
  BOOST_CHECK(code(ask<section_info>(dir, add_section_request{event, "late",
                                                              reserved_layout(1, 1), 0, {}}))
              == errc::invalid_transition);
}

BOOST_AUTO_TEST_CASE(sections_are_bounded_and_validated) {
  reservation_limits l;
  BOOST_CHECK(code(ask<section_info>(dir, add_section_request{event, "empty",
                                                              reserved_layout(0, 10), 0, {}}))
              == errc::invalid_section);
  BOOST_CHECK(code(ask<section_info>(dir, add_section_request{event, "huge",
                                                              reserved_layout(1000, 1000), 0, {}}))
              == errc::invalid_section);
  BOOST_CHECK(code(ask<section_info>(dir, add_section_request{event, "neg",
                                                              general_layout(5), -1, {}}))
              == errc::invalid_section);
  for (uint32_t i = 0; i < l.max_sections_per_event; ++i)
    add_general(1);
  BOOST_CHECK(code(ask<section_info>(dir, add_section_request{event, "one more",
                                                              general_layout(1), 0, {}}))
              == errc::too_many_sections);
}

BOOST_AUTO_TEST_SUITE_END()
