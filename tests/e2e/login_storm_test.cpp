// A login storm against the real binary: past auth.workers +
// auth.hash_queue_max signups and logins at once, the rest are answered 503
// auth_busy (problem+json, Retry-After) before anything is hashed, and the
// sale goes on meanwhile: a hold made during the storm succeeds.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <thread>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

const json standing = json{{"name", "Standing"}, {"kind", "general"}, {"capacity", 50},
                           {"price_cents", 1500}};

// One worker, one waiting place, a slow hash: a few logins at once fill it.
const std::map<std::string, std::string> storm_settings = {
  {"BOXOFFICE_AUTH_WORKERS", "1"},
  {"BOXOFFICE_AUTH_HASH_QUEUE_MAX", "1"},
  {"BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS", "3"},
  {"BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB", "131072"},
  {"BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN", "0"},
  {"BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN", "0"},
};

} // namespace

BOOST_AUTO_TEST_SUITE(login_storm)

BOOST_AUTO_TEST_CASE(logins_past_the_hashing_bound_get_503_while_holds_go_on) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "login-storm", storm_settings};
      if (!server.started())
        continue;
      auto event = server.create_event("Storm Gala", {standing});
      auto token = server.customer_token("storm-buyer");

      // Boost.Test is not thread-safe: the threads record, this one checks.
      constexpr size_t clients = 8;
      constexpr int logins_each = 3;
      std::vector<std::vector<test::reply>> replies(clients);
      std::vector<std::string> errors(clients);
      std::atomic<size_t> started{0};
      std::vector<std::thread> threads;
      auto url = server.url("/v1/auth/login");
      auto body = json{{"email", admin_email}, {"password", admin_password}}.dump();
      for (size_t i = 0; i < clients; ++i)
        threads.emplace_back([&, i] {
          test::client http;
          ++started;
          try {
            for (int n = 0; n < logins_each; ++n)
              replies[i].push_back(http.send("POST", url, body));
          } catch (const std::exception& e) {
            errors[i] = e.what();
          }
        });
      while (started.load() < clients)
        std::this_thread::yield();
      // During the storm: a hold.
      auto hold = server.call_json("POST", event_path(event) + "/holds",
                                   json{{"section_id", 1}, {"quantity", 2}}, token);
      for (auto& t : threads)
        t.join();

      BOOST_TEST(hold.status == 201, hold.body);
      size_t ok = 0, busy = 0;
      for (size_t i = 0; i < clients; ++i) {
        BOOST_TEST(errors[i].empty(), errors[i]);
        for (const auto& r : replies[i]) {
          if (r.status == 200) {
            ++ok;
            continue;
          }
          BOOST_TEST(r.status == 503, r.body);
          auto p = json::parse(r.body, nullptr, false);
          BOOST_TEST(p.is_object(), r.body);
          if (!p.is_object())
            continue;
          BOOST_TEST(p.value("code", "") == "auth_busy", r.body);
          BOOST_TEST(p.value("status", 0) == 503, r.body);
          BOOST_TEST(r.headers.count("content-type") == 1u);
          if (r.headers.count("content-type"))
            BOOST_TEST(r.headers.at("content-type") == "application/problem+json");
          BOOST_TEST(r.headers.count("retry-after") == 1u);
          if (r.headers.count("retry-after"))
            BOOST_TEST(std::atoi(r.headers.at("retry-after").c_str()) >= 1);
          ++busy;
        }
      }
      BOOST_TEST(ok >= 1u);
      BOOST_TEST(busy >= 1u);  // 8 clients, 2 places: some must be refused
      // After the storm a login gets through again.
      BOOST_TEST(server.call_json("POST", "/v1/auth/login",
                                  json{{"email", admin_email}, {"password", admin_password}})
                   .status
                 == 200);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
