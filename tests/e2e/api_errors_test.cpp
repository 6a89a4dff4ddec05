// Every error status of the REST API on the real binary, both backends, each
// as an exact problem+json answer: type, title, status, detail, code, the
// status field equal to the HTTP status, and the headers it implies
// (WWW-Authenticate, Allow). 429 is the auth suite's; 503 is api_race_test's.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

constexpr uint32_t max_body_bytes = 2048;

// One request and the problem it must get. `field`: named in the detail.
struct bad_request {
  std::string what;
  std::string method;
  std::string path;
  std::string body;
  std::string token;
  std::map<std::string, std::string> headers;
  long status;
  std::string code;
  std::string field;
};

void check_all(api_server& server, const std::vector<bad_request>& table) {
  for (const auto& t : table) {
    BOOST_TEST_CONTEXT(t.what << ": " << t.method << " " << t.path) {
      auto r = server.call(t.method, t.path, t.body, t.token, t.headers);
      if (t.field.empty())
        check_problem(r, t.status, t.code);
      else
        check_problem_names(r, t.status, t.code, t.field);
    }
  }
}

// The ids the table refers to: Alice's hold (A-1), released hold, order and
// cancelled order; Bob is the other customer.
struct scene {
  uint64_t event = 0;
  uint64_t draft = 0;
  std::string alice;
  std::string bob;
  std::string hold;      // /v1/holds/<id>, live
  std::string released;  // /v1/holds/<id>
  std::string order;     // /v1/orders/<id>
  std::string cancelled; // /v1/orders/<id>, cancelled
};

scene set_up(api_server& server) {
  scene s;
  s.event = server.create_event(
    "Errors", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1}, {"seats_per_row", 10},
                    {"price_cents", 100}},
               json{{"name", "Standing"}, {"kind", "general"}, {"capacity", 5},
                    {"price_cents", 50}}});
  s.draft = server.create_event("Draft", {json{{"name", "Standing"}, {"kind", "general"},
                                               {"capacity", 5}, {"price_cents", 50}}},
                                false);
  s.alice = server.customer_token("alice");
  s.bob = server.customer_token("bob");
  auto holds = event_path(s.event) + "/holds";
  auto hold_path = [&](const json& seats) {
    auto r = server.call_json("POST", holds, json{{"section_id", 1}, {"seats", seats}}, s.alice);
    BOOST_TEST_REQUIRE(r.status == 201, r.body);
    return "/v1/holds/" + json::parse(r.body)["id"].get<std::string>();
  };
  s.hold = hold_path({"A-1"});
  s.released = hold_path({"A-2"});
  BOOST_TEST_REQUIRE(server.call("DELETE", s.released, "", s.alice).status == 200);
  auto buy = [&](const std::string& seat) {
    auto order = server.call("POST", hold_path({seat}) + "/purchase", "", s.alice);
    BOOST_TEST_REQUIRE(order.status == 201, order.body);
    return "/v1/orders/" + json::parse(order.body)["id"].get<std::string>();
  };
  s.order = buy("A-3");
  s.cancelled = buy("A-4");
  BOOST_TEST_REQUIRE(server.call("POST", s.cancelled + "/cancel", "", s.alice).status == 200);
  return s;
}

