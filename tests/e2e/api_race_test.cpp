// Many clients at once against the real binary, both backends: 200
// customers race for one seat (exactly one wins), crowds race for quantity
// holds in small sections (never more sold than the capacity), and a server
// bounded to one request in flight sheds the rest with 503 + Retry-After.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

// One client thread's part in a race. Boost.Test is not thread-safe: the
// threads only record; the test thread checks.
struct racer {
  std::string token;
  test::reply hold;
  test::reply purchase;
  std::string error;  // a failed setup or a transport failure
};

using racer_step = std::function<void(size_t index, test::client& http, racer& me)>;

// n threads, each with its own client: `setup` (sign up, log in), then all
// wait at one gate and run `race` together.
std::vector<racer> run_race(size_t n, const racer_step& setup, const racer_step& race) {
  std::vector<racer> racers(n);
  start_gate gate{n};
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      test::client http;
      try {
        setup(i, http, racers[i]);
      } catch (const std::exception& e) {
        racers[i].error = e.what();
      }
      gate.arrive_and_wait();
      if (!racers[i].error.empty())
        return;
      try {
        race(i, http, racers[i]);
      } catch (const std::exception& e) {
        racers[i].error = e.what();
      }
    });
  for (auto& t : threads)
    t.join();
  return racers;
}

// Signs up and logs in a new customer with its own client (thread-safe,
// unlike api_server's helpers).
// A crowd signing up at once meets the bound of password checks (503
// auth_busy, nothing changed): each client waits its Retry-After and asks
// again (sooner than the advised second, with jitter, to keep the test short).
test::reply send_auth(test::client& http, const std::string& url, const std::string& body) {
  for (int attempt = 0;; ++attempt) {
    auto r = http.send("POST", url, body);
    auto code = r.status == 503 && json_of(r) ? json_of(r)->value("code", "") : "";
    // Without Retry-After the answer is wrong: returned, so the test fails.
    if (code != "auth_busy" || attempt == 100 || r.headers.count("retry-after") == 0)
      return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(50 * (1 + attempt % 10)));
  }
}

std::string sign_up(test::client& http, const std::string& base_url, const std::string& who) {
  json credentials{{"email", who + "@race.e2e.test"}, {"password", "password-of-" + who}};
  auto signup = send_auth(http, base_url + "/v1/auth/signup", credentials.dump());
  if (signup.status != 201)
    throw std::runtime_error("signup " + who + ": " + signup.body);
  auto login = send_auth(http, base_url + "/v1/auth/login", credentials.dump());
  if (login.status != 200)
    throw std::runtime_error("login " + who + ": " + login.body);
  return json::parse(login.body)["access_token"].get<std::string>();
}

std::map<std::string, std::string> bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// The code of a problem+json answer; "" for anything else.
std::string problem_code(const test::reply& r) {
  auto type = r.headers.find("content-type");
  auto j = json_of(r);
  if (type == r.headers.end() || type->second != "application/problem+json" || !j
      || !j->is_object() || (*j)["status"] != r.status)
    return "";
  return j->value("code", "");
}

// The racers' errors, all of them, as test failures.
void check_no_errors(const std::vector<racer>& racers) {
  size_t failed = 0;
  for (const auto& r : racers)
    if (!r.error.empty() && failed++ < 5)
      BOOST_ERROR("client failed: " << r.error);
  BOOST_TEST_REQUIRE(failed == 0u);
}

json section_counts(api_server& server, uint64_t event, size_t index) {
  auto e = expect_json(server.call("GET", event_path(event)), 200);
  auto s = e["sections"][index];
  return json{{"free", s["free"]}, {"held", s["held"]}, {"sold", s["sold"]}};
}

// `n` clients hold `quantity` in `section` at once and buy at once what they
// got: exactly capacity / quantity win, every other hold is 409
// not_enough_seats, and what is sold is what was won.
void race_for_quantity(api_server& server, uint64_t event, int section,
                       const std::vector<std::string>& tokens, int quantity, int capacity) {
  auto base = server.process().base_url();
  auto racers = run_race(
    tokens.size(), [&](size_t i, test::client&, racer& me) { me.token = tokens[i]; },
    [&](size_t, test::client& http, racer& me) {
      json body{{"section_id", section}, {"quantity", quantity}};
      me.hold = http.send("POST", base + event_path(event) + "/holds", body.dump(),
                          bearer(me.token));
      if (me.hold.status != 201)
        return;
      auto id = json::parse(me.hold.body)["id"].get<std::string>();
      me.purchase = http.send("POST", base + "/v1/holds/" + id + "/purchase", "",
                              bearer(me.token));
    });
  check_no_errors(racers);
  int won = 0, refused = 0, bought = 0;
  for (const auto& r : racers) {
    won += r.hold.status == 201;
    refused += r.hold.status == 409 && problem_code(r.hold) == "not_enough_seats";
    bought += r.purchase.status == 201;
    if (r.hold.status != 201 && r.hold.status != 409)
      BOOST_ERROR("unexpected answer " << r.hold.status << " " << r.hold.body);
  }
  int winners = capacity / quantity;
  BOOST_TEST(won == winners);
  BOOST_TEST(refused == static_cast<int>(tokens.size()) - winners);
  BOOST_TEST(bought == winners);
  BOOST_TEST(section_counts(server, event, static_cast<size_t>(section - 1))
             == (json{{"free", capacity - winners * quantity}, {"held", 0},
                      {"sold", winners * quantity}}));
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_races)

