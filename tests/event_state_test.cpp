// Tests for event_state, the rules of one event with no actor around it: the
// sale window (draft -> on_sale -> closed), its sections, and the
// per-customer quotas that span sections: admission reserves quota, a
// refusal gives it back, and the sections' deltas keep the books after that.
#include "actors/event_state.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace {

// Only qualified in the suite: it opens a namespace named event_state.
using namespace boxoffice;

constexpr customer_id alice = 1;
constexpr customer_id bob = 2;

// "ok" or the refusal's code, so that checks read like the protocol.
std::string why(const std::optional<errc>& refusal) {
  return refusal ? to_string(*refusal) : "ok";
}

std::string why(const outcome<section_info>& result) {
  return result ? "ok" : to_string(result.error());
}

// Plans and adds a section, as the event actor does once the plan is stored.
outcome<section_info> add_planned(boxoffice::event_state& event, std::string name,
                                  section_layout layout, int64_t price_cents) {
  auto planned = event.plan_section(std::move(name), layout, price_cents);
  if (planned)
    event.add_section(*planned);
  return planned;
}

std::string usage_text(const boxoffice::event_state& event, customer_id customer) {
  auto u = event.usage_of(customer);
  return "holds=" + std::to_string(u.holds) + " tickets=" + std::to_string(u.tickets);
}

event_info event_in(sale_status status, uint32_t max_tickets_per_customer = 0) {
  event_info info;
  info.id = 7;
  info.title = "test event";
  info.status = status;
  info.max_tickets_per_customer = max_tickets_per_customer;
  return info;
}

// An on-sale event with two reserved sections, ids 1 and 2.
boxoffice::event_state two_sections(const reservation_limits& limits,
                                    uint32_t max_tickets_per_customer = 0) {
  boxoffice::event_state event{event_in(sale_status::draft, max_tickets_per_customer), limits};
  BOOST_REQUIRE(add_planned(event, "stalls", reserved_layout(10, 20), 5000));
  BOOST_REQUIRE(add_planned(event, "balcony", reserved_layout(5, 20), 3000));
  BOOST_REQUIRE(!event.set_status(sale_status::on_sale));
  return event;
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_state)

