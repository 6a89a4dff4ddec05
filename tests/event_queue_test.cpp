// The waiting room inside the event actor, on CAF's deterministic scheduler
// in virtual time: a join is durable and idempotent, the actor's own
// admission rounds admit at the rate and stop at the stock (sold out), the
// hold is refused without a pass and goes through with one, a restart
// (the event loaded again from the database) keeps every place, and a
// waiter who stopped polling is skipped and stored as away (a crash
// keeps it away, with its grace), then stored as abandoned once its grace
// is over.
#include "tests/actor_fixture.h"

#include "persistence/database.h"

#include <soci/session.h>

#include <boost/test/unit_test.hpp>

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {

struct queue_fixture : test::event_fixture {
  section_id ga = 0;
  queue_fixture() {
    ga = add_general(4);
    BOOST_REQUIRE(ask<event_info>(dir, set_status_request{event, sale_status::on_sale}));
  }

  queue_room_status configure(uint32_t rate, uint32_t active_max = 100) {
    queue_settings_request req;
    req.event = event;
    req.fields = queue_mode_field | queue_rate_field | queue_active_max_field;
    req.settings.mode = queue_mode::queue;
    req.settings.rate_per_s = rate;
    req.settings.active_max = active_max;
    auto r = ask<queue_room_status>(dir, req);
    BOOST_REQUIRE(r);
    return *r;
  }

  queue_status join(customer_id c) {
    auto r = ask<queue_status>(dir, queue_join_request{event, c, {}});
    BOOST_REQUIRE(r);
    return *r;
  }

  queue_status status(const queue_status& s) {
    auto r = ask<queue_status>(dir, queue_status_request{{event, s.entry.id, s.entry.secret}});
    BOOST_REQUIRE(r);
    return *r;
  }

  // A paused room at one admission a second, at most `active_max` shoppers.
  void pause_room(uint32_t active_max) {
    queue_settings_request req;
    req.event = event;
    req.fields = queue_mode_field | queue_rate_field | queue_active_max_field | queue_paused_field;
    req.settings.mode = queue_mode::queue;
    req.settings.rate_per_s = 1;
    req.settings.active_max = active_max;
    req.settings.paused = true;
    BOOST_REQUIRE(ask<queue_room_status>(dir, req));
  }

  // 65 s of virtual time in which only `live` poll (every 5 s), then the
  // room resumes for a second: whoever did not poll is skipped (away),
  // and the first live one is admitted.
  void only_these_poll_then_resume(const std::vector<queue_status>& live) {
    for (int s = 1; s <= 65; ++s) {
      advance_time(1s);
      sched.run();
      if (s % 5 == 0)
        for (const auto& l : live)
          status(l);
    }
    queue_settings_request req;
    req.event = event;
    req.fields = queue_paused_field;
    req.settings.paused = false;
    BOOST_REQUIRE(ask<queue_room_status>(dir, req));
    advance_time(1s);
    sched.run();
  }

  caf::expected<hold_info> hold_with(customer_id c, uint32_t n, const std::string& pass) {
    return ask<hold_info>(dir, hold_request{event, ga, c, {}, static_cast<int32_t>(n), {}, pass});
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(event_queue, queue_fixture)

BOOST_AUTO_TEST_CASE(joins_admissions_passes_and_sold_out_in_virtual_time) {
  // Off: holds need no pass.
  BOOST_CHECK(code(ask<queue_status>(dir, queue_join_request{event, 1, {}})) == errc::queue_off);
  configure(2);
  auto a = join(1);
  BOOST_CHECK(a.fresh);
  BOOST_CHECK(!join(1).fresh);
  BOOST_CHECK_EQUAL(join(1).entry.id, a.entry.id);
  auto b = join(2);
  auto c = join(3);
  BOOST_CHECK_EQUAL(status(c).position, 3u);
  BOOST_CHECK(code(hold_with(1, 2, "")) == errc::queue_pass_missing);
  // Rate 2/s: one admission per 500 ms of virtual time.
  advance_time(510ms);
  sched.run();
  auto admitted = [&] {
    int n = 0;
    for (const auto* s : {&a, &b, &c})
      n += status(*s).entry.state == entry_state::admitted;
    return n;
  };
  BOOST_CHECK_LE(admitted(), 1);
  advance_time(500ms);
  sched.run();
  BOOST_CHECK_EQUAL(admitted(), 2);
  // Two shoppers admitted against 4 seats at 2 each: the stock is spoken for.
  advance_time(2s);
  sched.run();
  BOOST_CHECK_EQUAL(admitted(), 2);
  BOOST_CHECK(status(c).entry.state == entry_state::waiting);
  // Alice buys her 2, Bob holds his 2: sold out, and Carol is never admitted.
  auto pass = status(a).pass;
  auto h = hold_with(1, 2, pass);
  BOOST_REQUIRE(h);
  BOOST_REQUIRE(ask<order_info>(dir, purchase_request{h->ref, 1, {}}));
  BOOST_CHECK(status(a).entry.state == entry_state::used);
  BOOST_CHECK(code(hold_with(1, 1, pass)) == errc::queue_pass_used);
  auto bob_hold = hold_with(2, 2, status(b).pass);
  BOOST_REQUIRE(bob_hold);
  BOOST_REQUIRE(ask<order_info>(dir, purchase_request{bob_hold->ref, 2, {}}));
  for (int i = 0; i < 20; ++i) {
    advance_time(500ms);
    sched.run();
  }
  BOOST_CHECK(status(c).entry.state == entry_state::waiting);
  BOOST_CHECK(status(c).sold_out);
  auto room = ask<queue_room_status>(dir, queue_settings_query{event});
  BOOST_REQUIRE(room);
  BOOST_CHECK(room->sold_out);
  BOOST_CHECK_EQUAL(room->admitted, 0u);
  BOOST_CHECK_EQUAL(room->admitted_total, 2u);
}

BOOST_AUTO_TEST_CASE(a_restart_keeps_every_place) {
  configure(1);
  std::vector<queue_status> joined;
  for (customer_id c = 1; c <= 5; ++c)
    joined.push_back(join(c));
  stop_directory();
  start_directory();
  for (size_t i = 0; i < joined.size(); ++i) {
    auto s = status(joined[i]);
    BOOST_CHECK_EQUAL(s.position, i + 1);
  }
  BOOST_CHECK(!join(3).fresh);
}


BOOST_AUTO_TEST_CASE(a_silent_waiter_is_skipped_then_stored_as_abandoned) {
  pause_room(100);
  auto silent = join(1);
  auto live = join(2);
  // A minute and more of silence from customer 1; customer 2 polls.
  only_these_poll_then_resume({live});
  BOOST_CHECK(status(live).entry.state == entry_state::admitted);
  auto room = ask<queue_room_status>(dir, queue_settings_query{event});
  BOOST_REQUIRE(room);
  BOOST_CHECK_EQUAL(room->waiting, 0u);  // skipped, not in line, not deleted
  // The grace (300 s by default) passes without customer 1.
  for (int s = 0; s < 310; ++s) {
    advance_time(1s);
    sched.run();
  }
  auto ref = queue_ref{event, silent.entry.id, silent.entry.secret};
  auto ended = ask<queue_status>(dir, queue_status_request{ref});
  BOOST_REQUIRE(ended);
  BOOST_CHECK(ended->entry.state == entry_state::abandoned);
  // Stored as abandoned (migration 6), so it stays ended and says why.
  crash_and_restart();
  auto stored = ask<queue_status>(dir, queue_status_request{ref});
  BOOST_REQUIRE(stored);
  BOOST_CHECK(stored->entry.state == entry_state::abandoned);
  BOOST_CHECK(join(1).fresh);  // a new place at the back
}

// A crash while a waiter is away: it comes back away (not waiting, where
// a restart would have let it be admitted unheard), and its return within
// the grace after the restart puts it next in line again, ahead of
// everyone who waited behind it.
BOOST_AUTO_TEST_CASE(a_crash_keeps_an_away_waiter_away_and_it_may_still_return) {
  pause_room(1);
  auto silent = join(1);
  std::vector<queue_status> live{join(2), join(3), join(4)};
  only_these_poll_then_resume(live);
  BOOST_REQUIRE(status(live[0]).entry.state == entry_state::admitted);
  auto ref = queue_ref{event, silent.entry.id, silent.entry.secret};
  crash_and_restart();
  auto room = ask<queue_room_status>(dir, queue_settings_query{event});
  BOOST_REQUIRE(room);
  BOOST_CHECK_EQUAL(room->waiting, 2u);  // 3 and 4; 1 is away
  auto after = ask<queue_status>(dir, queue_status_request{ref});
  BOOST_REQUIRE(after);
  // That status request was the waiter coming back: it is next in line.
  BOOST_CHECK(after->entry.state == entry_state::waiting);
  BOOST_CHECK_EQUAL(after->position, 1u);
  BOOST_CHECK_EQUAL(status(live[1]).position, 2u);
  // The return is stored too: after another crash it is still in line.
  sched.run();
  crash_and_restart();
  room = ask<queue_room_status>(dir, queue_settings_query{event});
  BOOST_REQUIRE(room);
  BOOST_CHECK_EQUAL(room->waiting, 3u);
  auto again = ask<queue_status>(dir, queue_status_request{ref});
  BOOST_REQUIRE(again);
  BOOST_CHECK(again->entry.state == entry_state::waiting);
  BOOST_CHECK_EQUAL(again->position, 1u);
}

// Without a status request after the restart, the away entry stays away:
// the room's count says so, and nothing admits it.
BOOST_AUTO_TEST_CASE(an_away_entry_comes_back_from_the_database_as_away) {
  pause_room(1);
  join(1);
  auto live = join(2);
  only_these_poll_then_resume({live});
  crash_and_restart();
  status(live);  // loads the event
  auto room = ask<queue_room_status>(dir, queue_settings_query{event});
  BOOST_REQUIRE(room);
  BOOST_CHECK_EQUAL(room->waiting, 0u);
  BOOST_CHECK_EQUAL(room->admitted, 1u);
  auto sql = open_session(url());
  BOOST_CHECK_EQUAL(
    query_number(*sql, "select count(*) from queue_entries where state = 'away'").value_or(0), 1);
}

BOOST_AUTO_TEST_SUITE_END()
