// What a keyed write and a cancelled order leave in the database, against
// the real binary on both backends:
// - the process dies right after the commit of a keyed hold (and of a keyed
//   purchase), before answering (BOXOFFICE_FAULT=crash_after_commit); the
//   client's retry with the same key, on a restarted server, gets the answer
//   of that commit and changes nothing;
// - the same for an admin's keyed event and section;
// - a cancelled order, read back after a restart, still names its seats,
//   and those seats can be sold again.
#include "persistence/database.h"
#include "tests/e2e/api_checks.h"

#include <soci/session.h>

#include <boost/test/unit_test.hpp>

#include <stdexcept>

using namespace boxoffice;
using namespace boxoffice::e2e;
using namespace std::chrono_literals;

namespace {

const std::map<std::string, std::string> crash_after_commit = {
  {"BOXOFFICE_FAULT", "crash_after_commit"}};

std::map<std::string, std::string> keyed(const std::string& key) {
  return {{"Idempotency-Key", key}};
}

uint64_t one_row_event(api_server& server) {
  return server.create_event(
    "Once", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1}, {"seats_per_row", 10},
                  {"price_cents", 100}}});
}

// Sends a request that the server dies answering, and waits for it to end.
void send_into_the_crash(api_server& server, const std::string& method, const std::string& path,
                         const std::string& body, const std::string& token,
                         const std::string& key) {
  try {
    auto r = server.call(method, path, body, token, keyed(key));
    BOOST_ERROR("the server answered " << r.status << " " << r.body << " instead of dying");
  } catch (const std::runtime_error&) {
    // No answer: the process exited after the commit, as the fault says.
  }
  auto status = server.process().wait_exit(10s);
  BOOST_TEST_REQUIRE(status.has_value(), "the server did not exit after its commit");
}

// The Row's states with `seats` ("A-4", ...) in state `state`, the rest free.
std::string states_of(const json& seats, char state) {
  std::string states(10, 'f');
  for (const auto& label : seats)
    states.at(std::stoul(label.get<std::string>().substr(2)) - 1) = state;
  return states;
}

// The Row's seat states ("hhffffffff") and counts, from the seat map.
json row_states(api_server& server, uint64_t event) {
  return expect_json(server.call("GET", seats_path(event, 1)), 200);
}

long long count(const std::string& url, const std::string& query) {
  auto sql = open_session(url);
  return query_number(*sql, query).value_or(-1);
}

} // namespace

BOOST_AUTO_TEST_SUITE(exactly_once)

BOOST_AUTO_TEST_CASE(a_keyed_write_committed_before_a_crash_is_done_once) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "exactly-once"};
      if (!server.started())
        continue;
      auto event = one_row_event(server);
      auto token = server.customer_token("once");
      server.process().stop();

      auto holds = event_path(event) + "/holds";
      // Best available: a second hold would get other seats, not a refusal.
      auto body = json{{"section_id", 1}, {"quantity", 2}}.dump();
      server.restart(crash_after_commit);
      send_into_the_crash(server, "POST", holds, body, token, "hold-once");
      server.restart();
      auto hold = expect_json(server.call("POST", holds, body, token, keyed("hold-once")), 201);
      auto seats = hold["seats"];
      BOOST_TEST(seats.size() == 2u);
      auto map = row_states(server, event);
      BOOST_TEST(map["rows"][0]["states"] == states_of(seats, 'h'));
      BOOST_TEST(map["section"]["held"] == 2);
      BOOST_TEST(count(server.database_url(), "select count(*) from holds") == 1);
      auto hold_id = hold["id"].get<std::string>();
      BOOST_TEST(count(server.database_url(), "select count(*) from idempotency_keys") == 1);

      auto purchase = "/v1/holds/" + hold_id + "/purchase";
      server.process().stop();
      server.restart(crash_after_commit);
      send_into_the_crash(server, "POST", purchase, "", token, "buy-once");
      server.restart();
      auto order = server.call("POST", purchase, "", token, keyed("buy-once"));
      auto bought = expect_json(order, 201);
      BOOST_TEST(bought["hold_id"] == hold_id);
      BOOST_TEST(bought["seats"] == seats);
      BOOST_TEST(order.headers["location"] == "/v1/orders/" + bought["id"].get<std::string>());
      map = row_states(server, event);
      BOOST_TEST(map["rows"][0]["states"] == states_of(seats, 's'));
      BOOST_TEST(count(server.database_url(), "select count(*) from orders") == 1);
      // And again, now from a running server: the same answer.
      auto again = server.call("POST", purchase, "", token, keyed("buy-once"));
      BOOST_TEST(again.status == 201);
      BOOST_TEST(again.body == order.body);
    }
  }
}

