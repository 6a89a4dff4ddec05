// The REST API end to end on the real binary, both backends: a customer's
// whole flow with every body checked (browse, event, seat map, holds by
// label, best available and general admission, extend, release, purchase,
// orders, cancel), and holds that expire over HTTP.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <thread>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

const json stalls = json{{"name", "Stalls"}, {"kind", "reserved"}, {"rows", 3},
                         {"seats_per_row", 10}, {"price_cents", 2500}};
const json standing = json{{"name", "Standing"}, {"kind", "general"}, {"capacity", 50},
                           {"price_cents", 1500}};

// How GET /v1/events/{id} shows `section` (stalls: id 1, standing: id 2)
// with these counts. With the default hold_ttl_s (600 s) no hold is due in
// the next minute.
json section_view(const json& section, int free, int held, int sold, int expiring = 0) {
  auto s = section;
  s["id"] = s["name"] == "Stalls" ? 1 : 2;
  s["capacity"] = s["name"] == "Stalls" ? 30 : 50;
  s["free"] = free;
  s["held"] = held;
  s["holds_expiring_60s"] = expiring;
  s["sold"] = sold;
  return s;
}

void check_counts(api_server& server, uint64_t event, int stalls_free, int stalls_held,
                  int stalls_sold, int standing_free, int standing_held, int standing_sold) {
  auto e = expect_json(server.call("GET", event_path(event)), 200);
  BOOST_TEST_REQUIRE(e["sections"].size() == 2u);
  BOOST_TEST(e["sections"][0] == section_view(stalls, stalls_free, stalls_held, stalls_sold));
  BOOST_TEST(e["sections"][1]
             == section_view(standing, standing_free, standing_held, standing_sold));
}

// The three rows of the Stalls seat map ("ffhh..."), checked whole.
void check_stalls(api_server& server, uint64_t event, const std::string& a, const std::string& b,
                  const std::string& c) {
  auto map = expect_json(server.call("GET", seats_path(event, 1)), 200);
  int free = 0, held = 0, sold = 0;
  for (const auto& row : {a, b, c})
    for (char ch : row)
      (ch == 'f' ? free : ch == 'h' ? held : sold) += 1;
  json expected{{"event_id", event},
                {"label_format", "{row}-{number}"},
                {"rows", {{{"row", "A"}, {"states", a}}, {{"row", "B"}, {"states", b}},
                          {{"row", "C"}, {"states", c}}}},
                {"section", section_view(stalls, free, held, sold)}};
  BOOST_TEST(map == expected, map.dump());
}

std::vector<uint64_t> ids_of(const json& page) {
  std::vector<uint64_t> ids;
  for (const auto& item : page["items"])
    ids.push_back(item["id"].get<uint64_t>());
  return ids;
}

void check_browse(api_server& server, uint64_t spring, uint64_t summer, uint64_t winter_draft,
                  uint64_t jazz) {
  auto all = expect_json(server.call("GET", "/v1/events"), 200);
  BOOST_TEST(all["total"] == 3);  // the draft is not for customers
  BOOST_TEST(all["page"] == 1);
  BOOST_TEST(all["page_size"] == 10);
  BOOST_TEST(ids_of(all) == (std::vector<uint64_t>{spring, summer, jazz}),
             boost::test_tools::per_element());
  json item{{"id", spring}, {"title", "Spring Gala"}, {"description", ""}, {"venue", "Test Hall"},
            {"starts_at", "2030-01-01T20:00:00.000Z"}, {"max_tickets_per_customer", 8},
            {"status", "on_sale"}};
  BOOST_TEST(all["items"][0] == item, all["items"][0].dump());

  auto first = expect_json(server.call("GET", "/v1/events?q=gala&page=1&page_size=1"), 200);
  BOOST_TEST(first["total"] == 2);
  BOOST_TEST(first["page_size"] == 1);
  BOOST_TEST(ids_of(first) == std::vector<uint64_t>{spring}, boost::test_tools::per_element());
  auto second = expect_json(server.call("GET", "/v1/events?q=gala&page=2&page_size=1"), 200);
  BOOST_TEST(second["page"] == 2);
  BOOST_TEST(ids_of(second) == std::vector<uint64_t>{summer}, boost::test_tools::per_element());
  auto past = expect_json(server.call("GET", "/v1/events?q=gala&page=3&page_size=1"), 200);
  BOOST_TEST(past["total"] == 2);
  BOOST_TEST(past["items"].empty());
  auto jazzy = expect_json(server.call("GET", "/v1/events?q=jazz"), 200);
  BOOST_TEST(ids_of(jazzy) == std::vector<uint64_t>{jazz}, boost::test_tools::per_element());
  auto none = expect_json(server.call("GET", "/v1/events?q=opera"), 200);
  BOOST_TEST(none["total"] == 0);
  BOOST_TEST(none["items"].empty());
  // An admin sees drafts too.
  auto admin = expect_json(server.call("GET", "/v1/events?q=gala", "", server.admin_token()), 200);
  BOOST_TEST(admin["total"] == 3);
  BOOST_TEST(ids_of(admin) == (std::vector<uint64_t>{spring, summer, winter_draft}),
             boost::test_tools::per_element());
}

