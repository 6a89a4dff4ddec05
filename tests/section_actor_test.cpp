// The section actor in virtual time: its timer ends holds at the deadline and
// not before, a purchase racing the expiry resolves by the deadline whatever
// the message order, every change for a customer reaches the owner, and the
// counts name the holds due in the next minute.
#include "actors/section_actor.h"
#include "persistence/store.h"
#include "tests/actor_fixture.h"

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {

struct section_fixture : test::durable_fixture {
  reservation_limits limits;  // hold_ttl_s 600, hold_max_lifetime_s 1800
  std::shared_ptr<std::vector<customer_delta>> deltas
    = std::make_shared<std::vector<customer_delta>>();
  section_info info{1, "Stalls", reserved_layout(5, 10), 2500};
  section_actor section;

  section_fixture() {
    // The rows a section's holds refer to.
    event_info e;
    e.id = 7;
    e.title = "Test";
    BOOST_REQUIRE(ask<committed_atom>(journal, journal_write{{event_saved{e}, section_added{7, info}}, 7, {}}));
    section_snapshot fresh;
    fresh.info = info;
    section = spawn(std::move(fresh));
  }

  section_actor spawn(section_snapshot snapshot) {
    auto owner = sys.spawn(test::record_deltas, deltas);
    auto s = spawn_section(self.ptr(), std::move(snapshot), section_context{7, owner, journal, limits, {}});
    sched.run();
    return s;
  }

  // The section as the database has it, as recovery would read it.
  section_snapshot stored() {
    auto e = ask<event_snapshot>(loader, load_atom::value, event_id{7});
    BOOST_REQUIRE(e);
    BOOST_REQUIRE_EQUAL(e->sections.size(), 1u);
    return e->sections[0];
  }

  caf::expected<hold_info> hold(customer_id c, std::vector<std::string> seats) {
    return ask<hold_info>(section, hold_request{7, 1, c, std::move(seats), 0, {}, {}});
  }

  section_stats stats() { return *ask<section_stats>(section, stats_request{7, 1}); }
};

bool same(const customer_delta& d, customer_id c, int32_t holds, int32_t tickets) {
  return d.customer == c && d.holds == holds && d.tickets == tickets;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(section_actor, section_fixture)

BOOST_AUTO_TEST_CASE(hold_answers_with_labels_price_and_deadline) {
  auto h = hold(1, {"B-3", "B-4"});
  BOOST_REQUIRE(h);
  BOOST_CHECK_EQUAL(h->ref.event, 7u);
  BOOST_CHECK_EQUAL(h->ref.section, 1u);
  BOOST_CHECK((h->seats == std::vector<std::string>{"B-3", "B-4"}));
  BOOST_CHECK_EQUAL(h->total_cents, 5000);
  BOOST_CHECK_EQUAL(h->expires_at - h->created_at, 600'000);
  BOOST_CHECK_EQUAL(h->created_at, now_ms());
  BOOST_CHECK_EQUAL(stats().held, 2u);
}

BOOST_AUTO_TEST_CASE(expiry_fires_at_the_ttl_and_not_before) {
  BOOST_REQUIRE(hold(1, {"A-1", "A-2"}));
  advance_time(600s - 1ms);
  sched.run();
  BOOST_CHECK_EQUAL(stats().held, 2u);
  BOOST_CHECK(deltas->empty());
  advance_time(1ms);
  sched.run();
  auto st = stats();
  BOOST_CHECK_EQUAL(st.held, 0u);
  BOOST_CHECK_EQUAL(st.free, 50u);
  BOOST_REQUIRE_EQUAL(deltas->size(), 1u);
  BOOST_CHECK(same(deltas->at(0), 1, -1, -2));
}

// The operator's "expiring in the next minute", in the actor's own time.
BOOST_AUTO_TEST_CASE(stats_count_the_holds_due_in_the_next_minute) {
  BOOST_REQUIRE(hold(1, {"A-1", "A-2"}));
  advance_time(30s);
  BOOST_REQUIRE(hold(2, {"B-1"}));
  BOOST_CHECK_EQUAL(stats().holds_expiring_60s, 0u);
  advance_time(510s - 1ms);  // the first is 60.001 s from its deadline
  BOOST_CHECK_EQUAL(stats().holds_expiring_60s, 0u);
  advance_time(1ms);
  BOOST_CHECK_EQUAL(stats().holds_expiring_60s, 1u);
  advance_time(30s);
  auto both = stats();
  BOOST_CHECK_EQUAL(both.holds_expiring_60s, 2u);  // holds, not seats
  BOOST_CHECK_EQUAL(both.held, 3u);
  advance_time(30s);  // the first expires
  sched.run();
  BOOST_CHECK_EQUAL(stats().holds_expiring_60s, 1u);
  auto map = ask<seat_map>(section, seat_map_request{7, 1, true});
  BOOST_REQUIRE(map);
  BOOST_CHECK_EQUAL(map->stats.holds_expiring_60s, 1u);
}

BOOST_AUTO_TEST_CASE(purchase_at_the_deadline_loses_whichever_message_comes_first) {
  // Order 1: the timer's message is queued before the purchase.
  auto h1 = hold(1, {"A-1"});
  // Order 2: the purchase is queued before the timer's message.
  auto h2 = hold(2, {"A-2"});
  BOOST_REQUIRE(h1 && h2);
  advance_time(600s - 1ms);
  sched.run();
  auto late2 = start<order_info>(section, purchase_request{h2->ref, 2, {}});
  sched.run_once();  // the client sends its purchase: it waits in the section's mailbox
  BOOST_CHECK_EQUAL(advance_time(1ms), 1u);  // now the expiry message queues behind it
  sched.run();
  auto late1 = ask<order_info>(section, purchase_request{h1->ref, 1, {}});
  BOOST_REQUIRE(late2->has_value());
  BOOST_CHECK(code(**late2) == errc::hold_expired);
  BOOST_CHECK(code(late1) == errc::hold_expired);
  auto st = stats();
  BOOST_CHECK_EQUAL(st.sold, 0u);
  BOOST_CHECK_EQUAL(st.free, 50u);
  BOOST_CHECK_EQUAL(deltas->size(), 2u);  // exactly one expiry each, no purchase
}

BOOST_AUTO_TEST_CASE(purchase_a_millisecond_early_wins_and_the_timer_changes_nothing) {
  auto h = hold(1, {"A-1"});
  BOOST_REQUIRE(h);
  advance_time(600s - 1ms);
  sched.run();
  auto order = ask<order_info>(section, purchase_request{h->ref, 1, {}});
  BOOST_REQUIRE(order);
  BOOST_CHECK((order->seats == std::vector<std::string>{"A-1"}));
  BOOST_CHECK_EQUAL(order->from_hold.hold, h->ref.hold);
  advance_time(1h);
  sched.run();
  BOOST_CHECK_EQUAL(stats().sold, 1u);
  BOOST_REQUIRE_EQUAL(deltas->size(), 1u);
  BOOST_CHECK(same(deltas->at(0), 1, -1, 0));
}

BOOST_AUTO_TEST_CASE(extend_moves_the_expiry_and_the_lifetime_caps_it) {
  auto h = hold(1, {"C-5"});
  BOOST_REQUIRE(h);
  advance_time(500s);
  sched.run();
  auto extended = ask<hold_info>(section, extend_request{h->ref, 1, {}});
  BOOST_REQUIRE(extended);
  BOOST_CHECK_EQUAL(extended->expires_at, h->created_at + 1'100'000);
  advance_time(100s);  // the original deadline passes
  sched.run();
  BOOST_CHECK_EQUAL(stats().held, 1u);
  advance_time(499s);
  sched.run();
  BOOST_CHECK_EQUAL(stats().held, 1u);
  BOOST_REQUIRE(ask<hold_info>(section, extend_request{h->ref, 1, {}}));  // to t0 + 1'699 s
  advance_time(500s);
  sched.run();
  auto capped = ask<hold_info>(section, extend_request{h->ref, 1, {}});
  BOOST_REQUIRE(capped);
  BOOST_CHECK_EQUAL(capped->expires_at, h->created_at + 1'800'000);
  auto again = ask<hold_info>(section, extend_request{h->ref, 1, {}});
  BOOST_CHECK(code(again) == errc::hold_lifetime_exceeded);
  advance_time(200s);  // t0 + 1'799 s: one second left
  sched.run();
  BOOST_CHECK_EQUAL(stats().held, 1u);
  advance_time(1s);
  sched.run();
  BOOST_CHECK_EQUAL(stats().held, 0u);
  BOOST_CHECK(code(ask<hold_info>(section, hold_query{h->ref, 1})) == errc::hold_expired);
}

// The event reserved quota for every hold it passed on: a refused hold gives
// it back, exactly once.
BOOST_AUTO_TEST_CASE(a_refused_hold_gives_its_quota_back) {
  BOOST_REQUIRE(hold(1, {"A-1"}));
  BOOST_CHECK(code(hold(2, {"A-1", "A-2"})) == errc::seat_unavailable);
  BOOST_CHECK(code(hold(3, {"Z-9"})) == errc::unknown_seat);
  BOOST_REQUIRE_EQUAL(deltas->size(), 2u);
  BOOST_CHECK(same(deltas->at(0), 2, -1, -2));
  BOOST_CHECK(same(deltas->at(1), 3, -1, -1));
}

BOOST_AUTO_TEST_CASE(release_and_cancel_report_to_the_owner) {
  auto a = hold(1, {"D-1", "D-2", "D-3"});
  auto b = hold(2, {"D-4"});
  BOOST_REQUIRE(a && b);
  BOOST_REQUIRE(ask<hold_info>(section, release_request{a->ref, 1, {}}));
  auto order = ask<order_info>(section, purchase_request{b->ref, 2, {}});
  BOOST_REQUIRE(order);
  BOOST_CHECK(code(ask<order_info>(section, cancel_request{order->ref, 1, {}}))
              == errc::order_not_found);
  BOOST_REQUIRE(ask<order_info>(section, cancel_request{order->ref, 2, {}}));
  BOOST_REQUIRE_EQUAL(deltas->size(), 3u);
  BOOST_CHECK(same(deltas->at(0), 1, -1, -3));
  BOOST_CHECK(same(deltas->at(1), 2, -1, 0));
  BOOST_CHECK(same(deltas->at(2), 2, 0, -1));
  BOOST_CHECK_EQUAL(stats().free, 50u);
}

BOOST_AUTO_TEST_CASE(seat_map_shows_each_seat) {
  auto h = hold(1, {"A-2"});
  BOOST_REQUIRE(h && ask<order_info>(section, purchase_request{h->ref, 1, {}}));
  BOOST_REQUIRE(hold(2, {"A-3"}));
  auto map = ask<seat_map>(section, seat_map_request{7, 1, true});
  BOOST_REQUIRE(map);
  BOOST_REQUIRE_EQUAL(map->seats.size(), 50u);
  BOOST_CHECK(map->seats[0] == seat_status::free);
  BOOST_CHECK(map->seats[1] == seat_status::sold);
  BOOST_CHECK(map->seats[2] == seat_status::held);
  BOOST_CHECK_EQUAL(map->section.name, "Stalls");
  BOOST_CHECK_EQUAL(map->stats.sold, 1u);
}

BOOST_AUTO_TEST_CASE(restored_holds_past_their_deadline_expire_at_once) {
  auto h = hold(1, {"E-1"});
  auto later = hold(2, {"E-2"});
  BOOST_REQUIRE(h && later);
  advance_time(10s);
  sched.run();
  auto snapshot = stored();
  BOOST_REQUIRE_EQUAL(snapshot.holds.size(), 2u);
  snapshot.holds[1].expires_at = now_ms() + 1000;  // customer 2's hold lasts 1 s more
  snapshot.holds[0].expires_at = now_ms() - 1;     // customer 1's is already over
  auto copy = spawn(snapshot);
  BOOST_CHECK(code(ask<hold_info>(copy, hold_query{h->ref, 1})) == errc::hold_expired);
  BOOST_REQUIRE(!deltas->empty());
  BOOST_CHECK(same(deltas->back(), 1, -1, -1));
  BOOST_CHECK(ask<hold_info>(copy, hold_query{later->ref, 2}));
  advance_time(1s);
  sched.run();
  BOOST_CHECK(same(deltas->back(), 2, -1, -1));
  auto fresh = ask<hold_info>(copy, hold_request{7, 1, 3, {"E-3"}, 0, {}, {}});
  BOOST_REQUIRE(fresh);
  BOOST_CHECK_GT(fresh->ref.hold, later->ref.hold);  // ids keep growing after a restore
}

BOOST_AUTO_TEST_CASE(each_hold_expires_on_its_own_timer_with_no_traffic) {
  BOOST_REQUIRE(hold(1, {"A-1"}));
  advance_time(100s);
  sched.run();
  BOOST_REQUIRE(hold(2, {"A-2"}));
  advance_time(500s);  // t0 + 600 s: the first deadline
  sched.run();
  BOOST_REQUIRE_EQUAL(deltas->size(), 1u);
  advance_time(100s);  // t0 + 700 s: the second; no message reached the section in between
  sched.run();
  BOOST_REQUIRE_EQUAL(deltas->size(), 2u);
  BOOST_CHECK(same(deltas->at(1), 2, -1, -1));
}

BOOST_AUTO_TEST_CASE(a_restored_section_arms_its_timer_before_any_message) {
  BOOST_REQUIRE(hold(1, {"E-1"}));
  auto snapshot = stored();
  snapshot.holds.at(0).expires_at = now_ms() + 1000;  // long before the original's deadline
  auto copy = spawn(snapshot);
  advance_time(1s);  // nothing is sent to the copy: only its own timer can end the hold
  sched.run();
  BOOST_REQUIRE_EQUAL(deltas->size(), 1u);
  BOOST_CHECK(same(deltas->at(0), 1, -1, -1));
}

BOOST_AUTO_TEST_CASE(a_new_hold_expires_before_a_longer_restored_one) {
  BOOST_REQUIRE(hold(1, {"E-1"}));
  auto snapshot = stored();
  snapshot.holds.at(0).expires_at = now_ms() + 3'600'000;  // promised under a longer, older ttl
  auto copy = spawn(snapshot);
  BOOST_REQUIRE(ask<hold_info>(copy, hold_request{7, 1, 2, {"E-2"}, 0, {}, {}}));
  advance_time(600s);
  sched.run();
  BOOST_CHECK(std::any_of(deltas->begin(), deltas->end(),
                          [](const customer_delta& d) { return same(d, 2, -1, -1); }));
}

BOOST_AUTO_TEST_CASE(every_acknowledged_change_is_in_the_database) {
  auto kept = hold(1, {"A-1", "A-2"});
  auto bought = hold(2, {"B-1"});
  auto dropped = hold(3, {"C-1"});
  BOOST_REQUIRE(kept && bought && dropped);
  BOOST_REQUIRE(ask<hold_info>(section, extend_request{kept->ref, 1, {}}));
  auto order = ask<order_info>(section, purchase_request{bought->ref, 2, {}});
  BOOST_REQUIRE(order);
  BOOST_REQUIRE(ask<hold_info>(section, release_request{dropped->ref, 3, {}}));
  auto snapshot = stored();
  BOOST_REQUIRE_EQUAL(snapshot.holds.size(), 1u);
  BOOST_CHECK_EQUAL(snapshot.holds[0].id, kept->ref.hold);
  BOOST_CHECK((snapshot.holds[0].seats == std::vector<uint32_t>{0, 1}));
  BOOST_REQUIRE_EQUAL(snapshot.orders.size(), 1u);
  BOOST_CHECK_EQUAL(snapshot.orders[0].id, order->ref.order);
  BOOST_CHECK((snapshot.orders[0].seats == std::vector<uint32_t>{10}));
  BOOST_REQUIRE(ask<order_info>(section, cancel_request{order->ref, 2, {}}));
  BOOST_CHECK(stored().orders.empty());
}

// Each failed commit is answered with the database's error, and the change
// is taken back: nothing is acknowledged that is not stored.
BOOST_AUTO_TEST_CASE(a_failed_hold_commit_frees_its_seats_and_gives_back_the_quota) {
  faults->fail = store_error::kind::unavailable;
  BOOST_CHECK(code(hold(1, {"A-1", "A-2"})) == errc::storage_unavailable);
  BOOST_CHECK_EQUAL(stats().held, 0u);
  BOOST_REQUIRE_EQUAL(deltas->size(), 1u);
  BOOST_CHECK(same(deltas->at(0), 1, -1, -2));
  faults->fail.reset();  // the database is back: no restart needed
  BOOST_CHECK(hold(2, {"A-1", "A-2"}));
  BOOST_CHECK_EQUAL(stored().holds.size(), 1u);
}

BOOST_AUTO_TEST_CASE(failed_release_purchase_extend_and_cancel_change_nothing) {
  auto h = hold(1, {"A-1"});
  auto bought = hold(2, {"A-2"});
  BOOST_REQUIRE(h && bought);
  auto order = ask<order_info>(section, purchase_request{bought->ref, 2, {}});
  BOOST_REQUIRE(order);
  deltas->clear();
  faults->fail = store_error::kind::unavailable;
  BOOST_CHECK(code(ask<hold_info>(section, release_request{h->ref, 1, {}})) == errc::storage_unavailable);
  BOOST_CHECK(code(ask<order_info>(section, purchase_request{h->ref, 1, {}})) == errc::storage_unavailable);
  BOOST_CHECK(code(ask<hold_info>(section, extend_request{h->ref, 1, {}})) == errc::storage_unavailable);
  BOOST_CHECK(code(ask<order_info>(section, cancel_request{order->ref, 2, {}})) == errc::storage_unavailable);
  BOOST_CHECK(deltas->empty());
  auto st = stats();
  BOOST_CHECK_EQUAL(st.held, 1u);
  BOOST_CHECK_EQUAL(st.sold, 1u);
  auto still = ask<hold_info>(section, hold_query{h->ref, 1});
  BOOST_REQUIRE(still);
  BOOST_CHECK_EQUAL(still->expires_at, h->expires_at);  // the extend was taken back
  faults->fail.reset();
  BOOST_CHECK(ask<order_info>(section, purchase_request{h->ref, 1, {}}));
  BOOST_CHECK(ask<order_info>(section, cancel_request{order->ref, 2, {}}));
}

// A commit slower than the hold's lifetime: the expiry ends the hold before
// the commit answers, so the client must not be told it has a hold.
BOOST_AUTO_TEST_CASE(a_hold_that_expires_while_its_commit_is_in_flight_is_not_acknowledged) {
  auto pending = start<hold_info>(section, hold_request{7, 1, 1, {"B-2"}, 0, {}, {}});
  sched.run_once();  // the client sends
  sched.run_once();  // the section places the hold and asks the journal
  advance_time(600s);  // the deadline passes before the journal has run
  sched.run();
  BOOST_REQUIRE(pending->has_value());
  BOOST_CHECK(code(**pending) == errc::hold_expired);
  BOOST_CHECK_EQUAL(stats().held, 0u);
  BOOST_REQUIRE_EQUAL(deltas->size(), 1u);  // the quota came back once, by the expiry
}

BOOST_AUTO_TEST_CASE(a_seat_being_released_is_not_free_until_the_release_is_stored) {
  auto h = hold(1, {"D-4"});
  BOOST_REQUIRE(h);
  auto releasing = start<hold_info>(section, release_request{h->ref, 1, {}});
  auto grabbing = start<hold_info>(section, hold_request{7, 1, 2, {"D-4"}, 0, {}, {}});
  sched.run();
  BOOST_REQUIRE(releasing->has_value() && grabbing->has_value());
  BOOST_CHECK(**releasing);
  BOOST_CHECK(code(**grabbing) == errc::seat_unavailable);  // it came while the commit was in flight
  BOOST_CHECK(hold(2, {"D-4"}));                             // and afterwards the seat is free
}

BOOST_AUTO_TEST_SUITE_END()
