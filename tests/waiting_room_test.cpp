// Tests for waiting_room, the rules of an event's waiting room with no actor
// around it, in virtual time (every call is given "now"): one place per
// account, FCFS after opening, the lottery (recomputable from the revealed
// seed, and uniform), admission pacing (no 1 s window over rate + 1, 60 s
// windows within 1 of 60 x rate), the active cap, stock-aware admission and
// sold out, pass expiry, and every refusal of a pass at the hold.
#include "actors/waiting_room.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <set>

namespace {

using namespace boxoffice;

constexpr event_id event = 7;
constexpr timestamp_ms t0 = 1'800'000'000'000;

std::shared_ptr<const pass_keys> keys() {
  static auto k = std::make_shared<pass_keys>(pass_keys::key{"k2", std::string(32, 's')},
                                              std::vector<pass_keys::key>{{"k1", std::string(40, 'o')}});
  return k;
}

struct room_fixture {
  waiting_room_limits limits;
  waiting_room room{event, limits, keys()};
  uint64_t free_seats = 1'000'000;
  uint64_t live_holds = 0;
  std::set<customer_id> holding;

  void configure(queue_settings s) {
    auto planned = room.plan(s);
    BOOST_REQUIRE(planned);
    room.configure(*planned);
  }

  queue_settings on(uint32_t rate, uint32_t active_max = 1000000) {
    queue_settings s;
    s.mode = queue_mode::queue;
    s.rate_per_s = rate;
    s.active_max = active_max;
    s.pass_ttl_s = 600;
    s.queue_length_max = 1000000;
    return s;
  }

  stock_view stock() {
    stock_view v;
    v.free_seats = free_seats;
    v.live_holds = live_holds;
    v.capacity = 1'000'000;
    v.holding = [this](customer_id c) { return holding.count(c) > 0; };
    return v;
  }

  std::vector<queue_entry> tick(timestamp_ms now) {
    bool changed = false;
    return room.tick(now, stock(), changed);
  }