std::vector<bad_request> client_errors(const scene& s, const std::string& admin) {
  auto holds = event_path(s.event) + "/holds";
  auto e = event_path(s.event);
  std::map<std::string, std::string> none;
  std::map<std::string, std::string> text_plain{{"Content-Type", "text/plain"}};
  const std::string a_hold = R"({"section_id":1,"seats":["A-9"]})";
  const std::string an_event = R"({"title":"T","starts_at":"2030-01-01T20:00:00Z"})";
  return {
    {"malformed JSON", "POST", holds, R"({"section_id":1,)", s.alice, none, 400,
     "malformed_json", ""},
    {"section_id as a string", "POST", holds, R"({"section_id":"1","seats":["A-9"]})", s.alice,
     none, 400, "invalid_field", "section_id"},
    {"quantity as a string", "POST", holds, R"({"section_id":1,"quantity":"2"})", s.alice, none,
     400, "invalid_field", "quantity"},
    {"title as a number", "POST", "/v1/events",
     R"({"title":5,"starts_at":"2030-01-01T20:00:00Z"})", admin, none, 400, "invalid_field",
     "title"},
    {"Idempotency-Key too long", "POST", holds, a_hold, s.alice,
     {{"Idempotency-Key", std::string(256, 'k')}}, 400, "invalid_field", "Idempotency-Key"},
    {"no token", "POST", holds, a_hold, "", none, 401, "unauthorized", ""},
    {"no token for my orders", "GET", "/v1/orders", "", "", none, 401, "unauthorized", ""},
    {"a token that is not one", "GET", "/v1/orders", "", "not-a-token", none, 401,
     "invalid_token", ""},
    {"customer creates an event", "POST", "/v1/events", an_event, s.alice, none, 403,
     "forbidden", ""},
    {"customer edits an event", "PATCH", e, R"({"title":"Mine"})", s.alice, none, 403,
     "forbidden", ""},
    {"customer adds a section", "POST", e + "/sections",
     R"({"name":"X","kind":"general","capacity":5,"price_cents":1})", s.alice, none, 403,
     "forbidden", ""},
    {"unknown route", "GET", "/v1/nope", "", "", none, 404, "not_found", ""},
    {"unknown event", "GET", "/v1/events/999999", "", "", none, 404, "event_not_found", ""},
    {"event id not a number", "GET", "/v1/events/abc", "", "", none, 404, "event_not_found", ""},
    {"customer sees no draft", "GET", event_path(s.draft), "", s.alice, none, 404,
     "event_not_found", ""},
    {"unknown section", "GET", e + "/sections/9/seats", "", "", none, 404, "section_not_found",
     ""},
    {"hold in an unknown section", "POST", holds, R"({"section_id":9,"quantity":1})", s.alice,
     none, 404, "section_not_found", ""},
    {"unknown hold", "GET", "/v1/holds/" + std::to_string(s.event) + "-1-999", "", s.alice, none,
     404, "hold_not_found", ""},
    {"hold id not an id", "GET", "/v1/holds/nonsense", "", s.alice, none, 404, "hold_not_found",
     ""},
    {"another customer's hold", "GET", s.hold, "", s.bob, none, 404, "hold_not_found", ""},
    {"release another's hold", "DELETE", s.hold, "", s.bob, none, 404, "hold_not_found", ""},
    {"extend another's hold", "POST", s.hold + "/extend", "", s.bob, none, 404, "hold_not_found",
     ""},
    {"buy another's hold", "POST", s.hold + "/purchase", "", s.bob, none, 404, "hold_not_found",
     ""},
    {"another customer's order", "GET", s.order, "", s.bob, none, 404, "order_not_found", ""},
    {"cancel another's order", "POST", s.order + "/cancel", "", s.bob, none, 404,
     "order_not_found", ""},
    {"cancel a cancelled order", "POST", s.cancelled + "/cancel", "", s.alice, none, 409,
     "order_cancelled", ""},
    {"cancel another's cancelled order", "POST", s.cancelled + "/cancel", "", s.bob, none, 404,
     "order_not_found", ""},
    {"unknown order", "GET", "/v1/orders/" + std::to_string(s.event) + "-1-999", "", s.alice,
     none, 404, "order_not_found", ""},
    {"seat taken", "POST", holds, R"({"section_id":1,"seats":["A-1"]})", s.bob, none, 409,
     "seat_unavailable", ""},
    {"seat sold", "POST", holds, R"({"section_id":1,"seats":["A-3","A-4"]})", s.bob, none, 409,
     "seat_unavailable", ""},
    {"more than the standing area", "POST", holds, R"({"section_id":2,"quantity":6})", s.bob,
     none, 409, "not_enough_seats", ""},
    {"over the ticket limit", "POST", holds, R"({"section_id":1,"quantity":9})", s.alice, none,
     409, "limit_exceeded", ""},
    {"back to draft", "PATCH", e, R"({"status":"draft"})", admin, none, 409,
     "invalid_transition", ""},
    {"hold on a draft", "POST", event_path(s.draft) + "/holds", R"({"section_id":1,"quantity":1})",
     s.bob, none, 409, "sale_not_open", ""},
    {"buy a released hold", "POST", s.released + "/purchase", "", s.alice, none, 410,
     "hold_released", ""},
    {"extend a released hold", "POST", s.released + "/extend", "", s.alice, none, 410,
     "hold_released", ""},
    {"hold as text", "POST", holds, a_hold, s.alice, text_plain, 415, "unsupported_media_type",
     ""},
    {"event as text", "POST", "/v1/events", an_event, admin, text_plain, 415,
     "unsupported_media_type", ""},
    {"edit as text", "PATCH", e, R"({"title":"X"})", admin, text_plain, 415,
     "unsupported_media_type", ""},
    {"unknown seat", "POST", holds, R"({"section_id":1,"seats":["Z-1"]})", s.bob, none, 422,
     "unknown_seat", ""},
    {"seat 11 of 10", "POST", holds, R"({"section_id":1,"seats":["A-11"]})", s.bob, none, 422,
     "unknown_seat", ""},
    {"quantity over max_seats_per_hold", "POST", holds, R"({"section_id":1,"quantity":11})",
     s.bob, none, 422, "invalid_value", "quantity"},
    {"labels in general admission", "POST", holds, R"({"section_id":2,"seats":["A-1"]})", s.bob,
     none, 422, "invalid_request", ""},
    {"invalid status", "PATCH", e, R"({"status":"open"})", admin, none, 422, "invalid_value",
     "status"},
    {"page 0", "GET", "/v1/events?page=0", "", "", none, 422, "invalid_value", "page"},
    {"page_size 101", "GET", "/v1/orders?page_size=101", "", s.alice, none, 422, "invalid_value",
     "page_size"},
  };
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_errors)

