// The durability contract through the whole actor path (directory, event,
// section, journal, committer, an SQLite file): every acknowledged change
// survives losing everything in memory; nothing unacknowledged is kept;
// while the database is away writes fail at once, reads go on, and the node
// recovers by itself when it returns.
#include "tests/actor_fixture.h"

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {

reservation_limits three_tickets() {
  reservation_limits l;
  l.max_tickets_per_customer = 3;
  return l;
}

struct sale : test::event_fixture {
  section_id stalls = 0;
  section_id standing = 0;

  sale() : event_fixture(three_tickets()) {
    stalls = add_reserved(3, 5);
    standing = add_general(10);
    open_sale();
  }

  std::vector<seat_status> seats(section_id s) {
    auto map = ask<seat_map>(dir, seat_map_request{event, s});
    BOOST_REQUIRE(map);
    return map->seats;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(durability, sale)

BOOST_AUTO_TEST_CASE(every_acknowledged_change_survives_a_crash) {
  auto kept = hold(1, stalls, {"A-1", "A-2"});
  auto bought = hold(2, stalls, {"B-3"});
  auto ga = hold_best(3, standing, 3);
  auto gone = hold(4, stalls, {"C-5"});
  BOOST_REQUIRE(kept && bought && ga && gone);
  auto order = purchase(2, bought->ref);
  auto ga_order = purchase(3, ga->ref);
  BOOST_REQUIRE(order && ga_order);
  BOOST_REQUIRE(ask<hold_info>(dir, release_request{gone->ref, 4, {}}));
  auto extended = ask<hold_info>(dir, extend_request{kept->ref, 1, {}});
  BOOST_REQUIRE(extended);
  auto map_before = seats(stalls);
  auto ga_before = stats(standing);

  crash_and_restart();

  BOOST_CHECK(seats(stalls) == map_before);
  auto ga_after = stats(standing);
  BOOST_CHECK_EQUAL(ga_after.sold, ga_before.sold);
  BOOST_CHECK_EQUAL(ga_after.free, ga_before.free);
  auto h = ask<hold_info>(dir, hold_query{kept->ref, 1});
  BOOST_REQUIRE(h);
  BOOST_CHECK_EQUAL(h->expires_at, extended->expires_at);
  // Released stays released: the restarted section no longer has the hold.
  BOOST_CHECK(code(purchase(4, gone->ref)) == errc::hold_not_found);
  // Quotas come back with the holds and orders: customer 1 holds 2 of 3.
  BOOST_CHECK(code(hold_best(1, standing, 2)) == errc::limit_exceeded);
  BOOST_CHECK(hold_best(1, standing, 1));
  // New ids never reuse old ones, and the restored order can still be cancelled.
  auto next = hold(5, stalls, {"C-1"});
  BOOST_REQUIRE(next);
  BOOST_CHECK_GT(next->ref.hold, gone->ref.hold);
  BOOST_CHECK(ask<order_info>(dir, cancel_request{order->ref, 2, {}}));
  // A cancel is remembered across a restart: repeated, it says so.
  crash_and_restart();
  BOOST_CHECK(code(ask<order_info>(dir, cancel_request{order->ref, 2, {}})) == errc::order_cancelled);
  auto v = ask<event_view>(dir, event_request{event});
  BOOST_REQUIRE(v);
  BOOST_CHECK(v->info.status == sale_status::on_sale);
  BOOST_CHECK_EQUAL(v->info.sections.size(), 2u);
}

BOOST_AUTO_TEST_CASE(while_the_database_is_away_writes_fail_fast_and_reads_go_on) {
  auto h = hold(1, stalls, {"A-1"});
  BOOST_REQUIRE(h);
  faults->fail = store_error::kind::unavailable;
  BOOST_CHECK(code(hold(2, stalls, {"A-2"})) == errc::storage_unavailable);
  BOOST_CHECK(code(purchase(1, h->ref)) == errc::storage_unavailable);
  BOOST_CHECK(code(ask<event_info>(dir, create_event_request{"new", "", "", 0, 0, {}}))
              == errc::storage_unavailable);
  BOOST_CHECK(code(ask<event_info>(dir, set_status_request{event, sale_status::closed}))
              == errc::storage_unavailable);
  // Reads of what is in memory still work.
  auto st = stats(stalls);
  BOOST_CHECK_EQUAL(st.held, 1u);
  BOOST_CHECK(ask<hold_info>(dir, hold_query{h->ref, 1}));
  BOOST_CHECK(ask<event_view>(dir, event_request{event}));
  faults->fail.reset();
  // Back without a restart, with nothing of the failures left behind.
  BOOST_CHECK(hold(2, stalls, {"A-2"}));
  BOOST_CHECK(hold_best(2, standing, 2));  // customer 2's quota was given back
  BOOST_CHECK(purchase(1, h->ref));
  crash_and_restart();
  BOOST_CHECK_EQUAL(stats(stalls).sold, 1u);
  BOOST_CHECK_EQUAL(stats(stalls).held, 1u);
  auto v = ask<event_view>(dir, event_request{event});
  BOOST_REQUIRE(v);
  BOOST_CHECK(v->info.status == sale_status::on_sale);  // the failed close never happened
}

BOOST_AUTO_TEST_CASE(holds_that_expired_while_the_node_was_down_are_released) {
  auto h = hold(1, stalls, {"A-1", "A-2", "A-3"});
  BOOST_REQUIRE(h);
  stop_directory();
  advance_time(601s);
  sched.run();
  start_directory();
  BOOST_CHECK(code(ask<hold_info>(dir, hold_query{h->ref, 1})) == errc::hold_expired);
  BOOST_CHECK_EQUAL(stats(stalls).held, 0u);
  BOOST_CHECK(hold_best(1, stalls, 3));  // and its quota is free again
}

BOOST_AUTO_TEST_CASE(a_lost_expiry_record_never_blocks_a_later_sale) {
  auto h = hold(1, stalls, {"A-1"});
  BOOST_REQUIRE(h);
  faults->fail = store_error::kind::unavailable;  // the expiry's record is lost
  advance_time(600s);
  sched.run();
  faults->fail.reset();
  auto later = hold(2, stalls, {"A-1"});
  BOOST_REQUIRE(later);
  BOOST_REQUIRE(purchase(2, later->ref));
  // The database still has the old hold as live, past its deadline; the
  // recovered section must not let it claim the sold seat.
  crash_and_restart();
  auto st = stats(stalls);
  BOOST_CHECK_EQUAL(st.sold, 1u);
  BOOST_CHECK_EQUAL(st.held, 0u);
}

BOOST_AUTO_TEST_CASE(an_event_that_cannot_be_loaded_is_retried_on_the_next_request) {
  BOOST_REQUIRE(hold(1, stalls, {"B-1"}));
  crash_and_restart();
  faults->fail = store_error::kind::unavailable;
  BOOST_CHECK(code(ask<section_stats>(dir, stats_request{event, stalls}))
              == errc::storage_unavailable);
  faults->fail.reset();
  BOOST_CHECK_EQUAL(stats(stalls).held, 1u);
}

BOOST_AUTO_TEST_SUITE_END()

// Graceful shutdown: flush_atom commits what the journal holds without
// waiting for its batch timer, and answers once nothing is left; the write
// that was waiting is answered too.
BOOST_FIXTURE_TEST_CASE(a_flush_commits_what_the_journal_holds_before_it_answers,
                        test::durable_fixture) {
  auto slow = spawn_journal(sys, journal_settings{512, 60000, 65536}, committer);
  event_info info;
  info.id = 77;
  info.title = "Flushed";
  auto write = start<committed_atom>(slow, journal_write{{event_saved{info}}, info.id, {}});
  sched.run();  // accepted; the batch waits for its timer, which does not fire
  BOOST_TEST(!write->has_value());
  BOOST_TEST(stored_events().empty());
  auto flushed = ask<committed_atom>(slow, flush_atom::value);
  BOOST_TEST(static_cast<bool>(flushed));
  BOOST_TEST_REQUIRE(write->has_value());
  BOOST_TEST(static_cast<bool>(write->value()));
  BOOST_TEST(stored_events() == std::vector<event_id>{77});
  // Empty: answered at once.
  BOOST_TEST(static_cast<bool>(ask<committed_atom>(slow, flush_atom::value)));
  caf::anon_send_exit(slow, caf::exit_reason::user_shutdown);
}

// A flush whose last commit failed says so: shutdown must not report a
// journal flushed when its writes were refused.
BOOST_FIXTURE_TEST_CASE(a_flush_reports_a_commit_that_failed, test::durable_fixture) {
  auto slow = spawn_journal(sys, journal_settings{512, 60000, 65536}, committer);
  event_info info;
  info.id = 78;
  info.title = "Not flushed";
  auto write = start<committed_atom>(slow, journal_write{{event_saved{info}}, info.id, {}});
  sched.run();
  faults->fail = store_error::kind::unavailable;
  auto flushed = ask<committed_atom>(slow, flush_atom::value);
  BOOST_CHECK(code(flushed) == errc::storage_unavailable);
  BOOST_TEST_REQUIRE(write->has_value());
  BOOST_CHECK(code(write->value()) == errc::storage_unavailable);
  BOOST_TEST(stored_events().empty());
  faults->fail.reset();
  caf::anon_send_exit(slow, caf::exit_reason::user_shutdown);
}