BOOST_AUTO_TEST_CASE(sale_status_moves_only_forward) {
  using s = sale_status;
  struct {
    sale_status from;
    sale_status to;
    const char* expected;
  } cases[] = {
    {s::draft, s::on_sale, "ok"},
    {s::on_sale, s::closed, "ok"},
    {s::draft, s::closed, "ok"},
    {s::draft, s::draft, "ok"},
    {s::on_sale, s::on_sale, "ok"},
    {s::closed, s::closed, "ok"},
    {s::closed, s::on_sale, "invalid_transition"},
    {s::closed, s::draft, "invalid_transition"},
    {s::on_sale, s::draft, "invalid_transition"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(to_string(c.from) << " -> " << to_string(c.to)) {
      boxoffice::event_state event{event_in(c.from), reservation_limits{}};
      BOOST_TEST(why(event.set_status(c.to)) == c.expected);
      auto now = c.expected == std::string{"ok"} ? c.to : c.from;  // a refusal changes nothing
      BOOST_TEST(to_string(event.info().status) == std::string{to_string(now)});
    }
  }
}

BOOST_AUTO_TEST_CASE(the_whole_sale_window_in_order) {
  boxoffice::event_state event{event_in(sale_status::draft), reservation_limits{}};
  BOOST_TEST(why(event.set_status(sale_status::on_sale)) == "ok");
  BOOST_TEST(why(event.set_status(sale_status::closed)) == "ok");
  BOOST_TEST(why(event.set_status(sale_status::on_sale)) == "invalid_transition");
  BOOST_TEST(to_string(event.info().status) == std::string{"closed"});
}

BOOST_AUTO_TEST_CASE(holds_are_admitted_only_while_on_sale) {
  struct {
    sale_status status;
    const char* expected;
  } cases[] = {
    {sale_status::draft, "sale_not_open"},
    {sale_status::on_sale, "ok"},
    {sale_status::closed, "sale_not_open"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(to_string(c.status)) {
      boxoffice::event_state event{event_in(sale_status::draft), reservation_limits{}};
      BOOST_TEST_REQUIRE(why(add_planned(event, "floor", general_layout(100), 0)) == "ok");
      BOOST_TEST_REQUIRE(why(event.set_status(c.status)) == "ok");
      BOOST_TEST(why(event.admit_hold(alice, 1, 2)) == c.expected);
      bool admitted = c.status == sale_status::on_sale;
      BOOST_TEST(usage_text(event, alice)
                 == (admitted ? "holds=1 tickets=2" : "holds=0 tickets=0"));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_hold_in_an_unknown_section_is_refused) {
  auto event = two_sections(reservation_limits{});
  BOOST_TEST(why(event.admit_hold(alice, 3, 1)) == "section_not_found");
  BOOST_TEST(why(event.admit_hold(alice, 0, 1)) == "section_not_found");
  BOOST_TEST(usage_text(event, alice) == "holds=0 tickets=0");
}

BOOST_AUTO_TEST_CASE(add_section_assigns_increasing_ids_up_to_the_limit) {
  reservation_limits limits;
  limits.max_sections_per_event = 3;
  boxoffice::event_state event{event_in(sale_status::draft), limits};
  for (section_id expected = 1; expected <= 3; ++expected) {
    auto added = add_planned(event, "s" + std::to_string(expected), general_layout(10), 100);
    BOOST_TEST_REQUIRE(why(added) == "ok");
    BOOST_TEST(added->id == expected);
    BOOST_TEST(added->price_cents == 100);
    BOOST_TEST(event.find_section(expected) != nullptr);
  }
  BOOST_TEST(why(add_planned(event, "s4", general_layout(10), 100)) == "too_many_sections");
  BOOST_TEST(event.info().sections.size() == 3u);
  BOOST_TEST(event.find_section(4) == nullptr);
}

BOOST_AUTO_TEST_CASE(add_section_continues_after_the_highest_existing_id) {
  auto info = event_in(sale_status::on_sale);  // sections may be added while on sale
  info.sections = {{1, "a", general_layout(10), 0}, {5, "b", general_layout(10), 0}};
  boxoffice::event_state event{info, reservation_limits{}};
  auto added = add_planned(event, "c", general_layout(10), 0);
  BOOST_TEST_REQUIRE(why(added) == "ok");
  BOOST_TEST(added->id == 6u);
}

BOOST_AUTO_TEST_CASE(add_section_refuses_bad_sections_and_changes_nothing) {
  reservation_limits limits;
  limits.max_seats_per_section = 100;
  struct {
    const char* what;
    sale_status status;
    section_layout layout;
    int64_t price_cents;
    const char* expected;
  } cases[] = {
    {"no rows", sale_status::draft, reserved_layout(0, 10), 0, "invalid_section"},
    {"empty GA", sale_status::draft, general_layout(0), 0, "invalid_section"},
    {"over max_seats_per_section", sale_status::draft, reserved_layout(11, 10), 0,
     "invalid_section"},
    {"inconsistent capacity", sale_status::draft, {section_kind::reserved, 2, 3, 7}, 0,
     "invalid_section"},
    {"negative price", sale_status::draft, general_layout(10), -1, "invalid_section"},
    {"closed event", sale_status::closed, general_layout(10), 0, "invalid_transition"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.what) {
      boxoffice::event_state event{event_in(c.status), limits};
      BOOST_TEST(why(add_planned(event, "x", c.layout, c.price_cents)) == c.expected);
      BOOST_TEST(event.info().sections.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(the_ticket_limit_spans_sections_holds_and_orders) {
  auto event = two_sections(reservation_limits{}, 5);
  BOOST_TEST(why(event.admit_hold(alice, 1, 3)) == "ok");
  BOOST_TEST(why(event.admit_hold(alice, 2, 2)) == "ok");
  BOOST_TEST(usage_text(event, alice) == "holds=2 tickets=5");
  BOOST_TEST(why(event.admit_hold(alice, 2, 1)) == "limit_exceeded");  // the 6th seat
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "limit_exceeded");
  BOOST_TEST(usage_text(event, alice) == "holds=2 tickets=5");
  BOOST_TEST(why(event.admit_hold(bob, 1, 5)) == "ok");  // quotas are per customer

  // Section 2 refused alice's hold of 2: the quota comes back.
  event.apply(customer_delta{alice, -1, -2});  // the section refused it
  BOOST_TEST(usage_text(event, alice) == "holds=1 tickets=3");
  BOOST_TEST(why(event.admit_hold(alice, 2, 2)) == "ok");

  // A purchase ends the hold but keeps the tickets counted.
  event.apply({alice, -1, 0});
  BOOST_TEST(usage_text(event, alice) == "holds=1 tickets=5");
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "limit_exceeded");

  // A release or an expiry gives both back; a cancel gives tickets back.
  event.apply({alice, -1, -2});
  BOOST_TEST(usage_text(event, alice) == "holds=0 tickets=3");
  BOOST_TEST(why(event.admit_hold(alice, 1, 2)) == "ok");
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "limit_exceeded");
  event.apply({alice, 0, -3});
  BOOST_TEST(usage_text(event, alice) == "holds=1 tickets=2");
  event.apply({alice, -1, -2});
  BOOST_TEST(usage_text(event, alice) == "holds=0 tickets=0");
  BOOST_TEST(why(event.admit_hold(alice, 2, 5)) == "ok");
}

BOOST_AUTO_TEST_CASE(max_holds_per_customer_bounds_live_holds) {
  reservation_limits limits;
  limits.max_holds_per_customer = 2;
  auto event = two_sections(limits);
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "ok");
  BOOST_TEST(why(event.admit_hold(alice, 2, 1)) == "ok");
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "too_many_holds");
  BOOST_TEST(usage_text(event, alice) == "holds=2 tickets=2");
  BOOST_TEST(why(event.admit_hold(bob, 1, 1)) == "ok");
  event.apply({alice, -1, 0});  // one purchased: a hold slot is free again
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "ok");
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "too_many_holds");
  event.apply(customer_delta{alice, -1, -1});  // the section refused it
  BOOST_TEST(usage_text(event, alice) == "holds=1 tickets=2");
}

BOOST_AUTO_TEST_CASE(count_restored_rebuilds_usage_from_snapshots) {
  auto event = two_sections(reservation_limits{}, 5);
  section_snapshot stalls;
  stalls.info.id = 1;
  stalls.holds = {{1, alice, {0, 1}, 2, 0, 0}, {2, bob, {5}, 1, 0, 0}};
  stalls.orders = {{1, alice, 3, {7}, 1, 0}};
  section_snapshot balcony;
  balcony.info.id = 2;
  balcony.holds = {{4, alice, {3}, 1, 0, 0}};
  balcony.orders = {{2, bob, 9, {1, 2}, 2, 0}};
  event.count_restored(stalls);
  event.count_restored(balcony);
  BOOST_TEST(usage_text(event, alice) == "holds=2 tickets=4");
  BOOST_TEST(usage_text(event, bob) == "holds=1 tickets=3");
  BOOST_TEST(why(event.admit_hold(alice, 1, 2)) == "limit_exceeded");
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "ok");
  // The restored counts are ordinary counts: the sections' deltas undo them.
  event.apply({bob, -1, -1});
  event.apply({bob, 0, -2});
  BOOST_TEST(usage_text(event, bob) == "holds=0 tickets=0");
}

BOOST_AUTO_TEST_CASE(the_ticket_limit_defaults_from_the_limits) {
  reservation_limits limits;
  limits.max_tickets_per_customer = 4;
  limits.max_holds_per_customer = 10;
  auto event = two_sections(limits);  // the event sets no limit of its own
  BOOST_TEST(event.info().max_tickets_per_customer == 4u);
  BOOST_TEST(why(event.admit_hold(alice, 1, 4)) == "ok");
  BOOST_TEST(why(event.admit_hold(alice, 1, 1)) == "limit_exceeded");

  auto own = two_sections(limits, 6);  // an event's own limit wins
  BOOST_TEST(own.info().max_tickets_per_customer == 6u);
  BOOST_TEST(why(own.admit_hold(alice, 1, 6)) == "ok");
  BOOST_TEST(why(own.admit_hold(alice, 1, 1)) == "limit_exceeded");
}

BOOST_AUTO_TEST_SUITE_END()