// A 201 hold: its id says where it lives, Location names it, it lives
// hold_ttl_s (600 s by default).
json check_new_hold(const test::reply& r, uint64_t event, int section,
                    const std::vector<std::string>& seats, int quantity, int total_cents) {
  auto hold = expect_json(r, 201);
  auto prefix = std::to_string(event) + "-" + std::to_string(section) + "-";
  BOOST_TEST(hold["id"].get<std::string>().rfind(prefix, 0) == 0u, hold.dump());
  BOOST_TEST(r.headers.count("location") == 1u);
  if (r.headers.count("location"))
    BOOST_TEST(r.headers.at("location") == "/v1/holds/" + hold["id"].get<std::string>());
  BOOST_TEST(hold["event_id"] == event);
  BOOST_TEST(hold["section_id"] == section);
  BOOST_TEST(hold["seats"] == json(seats));
  BOOST_TEST(hold["quantity"] == quantity);
  BOOST_TEST(hold["total_cents"] == total_cents);
  auto created = wire_time_ms(hold["created_at"].get<std::string>());
  auto expires = wire_time_ms(hold["expires_at"].get<std::string>());
  BOOST_TEST(std::abs(created - now_ms()) < 60'000);
  BOOST_TEST(expires - created == 600'000);
  return hold;
}

// The order a purchase of `hold` makes.
json check_new_order(const test::reply& r, const json& hold) {
  auto order = expect_json(r, 201);
  auto prefix = std::to_string(hold["event_id"].get<uint64_t>()) + "-"
                + std::to_string(hold["section_id"].get<int>()) + "-";
  BOOST_TEST(order["id"].get<std::string>().rfind(prefix, 0) == 0u, order.dump());
  BOOST_TEST(r.headers.count("location") == 1u);
  if (r.headers.count("location"))
    BOOST_TEST(r.headers.at("location") == "/v1/orders/" + order["id"].get<std::string>());
  for (const char* field : {"event_id", "section_id", "seats", "quantity", "total_cents"})
    BOOST_TEST(order[field] == hold[field], field);
  BOOST_TEST(order["hold_id"] == hold["id"]);
  BOOST_TEST(order["status"] == "confirmed");
  BOOST_TEST(wire_time_ms(order["created_at"].get<std::string>()) > 0);
  return order;
}

std::string hold_path(const json& hold) {
  return "/v1/holds/" + hold["id"].get<std::string>();
}

std::string order_path(const json& order) {
  return "/v1/orders/" + order["id"].get<std::string>();
}

// Holds of every kind; extend; release. Returns the holds still live:
// {by label, general admission}.
std::pair<json, json> hold_extend_release(api_server& server, uint64_t event,
                                          const std::string& token) {
  auto holds = event_path(event) + "/holds";
  auto by_label = check_new_hold(
    server.call_json("POST", holds, json{{"section_id", 1}, {"seats", {"B-4", "B-3"}}}, token),
    event, 1, {"B-3", "B-4"}, 2, 5000);
  // Best available: the front row, the block nearest its centre (ties left).
  auto best = check_new_hold(
    server.call_json("POST", holds, json{{"section_id", 1}, {"quantity", 3}}, token), event, 1,
    {"A-4", "A-5", "A-6"}, 3, 7500);
  auto general = check_new_hold(
    server.call_json("POST", holds, json{{"section_id", 2}, {"quantity", 2}}, token), event, 2,
    {}, 2, 3000);
  check_stalls(server, event, "fffhhhffff", "ffhhffffff", "ffffffffff");
  check_counts(server, event, 25, 5, 0, 48, 2, 0);
  auto standing_map = expect_json(server.call("GET", seats_path(event, 2)), 200);
  BOOST_TEST(standing_map["rows"] == json::array());
  BOOST_TEST(standing_map["section"] == section_view(standing, 48, 2, 0));

  BOOST_TEST(expect_json(server.call("GET", hold_path(by_label), "", token), 200) == by_label);
  auto extended = expect_json(server.call("POST", hold_path(by_label) + "/extend", "", token), 200);
  auto created = wire_time_ms(by_label["created_at"].get<std::string>());
  auto expires = wire_time_ms(extended["expires_at"].get<std::string>());
  BOOST_TEST(expires >= wire_time_ms(by_label["expires_at"].get<std::string>()));
  BOOST_TEST(expires <= created + 1'800'000);  // hold_max_lifetime_s
  BOOST_TEST(extended["id"] == by_label["id"]);
  BOOST_TEST(extended["seats"] == by_label["seats"]);
  BOOST_TEST(expect_json(server.call("GET", hold_path(by_label), "", token), 200)["expires_at"]
             == extended["expires_at"]);

  auto released = expect_json(server.call("DELETE", hold_path(best), "", token), 200);
  BOOST_TEST(released["id"] == best["id"]);
  BOOST_TEST(released["seats"] == best["seats"]);
  check_problem(server.call("GET", hold_path(best), "", token), 410, "hold_released");
  check_problem(server.call("POST", hold_path(best) + "/purchase", "", token), 410,
                "hold_released");
  check_stalls(server, event, "ffffffffff", "ffhhffffff", "ffffffffff");
  check_counts(server, event, 28, 2, 0, 48, 2, 0);
  return {by_label, general};
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_flow)

BOOST_AUTO_TEST_CASE(browse_hold_extend_release_purchase_orders_cancel) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-flow"};
      if (!server.started())
        continue;
      auto event = server.create_event("Spring Gala", {stalls, standing});
      auto summer = server.create_event("Summer Gala", {standing});
      auto winter = server.create_event("Winter Gala", {standing}, false);
      auto jazz = server.create_event("Autumn Jazz Night", {standing});
      check_browse(server, event, summer, winter, jazz);

      json expected{{"id", event}, {"title", "Spring Gala"}, {"description", ""},
                    {"venue", "Test Hall"}, {"starts_at", "2030-01-01T20:00:00.000Z"},
                    {"max_tickets_per_customer", 8}, {"status", "on_sale"},
                    {"sections", {section_view(stalls, 30, 0, 0),
                                  section_view(standing, 50, 0, 0)}},
                    // The waiting room, off until an admin turns it on.
                    {"waiting_room", {{"mode", "off"}, {"prequeue_at", nullptr},
                                      {"opens_at", nullptr}, {"rate_per_s", 10},
                                      {"active_max", 100}, {"pass_ttl_s", 600},
                                      {"queue_length_max", 100000}, {"paused", false},
                                      {"lottery", nullptr}}}};
      BOOST_TEST(expect_json(server.call("GET", event_path(event)), 200) == expected);
      check_stalls(server, event, "ffffffffff", "ffffffffff", "ffffffffff");

      auto token = server.customer_token("flow");
      auto [by_label, general] = hold_extend_release(server, event, token);

      auto order = check_new_order(
        server.call("POST", hold_path(by_label) + "/purchase", "", token), by_label);
      auto general_order = check_new_order(
        server.call("POST", hold_path(general) + "/purchase", "", token), general);
      check_problem(server.call("POST", hold_path(by_label) + "/purchase", "", token), 409,
                    "hold_purchased");
      check_problem(server.call("GET", hold_path(by_label), "", token), 409, "hold_purchased");
      check_stalls(server, event, "ffffffffff", "ffssffffff", "ffffffffff");
      check_counts(server, event, 28, 0, 2, 48, 0, 2);

      // Newest first; the list and the single order say what the purchase said.
      auto mine = expect_json(server.call("GET", "/v1/orders", "", token), 200);
      BOOST_TEST(mine["total"] == 2);
      BOOST_TEST(mine["page"] == 1);
      BOOST_TEST(mine["page_size"] == 10);
      BOOST_TEST_REQUIRE(mine["items"].size() == 2u);
      BOOST_TEST(mine["items"][0] == general_order, mine.dump());
      BOOST_TEST(mine["items"][1] == order, mine.dump());
      auto paged = expect_json(server.call("GET", "/v1/orders?page=2&page_size=1", "", token), 200);
      BOOST_TEST(paged["total"] == 2);
      BOOST_TEST(paged["items"] == json::array({order}));
      BOOST_TEST(expect_json(server.call("GET", order_path(order), "", token), 200) == order);

      // Cancel: the seats are on sale again at once.
      auto cancelled = expect_json(server.call("POST", order_path(order) + "/cancel", "", token),
                                   200);
      auto as_cancelled = order;
      as_cancelled["status"] = "cancelled";
      BOOST_TEST(cancelled == as_cancelled);
      check_stalls(server, event, "ffffffffff", "ffffffffff", "ffffffffff");
      check_counts(server, event, 30, 0, 0, 48, 0, 2);
      auto stored = expect_json(server.call("GET", order_path(order), "", token), 200);
      BOOST_TEST(stored["status"] == "cancelled");
      BOOST_TEST(wire_time_ms(stored.value("cancelled_at", "")) > 0, stored.dump());
      check_problem(server.call("POST", order_path(order) + "/cancel", "", token), 409,
                    "order_cancelled");
      BOOST_TEST(expect_json(server.call("GET", "/v1/orders", "", token), 200)["total"] == 2);
      // Someone else can take the seats now.
      auto other = server.customer_token("flow-other");
      check_new_hold(server.call_json("POST", event_path(event) + "/holds",
                                      json{{"section_id", 1}, {"seats", {"B-3", "B-4"}}}, other),
                     event, 1, {"B-3", "B-4"}, 2, 5000);
    }
  }
}

