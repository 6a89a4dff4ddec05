// The README's flow over HTTP on both backends: browse, hold, purchase, cancel.
#include "tests/e2e/api_fixture.h"

#include <boost/test/unit_test.hpp>

using namespace boxoffice::e2e;

BOOST_AUTO_TEST_SUITE(api_smoke)

BOOST_AUTO_TEST_CASE(browse_hold_purchase_cancel) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-smoke"};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "Smoke", {json{{"name", "Floor"}, {"kind", "reserved"}, {"rows", 2},
                       {"seats_per_row", 5}, {"price_cents", 1000}}});
      auto token = server.customer_token("smoke");
      auto e = "/v1/events/" + std::to_string(event);
      BOOST_TEST(server.call("GET", e).status == 200);
      auto hold = server.call_json("POST", e + "/holds",
                              json{{"section_id", 1}, {"seats", {"A-1", "A-2"}}}, token);
      BOOST_TEST_REQUIRE(hold.status == 201, hold.body);
      auto hold_id = json::parse(hold.body)["id"].get<std::string>();
      auto order = server.call("POST", "/v1/holds/" + hold_id + "/purchase", "", token);
      BOOST_TEST_REQUIRE(order.status == 201, order.body);
      auto order_id = json::parse(order.body)["id"].get<std::string>();
      auto map = json::parse(server.call("GET", e + "/sections/1/seats").body);
      BOOST_TEST(map["rows"][0]["states"].get<std::string>() == "ssfff");
      auto cancel = server.call("POST", "/v1/orders/" + order_id + "/cancel", "", token);
      BOOST_TEST(cancel.status == 200, cancel.body);
      map = json::parse(server.call("GET", e + "/sections/1/seats").body);
      BOOST_TEST(map["rows"][0]["states"].get<std::string>() == "fffff");
      auto mine = json::parse(server.call("GET", "/v1/orders", "", token).body);
      BOOST_TEST(mine["total"].get<int>() == 1);
      BOOST_TEST(mine["items"][0]["status"].get<std::string>() == "cancelled");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
