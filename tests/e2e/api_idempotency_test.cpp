// Idempotency-Key against the real binary, both backends: a repeat gets the
// first answer byte for byte and has no second effect, the same key with
// another request is 422, keys are per customer, and replays survive a
// restart of the server on the same database.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

#include <thread>
#include <vector>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

std::map<std::string, std::string> keyed(const std::string& key) {
  return {{"Idempotency-Key", key}};
}

// The same answer: status, body byte for byte, Location.
void check_replay(const test::reply& first, const test::reply& again) {
  BOOST_TEST(again.status == first.status);
  BOOST_TEST(again.body == first.body);
  auto location = [](const test::reply& r) {
    auto i = r.headers.find("location");
    return i == r.headers.end() ? std::string{} : i->second;
  };
  BOOST_TEST(location(again) == location(first));
}

// Stops the server and starts the binary again on the same database (not
// through api_server, whose constructor empties it).
std::unique_ptr<server_process> restart(api_server& server) {
  server.process().stop();
  auto process = std::make_unique<server_process>(
    server.database_url(), server.log_path() + ".restarted",
    std::map<std::string, std::string>{{"BOXOFFICE_AUTH_ADMIN_EMAIL", admin_email},
                                       {"BOXOFFICE_AUTH_ADMIN_PASSWORD", admin_password}});
  process->wait_ready();
  return process;
}

// What one customer did with keys before the restart.
struct keyed_purchase {
  std::string token;
  std::string hold_path;
  test::reply order;
};

// Holds `seat` and buys it, both with keys, each sent twice: one hold, one
// order, the same answers.
keyed_purchase hold_and_buy_twice(api_server& server, uint64_t event, const std::string& token,
                                  const std::string& seat) {
  json body{{"section_id", 1}, {"seats", {seat}}};
  auto holds = event_path(event) + "/holds";
  auto hold = server.call_json("POST", holds, body, token, keyed("hold-1"));
  BOOST_TEST_REQUIRE(hold.status == 201, hold.body);
  check_replay(hold, server.call_json("POST", holds, body, token, keyed("hold-1")));
  auto path = "/v1/holds/" + json::parse(hold.body)["id"].get<std::string>();
  auto order = server.call("POST", path + "/purchase", "", token, keyed("buy-1"));
  BOOST_TEST_REQUIRE(order.status == 201, order.body);
  check_replay(order, server.call("POST", path + "/purchase", "", token, keyed("buy-1")));
  return {token, path, order};
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_idempotency)

BOOST_AUTO_TEST_CASE(a_repeated_key_replays_the_first_answer_even_after_a_restart) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-idempotency"};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "Keys", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1}, {"seats_per_row", 10},
                      {"price_cents", 100}}});
      auto holds = event_path(event) + "/holds";
      auto alice = hold_and_buy_twice(server, event, server.customer_token("alice"), "A-1");
      auto orders = expect_json(server.call("GET", "/v1/orders", "", alice.token), 200);
      BOOST_TEST(orders["total"] == 1);
      BOOST_TEST(orders["items"][0]["id"] == json::parse(alice.order.body)["id"]);

      // The same key with another request: refused, and nothing happens.
      check_problem(server.call_json("POST", holds, json{{"section_id", 1}, {"seats", {"A-2"}}},
                                     alice.token, keyed("buy-1")),
                    422, "idempotency_key_reused");
      check_problem(server.call_json("POST", holds, json{{"section_id", 1}, {"seats", {"A-3"}}},
                                     alice.token, keyed("hold-1")),
                    422, "idempotency_key_reused");
      BOOST_TEST(expect_json(server.call("GET", seats_path(event, 1)), 200)["rows"][0]["states"]
                 == "sfffffffff");

      // Another customer's keys are their own: the same keys buy Bob his seat.
      auto bob = hold_and_buy_twice(server, event, server.customer_token("bob"), "A-2");
      BOOST_TEST(json::parse(bob.order.body)["id"] != json::parse(alice.order.body)["id"]);
      BOOST_TEST(expect_json(server.call("GET", "/v1/orders", "", bob.token), 200)["total"] == 1);
      BOOST_TEST(expect_json(server.call("GET", "/v1/orders", "", alice.token), 200)["total"]
                 == 1);

      auto process = restart(server);
      test::client http;
      auto base = process->base_url();
      auto with = [](const keyed_purchase& who) {
        return std::map<std::string, std::string>{{"Authorization", "Bearer " + who.token},
                                                  {"Idempotency-Key", "buy-1"}};
      };
      BOOST_TEST_CONTEXT("after a restart") {
        check_replay(alice.order,
                     http.send("POST", base + alice.hold_path + "/purchase", "", with(alice)));
        check_replay(bob.order,
                     http.send("POST", base + bob.hold_path + "/purchase", "", with(bob)));
        check_problem(http.send("POST", base + holds,
                                json{{"section_id", 1}, {"seats", {"A-4"}}}.dump(), with(alice)),
                      422, "idempotency_key_reused");
        auto mine = http.send("GET", base + "/v1/orders", "",
                              {{"Authorization", "Bearer " + alice.token}});
        BOOST_TEST(expect_json(mine, 200)["total"] == 1);
        auto map = expect_json(http.send("GET", base + seats_path(event, 1)), 200);
        BOOST_TEST(map["rows"][0]["states"] == "ssffffffff");
        BOOST_TEST(map["section"]["sold"] == 2);
      }
    }
  }
}