// hold_ttl_s = 1, hold_max_lifetime_s = 2: a purchase after the deadline is
// 410 hold_expired and the seat is free again; extends move the deadline up
// to the lifetime and no further.
BOOST_AUTO_TEST_CASE(holds_expire_and_extends_stop_at_the_lifetime) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-expiry",
                        {{"BOXOFFICE_RESERVATION_HOLD_TTL_S", "1"},
                         {"BOXOFFICE_RESERVATION_HOLD_MAX_LIFETIME_S", "2"}}};
      if (!server.started())
        continue;
      auto event = server.create_event("Expiry", {stalls, standing});
      auto token = server.customer_token("expiry");
      auto holds = event_path(event) + "/holds";
      auto first = expect_json(server.call_json("POST", holds,
                                                json{{"section_id", 1}, {"seats", {"A-1"}}}, token),
                               201);
      auto second = expect_json(
        server.call_json("POST", holds, json{{"section_id", 1}, {"seats", {"A-2"}}}, token), 201);
      auto created = wire_time_ms(second["created_at"].get<std::string>());
      BOOST_TEST(wire_time_ms(first["expires_at"].get<std::string>())
                   - wire_time_ms(first["created_at"].get<std::string>())
                 == 1000);
      BOOST_TEST(wire_time_ms(second["expires_at"].get<std::string>()) - created == 1000);
      // Both holds are due within the minute (the operator's counter).
      auto counted = expect_json(server.call("GET", event_path(event)), 200);
      BOOST_TEST(counted["sections"][0] == section_view(stalls, 28, 2, 0, 2));

      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      auto once = expect_json(server.call("POST", hold_path(second) + "/extend", "", token), 200);
      auto after_once = wire_time_ms(once["expires_at"].get<std::string>());
      BOOST_TEST(after_once >= created + 1400);
      BOOST_TEST(after_once < created + 2000);
      // Past the first hold's deadline; the second is capped at its lifetime.
      std::this_thread::sleep_for(std::chrono::milliseconds(800));
      auto twice = expect_json(server.call("POST", hold_path(second) + "/extend", "", token), 200);
      BOOST_TEST(wire_time_ms(twice["expires_at"].get<std::string>()) == created + 2000);
      check_problem(server.call("POST", hold_path(first) + "/purchase", "", token), 410,
                    "hold_expired");
      auto map = expect_json(server.call("GET", seats_path(event, 1)), 200);
      BOOST_TEST(map["rows"][0]["states"] == "fhffffffff");
      BOOST_TEST(map["section"]["holds_expiring_60s"] == 1);  // the expired one is gone
      check_problem(server.call("POST", hold_path(second) + "/extend", "", token), 422,
                    "hold_lifetime_exceeded");
      check_problem(server.call("GET", hold_path(first), "", token), 410, "hold_expired");

      // The second one expires at its lifetime whatever the client does.
      while (now_ms() < created + 2100)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      check_problem(server.call("POST", hold_path(second) + "/purchase", "", token), 410,
                    "hold_expired");
      check_stalls(server, event, "ffffffffff", "ffffffffff", "ffffffffff");
      check_counts(server, event, 30, 0, 0, 50, 0, 0);
      BOOST_TEST(expect_json(server.call("GET", "/v1/orders", "", token), 200)["total"] == 0);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
