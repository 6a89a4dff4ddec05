// A flash sale in virtual time: 1,000 customers want 500 reserved seats.
// Every round all waiting customers ask at once; some name seats (and race
// each other for them), most take best available; one in five walks away
// from their hold and lets it expire, returning the seats to the crowd. The
// sale must end with exactly 500 sold, every seat in exactly one order, no
// customer over their limit, and the section's invariants checked after
// every message on the way (Debug builds).
#include "tests/actor_fixture.h"

#include <map>
#include <set>

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {

constexpr customer_id crowd = 1000;
constexpr uint32_t rows = 20;
constexpr uint32_t seats_per_row = 25;
constexpr int max_rounds = 200;

reservation_limits sale_limits() {
  reservation_limits l;
  l.max_tickets_per_customer = 4;
  l.max_holds_per_customer = 2;
  l.hold_ttl_s = 300;
  return l;
}

struct customer {
  customer_id id = 0;
  int32_t wanted = 0;         // shrinks while a party of that size does not fit
  bool names_seats = false;   // asks for specific seats first
  bool walks_away = false;    // holds, then never buys
  bool done = false;
};

struct flash_sale : test::event_fixture {
  section_id s = 0;
  std::vector<customer> people;
  std::vector<order_info> orders;
  int rounds = 0;

  flash_sale() : event_fixture(sale_limits()) {
    s = add_reserved(rows, seats_per_row);
    open_sale();
    for (customer_id c = 1; c <= crowd; ++c)
      people.push_back(customer{c, static_cast<int32_t>(1 + c % 4), c % 5 == 0, c % 5 == 1});
  }

  hold_request request_of(const customer& c) {
    if (c.names_seats) {  // adjacent seats in a row chosen by id: many collide
      std::vector<std::string> seats;
      auto row = static_cast<char>('A' + c.id % rows);
      for (int32_t i = 0; i < c.wanted; ++i)
        seats.push_back(std::string{row} + "-" + std::to_string(1 + (c.id + i) % seats_per_row));
      return hold_request{event, s, c.id, seats, 0, {}, {}};
    }
    return hold_request{event, s, c.id, {}, c.wanted, {}, {}};
  }

  // One round: everyone still waiting asks at once; the holders who mean to
  // buy then buy at once; then a minute passes.
  void round() {
    std::vector<std::pair<customer*, test::pending<hold_info>>> asks;
    for (auto& c : people)
      if (!c.done)
        asks.emplace_back(&c, start<hold_info>(dir, request_of(c)));
    sched.run();
    std::vector<std::pair<customer*, test::pending<order_info>>> buys;
    for (auto& [c, answer] : asks) {
      BOOST_REQUIRE(answer->has_value());
      auto& h = **answer;
      if (h) {
        c->done = true;
        if (!c->walks_away)
          buys.emplace_back(c, start<order_info>(dir, purchase_request{h->ref, c->id, {}}));
        continue;
      }
      auto why = code(h);
      BOOST_REQUIRE_MESSAGE(why == errc::seat_unavailable || why == errc::not_enough_seats,
                            "unexpected refusal");
      if (c->names_seats)
        c->names_seats = false;  // lost the race: take best available next time
      else if (c->wanted > 1)
        --c->wanted;  // no block that large: a smaller party; single seats keep trying
    }
    sched.run();
    for (auto& [c, answer] : buys) {
      BOOST_REQUIRE(answer->has_value() && **answer);
      orders.push_back(***answer);
    }
    advance_time(60s);
    sched.run();
    ++rounds;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(flash_sale_suite, flash_sale)

BOOST_AUTO_TEST_CASE(thousand_customers_five_hundred_seats_exactly_sold_out) {
  while (rounds < max_rounds) {
    auto st = stats(s);
    if (st.sold == st.capacity)
      break;
    round();
  }
  auto st = stats(s);
  BOOST_CHECK_EQUAL(st.sold, rows * seats_per_row);
  BOOST_CHECK_EQUAL(st.held, 0u);
  BOOST_CHECK_EQUAL(st.free, 0u);
  BOOST_TEST_MESSAGE("sold out after " << rounds << " rounds, " << orders.size() << " orders");

  std::set<std::string> seats;
  std::map<customer_id, uint32_t> tickets;
  uint32_t total = 0;
  for (const auto& o : orders) {
    for (const auto& label : o.seats)
      BOOST_CHECK_MESSAGE(seats.insert(label).second, "seat " << label << " sold twice");
    tickets[o.customer] += o.quantity;
    total += o.quantity;
  }
  BOOST_CHECK_EQUAL(total, 500u);
  BOOST_CHECK_EQUAL(seats.size(), 500u);
  for (const auto& [c, n] : tickets)
    BOOST_CHECK_LE(n, 4u);

  auto map = ask<seat_map>(dir, seat_map_request{event, s});
  BOOST_REQUIRE(map);
  BOOST_CHECK(std::all_of(map->seats.begin(), map->seats.end(),
                          [](seat_status x) { return x == seat_status::sold; }));
}

BOOST_AUTO_TEST_SUITE_END()