// A refusal is the request's outcome too: repeated with its key it is
// refused again, even once the seat is free (docs: idempotency.h).
BOOST_AUTO_TEST_CASE(a_refused_request_is_refused_again_on_repeat) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-idempotency-refusal"};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "Refusals", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1},
                          {"seats_per_row", 4}, {"price_cents", 100}}});
      auto holds = event_path(event) + "/holds";
      auto first = server.customer_token("first");
      auto second = server.customer_token("second");
      json seat{{"section_id", 1}, {"seats", {"A-1"}}};
      auto taken = server.call_json("POST", holds, seat, first);
      BOOST_TEST_REQUIRE(taken.status == 201, taken.body);
      auto refused = server.call_json("POST", holds, seat, second, keyed("try-1"));
      check_problem(refused, 409, "seat_unavailable");
      auto hold_path = "/v1/holds/" + json::parse(taken.body)["id"].get<std::string>();
      BOOST_TEST(server.call("DELETE", hold_path, "", first).status == 200);
      check_replay(refused, server.call_json("POST", holds, seat, second, keyed("try-1")));
      BOOST_TEST(expect_json(server.call("GET", seats_path(event, 1)), 200)["rows"][0]["states"]
                 == "ffff");
      // A new key is a new request.
      BOOST_TEST(server.call_json("POST", holds, seat, second, keyed("try-2")).status == 201);
    }
  }
}

// A client that fires the same keyed purchase from many connections at once
// (a retry storm after a timeout): every answer is the one order (201, the
// same body) or "still running" (409 idempotency_key_in_use); never a second
// purchase, never hold_purchased, and exactly one order exists.
BOOST_AUTO_TEST_CASE(concurrent_repeats_of_one_key_buy_once) {
  constexpr size_t clients = 16;
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-idempotency-race"};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "Storm", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1}, {"seats_per_row", 4},
                       {"price_cents", 100}}});
      auto token = server.customer_token("storm");
      auto hold = expect_json(server.call_json("POST", event_path(event) + "/holds",
                                               json{{"section_id", 1}, {"seats", {"A-1"}}},
                                               token),
                              201);
      auto purchase = server.url("/v1/holds/" + hold["id"].get<std::string>() + "/purchase");
      std::vector<test::reply> answers(clients);
      start_gate gate{clients};
      std::vector<std::thread> threads;
      for (size_t i = 0; i < clients; ++i)
        threads.emplace_back([&, i] {
          test::client http;
          gate.arrive_and_wait();
          answers[i] = http.send("POST", purchase, "",
                                 {{"Authorization", "Bearer " + token},
                                  {"Idempotency-Key", "storm-1"}});
        });
      for (auto& t : threads)
        t.join();
      std::string order_body;
      size_t bought = 0;
      for (const auto& a : answers) {
        if (a.status == 201) {
          ++bought;
          if (order_body.empty())
            order_body = a.body;
          BOOST_TEST(a.body == order_body);
        } else {
          check_problem(a, 409, "idempotency_key_in_use");
        }
      }
      BOOST_TEST(bought >= 1u);
      auto orders = expect_json(server.call("GET", "/v1/orders", "", token), 200);
      BOOST_TEST(orders["total"] == 1);
      // Once the first has finished, a repeat replays it.
      auto late = server.call("POST", "/v1/holds/" + hold["id"].get<std::string>() + "/purchase",
                              "", token, keyed("storm-1"));
      BOOST_TEST(late.status == 201);
      BOOST_TEST(late.body == order_body);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