// 200 customers, each with its own connection, released at once on seat
// one 201, 199 409 seat_unavailable, one held seat in the map.
BOOST_AUTO_TEST_CASE(two_hundred_clients_race_for_one_seat) {
  constexpr size_t clients = 200;
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-race-seat"};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "One seat", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1},
                          {"seats_per_row", 10}, {"price_cents", 100}}});
      auto base = server.process().base_url();
      auto racers = run_race(
        clients,
        [&](size_t i, test::client& http, racer& me) {
          me.token = sign_up(http, base, "seat-" + std::to_string(i));
        },
        [&](size_t, test::client& http, racer& me) {
          json body{{"section_id", 1}, {"seats", {"A-5"}}};
          me.hold = http.send("POST", base + event_path(event) + "/holds", body.dump(),
                              bearer(me.token));
        });
      check_no_errors(racers);
      size_t won = 0, refused = 0;
      const racer* winner = nullptr;
      for (const auto& r : racers) {
        if (r.hold.status == 201) {
          ++won;
          winner = &r;
        } else if (r.hold.status == 409 && problem_code(r.hold) == "seat_unavailable") {
          ++refused;
        } else {
          BOOST_ERROR("unexpected answer " << r.hold.status << " " << r.hold.body);
        }
      }
      BOOST_TEST(won == 1u);
      BOOST_TEST(refused == clients - 1);
      auto map = expect_json(server.call("GET", seats_path(event, 1)), 200);
      BOOST_TEST(map["rows"][0]["states"] == "ffffhfffff");
      BOOST_TEST(map["section"]["held"] == 1);
      BOOST_TEST(map["section"]["free"] == 9);
      BOOST_TEST_REQUIRE(winner != nullptr);
      auto id = json::parse(winner->hold.body)["id"].get<std::string>();
      auto hold = expect_json(server.call("GET", "/v1/holds/" + id, "", winner->token), 200);
      BOOST_TEST(hold["seats"] == json({"A-5"}));
    }
  }
}

// A crowd races for quantity holds in a 10-place standing area (parties of
// 3: three win, one place stays free) and a 2x4 reserved block (pairs: four
// win, every seat sold), buying whatever it gets.
BOOST_AUTO_TEST_CASE(crowds_never_buy_more_than_a_small_section_holds) {
  constexpr size_t clients = 60;
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-race-quantity"};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "Small", {json{{"name", "Standing"}, {"kind", "general"}, {"capacity", 10},
                       {"price_cents", 100}},
                  json{{"name", "Box"}, {"kind", "reserved"}, {"rows", 2}, {"seats_per_row", 4},
                       {"price_cents", 100}}});
      auto base = server.process().base_url();
      std::vector<std::string> tokens(clients);
      auto signed_up = run_race(
        clients,
        [&](size_t i, test::client& http, racer&) {
          tokens[i] = sign_up(http, base, "crowd-" + std::to_string(i));
        },
        [](size_t, test::client&, racer&) {});
      check_no_errors(signed_up);
      race_for_quantity(server, event, 1, tokens, 3, 10);
      race_for_quantity(server, event, 2, tokens, 2, 8);
      auto map = expect_json(server.call("GET", seats_path(event, 2)), 200);
      BOOST_TEST(map["rows"][0]["states"] == "ssss");
      BOOST_TEST(map["rows"][1]["states"] == "ssss");
    }
  }
}

// http.max_in_flight_requests = 1: concurrent requests past it are answered
// at once with 503 overloaded + Retry-After; every other answer is a 200,
// none hangs, none is empty.
BOOST_AUTO_TEST_CASE(a_full_server_sheds_load_with_503_and_retry_after) {
  constexpr size_t clients = 32;
  constexpr int requests_each = 8;
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-overload", {{"BOXOFFICE_HTTP_MAX_IN_FLIGHT_REQUESTS", "1"}}};
      if (!server.started())
        continue;
      auto url = server.url("/v1/events");
      std::vector<std::vector<test::reply>> answers(clients);
      auto racers = run_race(
        clients, [](size_t, test::client&, racer&) {},
        [&](size_t i, test::client& http, racer&) {
          for (int k = 0; k < requests_each; ++k)
            answers[i].push_back(http.send("GET", url));
        });
      check_no_errors(racers);
      int ok = 0, shed = 0;
      for (const auto& mine : answers)
        for (const auto& r : mine) {
          if (r.status == 200 && json_of(r)) {
            ++ok;
          } else if (r.status == 503 && problem_code(r) == "overloaded"
                     && r.headers.count("retry-after") && r.headers.at("retry-after") == "1") {
            ++shed;
          } else {
            BOOST_ERROR("unexpected answer " << r.status << " " << r.body);
          }
        }
      BOOST_TEST_MESSAGE(backend << ": " << ok << " answered, " << shed << " shed");
      BOOST_TEST(ok + shed == static_cast<int>(clients) * requests_each);
      BOOST_TEST(shed >= 1);
      BOOST_TEST(ok >= 1);
      BOOST_TEST(server.call("GET", "/v1/health").status == 200);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