// The admin's keyed writes commit their answer with the event or section
// they create: a retry after a crash does not make a second one.
BOOST_AUTO_TEST_CASE(a_keyed_event_or_section_committed_before_a_crash_is_made_once) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "exactly-once-admin"};
      if (!server.started())
        continue;
      auto admin = server.admin_token();  // stays valid across restarts
      server.process().stop();

      auto body = json{{"title", "Once only"}, {"starts_at", "2031-05-01T20:00:00Z"}}.dump();
      server.restart(crash_after_commit);
      send_into_the_crash(server, "POST", "/v1/events", body, admin, "event-once");
      server.restart();
      auto first = server.call("POST", "/v1/events", body, admin, keyed("event-once"));
      auto event = expect_json(first, 201);
      BOOST_TEST(event["title"] == "Once only");
      BOOST_TEST(count(server.database_url(), "select count(*) from events") == 1);
      auto id = event["id"].get<uint64_t>();

      auto sections = event_path(id) + "/sections";
      auto section = json{{"name", "Row"}, {"kind", "general"}, {"capacity", 50},
                          {"price_cents", 100}}.dump();
      server.process().stop();
      server.restart(crash_after_commit);
      send_into_the_crash(server, "POST", sections, section, admin, "section-once");
      server.restart();
      auto added = server.call("POST", sections, section, admin, keyed("section-once"));
      BOOST_TEST(expect_json(added, 201)["name"] == "Row");
      BOOST_TEST(count(server.database_url(), "select count(*) from sections") == 1);
      // The event's first answer, again, from a running server.
      auto again = server.call("POST", "/v1/events", body, admin, keyed("event-once"));
      BOOST_TEST(again.status == 201);
      BOOST_TEST(again.body == first.body);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_cancelled_order_keeps_its_seats_across_a_restart) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "cancelled-seats"};
      if (!server.started())
        continue;
      auto event = one_row_event(server);
      auto token = server.customer_token("canceller");
      auto holds = event_path(event) + "/holds";
      auto hold = expect_json(
        server.call_json("POST", holds, json{{"section_id", 1}, {"seats", {"A-3", "A-4"}}}, token),
        201);
      auto order = expect_json(
        server.call("POST", "/v1/holds/" + hold["id"].get<std::string>() + "/purchase", "", token),
        201);
      auto path = "/v1/orders/" + order["id"].get<std::string>();
      expect_json(server.call("POST", path + "/cancel", "", token), 200);
      server.process().stop();
      server.restart();

      auto stored = expect_json(server.call("GET", path, "", token), 200);
      BOOST_TEST(stored["seats"] == json({"A-3", "A-4"}));
      BOOST_TEST(stored["status"] == "cancelled");
      BOOST_TEST(wire_time_ms(stored.value("cancelled_at", "")) > 0);
      BOOST_TEST(row_states(server, event)["rows"][0]["states"] == "ffffffffff");
      // The seats sell again.
      auto again = expect_json(
        server.call_json("POST", holds, json{{"section_id", 1}, {"seats", {"A-4"}}}, token), 201);
      expect_json(
        server.call("POST", "/v1/holds/" + again["id"].get<std::string>() + "/purchase", "", token),
        201);
      BOOST_TEST(row_states(server, event)["rows"][0]["states"] == "fffsffffff");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