  queue_entry join(customer_id c, timestamp_ms now) {
    auto j = room.join(c, now, false);
    BOOST_REQUIRE(j);
    return j->entry;
  }
};

BOOST_FIXTURE_TEST_SUITE(waiting_room_rules, room_fixture)

BOOST_AUTO_TEST_CASE(one_place_per_account) {
  configure(on(10));
  auto first = room.join(42, t0, false);
  BOOST_REQUIRE(first && first->fresh);
  for (int i = 0; i < 1000; ++i) {
    auto again = room.join(42, t0 + i, false);
    BOOST_REQUIRE(again);
    BOOST_CHECK(!again->fresh);
    BOOST_CHECK_EQUAL(again->entry.id, first->entry.id);
  }
  BOOST_CHECK_EQUAL(room.count().waiting, 1u);
}

BOOST_AUTO_TEST_CASE(off_room_refuses_joins) {
  BOOST_CHECK(room.join(1, t0, false).error() == errc::queue_off);
  configure(on(10));
  BOOST_CHECK(room.join(1, t0, true).error() == errc::queue_closed);
}

BOOST_AUTO_TEST_CASE(full_queue_refuses) {
  auto s = on(10);
  s.queue_length_max = 3;
  configure(s);
  for (customer_id c = 1; c <= 3; ++c)
    join(c, t0);
  BOOST_CHECK(room.join(4, t0, false).error() == errc::queue_full);
  BOOST_CHECK(room.join(2, t0, false));  // already in: the same place
}

BOOST_AUTO_TEST_CASE(first_come_first_served_after_opening) {
  configure(on(5));
  std::vector<uint64_t> joined;
  for (customer_id c = 1; c <= 50; ++c)
    joined.push_back(join(c, t0 + static_cast<timestamp_ms>(c)).id);
  std::vector<uint64_t> admitted;
  for (timestamp_ms t = t0; t < t0 + 20'000; t += 50)
    for (const auto& e : tick(t))
      if (e.state == entry_state::admitted)
        admitted.push_back(e.id);
  BOOST_CHECK_EQUAL(admitted.size(), 50u);
  BOOST_CHECK(admitted == joined);  // zero inversions
}

BOOST_AUTO_TEST_CASE(positions_count_those_ahead) {
  configure(on(1));
  auto a = join(1, t0), b = join(2, t0), c = join(3, t0);
  BOOST_CHECK_EQUAL(room.view(c, t0).position, 3u);
  BOOST_CHECK_EQUAL(room.view(c, t0).ahead, 2u);
  BOOST_CHECK_EQUAL(room.view(c, t0).eta_s, 2u);
  BOOST_REQUIRE(room.leave(b.id, b.secret, t0));
  BOOST_CHECK_EQUAL(room.view(c, t0).position, 2u);
  BOOST_CHECK(room.leave(a.id, "00", t0).error() == errc::queue_entry_not_found);
  BOOST_CHECK(room.find(a.id, b.secret) == nullptr);
}

BOOST_AUTO_TEST_CASE(pacing_stays_within_rate_in_every_window) {
  for (uint32_t rate : {1u, 3u, 7u, 10u, 25u}) {
    room_fixture f;
    f.configure(f.on(rate));
    for (customer_id c = 1; c <= 5000; ++c)
      f.join(c, t0);
    std::vector<timestamp_ms> at;
    // Uneven ticks, as a busy actor would see them.
    timestamp_ms t = t0;
    for (int i = 0; t < t0 + 120'000; ++i) {
      t += f.room.tick_interval_ms() + (i % 7 == 0 ? 3 : 0);
      for (const auto& e : f.tick(t))
        if (e.state == entry_state::admitted)
          at.push_back(t);
    }
    BOOST_TEST_CONTEXT("rate " << rate) {
      // Every 1 s window (starting at any admission): at most rate + 1.
      size_t worst = 0;
      for (size_t i = 0, j = 0; i < at.size(); ++i) {
        while (j < at.size() && at[j] < at[i] + 1000)
          ++j;
        worst = std::max(worst, j - i);
      }
      BOOST_CHECK_LE(worst, rate + 1);
      // Every 60 s window while waiters exist: 60 x rate, within 1.
      for (timestamp_ms w = t0 + 1000; w + 60'000 <= t0 + 119'000; w += 997) {
        auto n = std::count_if(at.begin(), at.end(),
                               [&](timestamp_ms x) { return x >= w && x < w + 60'000; });
        BOOST_CHECK_LE(std::abs(n - int64_t{60} * rate), 1);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(active_cap_holds_at_every_step) {
  auto s = on(100, 5);
  s.pass_ttl_s = 2;
  configure(s);
  for (customer_id c = 1; c <= 100; ++c)
    join(c, t0);
  uint64_t admitted = 0;
  for (timestamp_ms t = t0; t < t0 + 30'000; t += 10) {
    for (const auto& e : tick(t))
      admitted += e.state == entry_state::admitted;
    BOOST_REQUIRE_LE(room.count().admitted, 5u);
  }
  // Each pass lived 2 s unused: the slots came back as they expired.
  BOOST_CHECK_GE(admitted, 5u * 14);
}

BOOST_AUTO_TEST_CASE(admits_only_what_the_stock_can_serve) {
  limits.tickets_per_shopper = 2;
  room = waiting_room(event, limits, keys());
  configure(on(100));
  free_seats = 10;  // five shoppers of two seats
  for (customer_id c = 1; c <= 50; ++c)
    join(c, t0);
  uint64_t admitted = 0;
  for (timestamp_ms t = t0; t < t0 + 5000; t += 10)
    for (const auto& e : tick(t))
      admitted += e.state == entry_state::admitted;
  BOOST_CHECK_EQUAL(admitted, 5u);
  // Two of them hold their seats: nothing more is free, nothing set aside.
  holding = {1, 2};
  free_seats = 6;
  live_holds = 2;
  for (timestamp_ms t = t0 + 5000; t < t0 + 6000; t += 10)
    for (const auto& e : tick(t))
      admitted += e.state == entry_state::admitted;
  BOOST_CHECK_EQUAL(admitted, 5u);
  // Holds expire and seats come back: admission resumes at once.
  free_seats = 10;
  live_holds = 0;
  holding.clear();
  auto resumed = tick(t0 + 6010);
  BOOST_CHECK_EQUAL(resumed.size(), 0u);  // 5 still admitted, 10 seats: all set aside
  free_seats = 14;
  BOOST_CHECK_EQUAL(tick(t0 + 6020).size(), 1u);
}

BOOST_AUTO_TEST_CASE(no_admission_once_sold_out) {
  configure(on(100));
  for (customer_id c = 1; c <= 20; ++c)
    join(c, t0);
  free_seats = 0;
  live_holds = 0;
  uint64_t admitted = 0;
  for (timestamp_ms t = t0; t < t0 + 10'000; t += 10)
    for (const auto& e : tick(t))
      admitted += e.state == entry_state::admitted;
  BOOST_CHECK_EQUAL(admitted, 0u);
  BOOST_CHECK(room.sold_out());
  auto e = *room.find(1, room.view(join(1, t0), t0).entry.secret);
  BOOST_CHECK(room.view(e, t0).sold_out);
  // Held but not sold: not sold out yet (the holds may expire).
  live_holds = 3;
  tick(t0 + 10'010);
  BOOST_CHECK(!room.sold_out());
}

BOOST_AUTO_TEST_CASE(lottery_is_committed_then_revealed_and_recomputable) {
  auto s = on(1000);
  s.opens_at = t0 + 60'000;
  configure(s);
  auto published = room.settings().seed_hash;
  BOOST_REQUIRE_EQUAL(published.size(), 64u);
  BOOST_CHECK(!room.settings().drawn);
  std::vector<uint64_t> ids;
  for (customer_id c = 1; c <= 200; ++c) {
    auto e = join(c, t0 + static_cast<timestamp_ms>(c));
    BOOST_CHECK(e.state == entry_state::pre_queue);
    ids.push_back(e.id);
  }
  BOOST_CHECK(tick(t0 + 59'999).empty());  // nobody admitted before the opening
  std::vector<uint64_t> ranked;
  bool changed = false;
  for (const auto& e : room.tick(t0 + 60'000, stock(), changed))
    if (e.state == entry_state::waiting)
      ranked.push_back(e.id);
  BOOST_CHECK(changed);
  BOOST_REQUIRE(room.settings().drawn);
  // Anyone can check the seed against the commitment and redo the order.
  BOOST_CHECK_EQUAL(waiting_room::seed_hash_of(room.settings().seed), published);
  BOOST_CHECK(waiting_room::draw_order(room.settings().seed, ids) == ranked);
  BOOST_CHECK(ranked != ids);  // shuffled (200! orders: equal by chance never)
  // The drawn opening time cannot move any more.
  auto moved = room.settings();
  moved.opens_at += 1;
  BOOST_CHECK(!room.plan(moved));
  // After the opening: first come first served, behind the drawn ones.
  auto late = join(999, t0 + 60'001);
  BOOST_CHECK_EQUAL(room.view(late, t0 + 60'001).position, room.count().waiting);
  BOOST_CHECK_EQUAL(room.count().waiting + room.count().admitted, 201u);
}

BOOST_AUTO_TEST_CASE(lottery_is_uniform) {
  // 10 entrants, 10,000 seeds: where entrant 1 lands, chi-squared over 10
  // places (9 degrees of freedom; 21.67 is the p = 0.01 critical value).
  std::vector<uint64_t> ids{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  std::vector<int> place(10, 0);
  for (int seed = 0; seed < 10000; ++seed) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016x", seed * 2654435761u);
    auto order = waiting_room::draw_order(hex, ids);
    place[std::find(order.begin(), order.end(), 1) - order.begin()] += 1;
  }
  double chi2 = 0;
  for (int n : place)
    chi2 += (n - 1000.0) * (n - 1000.0) / 1000.0;
  BOOST_CHECK_LT(chi2, 21.67);
}

BOOST_AUTO_TEST_CASE(passes_are_checked_at_the_hold) {
  auto s = on(100);
  s.pass_ttl_s = 60;
  configure(s);
  auto mine = join(1, t0);
  join(2, t0);
  tick(t0 + 10);
  tick(t0 + 20);
  auto pass = room.view(*room.find(mine.id, mine.secret), t0).pass;
  BOOST_REQUIRE(!pass.empty());
  BOOST_CHECK(!room.check_hold(pass, 1, t0 + 30));
  BOOST_CHECK(room.check_hold("", 1, t0) == errc::queue_pass_missing);
  auto forged = pass;
  forged.back() = forged.back() == '0' ? '1' : '0';
  BOOST_CHECK(room.check_hold(forged, 1, t0) == errc::queue_pass_forged);
  BOOST_CHECK(room.check_hold("wr1.k9.7.1.1.1.00", 1, t0) == errc::queue_pass_forged);
  BOOST_CHECK(room.check_hold(pass, 2, t0) == errc::queue_pass_other_customer);
  waiting_room other(event + 1, limits, keys());
  BOOST_CHECK(other.check_hold(pass, 1, t0) == errc::queue_pass_other_event);
  BOOST_CHECK(room.check_hold(pass, 1, t0 + 61'000) == errc::queue_pass_expired);
  // The pass is used by the purchase; the slot is free at once.
  BOOST_REQUIRE(room.purchased(1, t0 + 40));
  BOOST_CHECK(room.check_hold(pass, 1, t0 + 41) == errc::queue_pass_used);
  BOOST_CHECK_EQUAL(room.count().admitted, 1u);
}

BOOST_AUTO_TEST_CASE(an_unused_pass_expires_and_frees_its_slot) {
  auto s = on(100, 1);
  s.pass_ttl_s = 5;
  configure(s);
  auto a = join(1, t0);
  join(2, t0);
  tick(t0 + 10);
  BOOST_CHECK_EQUAL(room.count().admitted, 1u);
  BOOST_CHECK(tick(t0 + 4000).empty());
  auto changed = tick(t0 + 5010);
  BOOST_REQUIRE_EQUAL(changed.size(), 2u);
  BOOST_CHECK(changed[0].state == entry_state::expired);
  BOOST_CHECK(changed[1].state == entry_state::admitted);
  BOOST_CHECK(room.find(a.id, a.secret)->state == entry_state::expired);
}

BOOST_AUTO_TEST_CASE(older_keys_still_verify) {
  pass_keys old{{"k1", std::string(40, 'o')}};
  pass_claims c{"", event, 1, 9, t0 + 1000};
  auto pass = old.sign(c);
  auto got = keys()->verify(pass);
  BOOST_REQUIRE(got);
  BOOST_CHECK_EQUAL(got->key_id, "k1");
  pass_keys stranger{{"k1", std::string(40, 'x')}};
  BOOST_CHECK(!stranger.verify(pass));
}

BOOST_AUTO_TEST_CASE(restore_keeps_every_place) {
  configure(on(1));
  std::vector<queue_entry> all;
  for (customer_id c = 1; c <= 10; ++c)
    all.push_back(join(c, t0));
  tick(t0 + 1000);
  std::vector<queue_entry> stored;
  for (const auto& e : all)
    stored.push_back(*room.find(e.id, e.secret));
  waiting_room again(event, limits, keys());
  again.restore(room.settings(), stored);
  for (const auto& e : all) {
    auto* a = room.find(e.id, e.secret);
    auto* b = again.find(e.id, e.secret);
    BOOST_REQUIRE(b);
    BOOST_CHECK_EQUAL(room.view(*a, t0).position, again.view(*b, t0).position);
    BOOST_CHECK(a->state == b->state);
  }
  BOOST_CHECK_EQUAL(again.count().admitted, room.count().admitted);
  auto next = again.join(100, t0, false);
  BOOST_REQUIRE(next);
  BOOST_CHECK_EQUAL(next->entry.id, 11u);
}

BOOST_AUTO_TEST_SUITE_END()

} // namespace