BOOST_AUTO_TEST_CASE(every_error_is_an_exact_problem) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-errors",
                        {{"BOXOFFICE_HTTP_MAX_BODY_BYTES", std::to_string(max_body_bytes)}}};
      if (!server.started())
        continue;
      auto s = set_up(server);
      check_all(server, client_errors(s, server.admin_token()));

      auto no_token = server.call("GET", "/v1/orders");
      BOOST_TEST(no_token.headers["www-authenticate"] == "Bearer realm=\"boxoffice\"");
      struct allowed {
        std::string method, path, allow;
      };
      for (const auto& a : {allowed{"PUT", "/v1/events", "GET, HEAD, POST"},
                            allowed{"DELETE", event_path(s.event), "GET, HEAD, PATCH"},
                            allowed{"GET", s.hold + "/purchase", "POST"},
                            allowed{"PATCH", "/v1/orders", "GET, HEAD"},
                            allowed{"POST", s.hold, "GET, HEAD, DELETE"}}) {
        BOOST_TEST_CONTEXT(a.method << " " << a.path) {
          auto r = server.call(a.method, a.path, "", s.alice);
          check_problem(r, 405, "method_not_allowed");
          BOOST_TEST(r.headers["allow"] == a.allow);
        }
      }

      // Over max_body_bytes: 413 before anything is parsed.
      std::string padded = R"({"section_id":1,"seats":["A-9"])" + std::string(3000, ' ') + "}";
      auto big = server.call("POST", event_path(s.event) + "/holds", padded, s.bob);
      check_problem(big, 413, "body_too_large");

      // None of it changed anything: A-1 held, A-3 sold, the rest free.
      auto map = expect_json(server.call("GET", seats_path(s.event, 1)), 200);
      BOOST_TEST(map["rows"][0]["states"] == "hfsfffffff");
      auto event = expect_json(server.call("GET", event_path(s.event)), 200);
      BOOST_TEST(event["status"] == "on_sale");
      BOOST_TEST(event["title"] == "Errors");
      BOOST_TEST(event["sections"].size() == 2u);
      BOOST_TEST(event["sections"][1]["free"] == 5);
      BOOST_TEST(expect_json(server.call("GET", "/v1/orders", "", s.bob), 200)["total"] == 0);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
