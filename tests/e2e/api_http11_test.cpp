// HTTP/1.1 on the wire, against the real binary: pipelined requests are
// answered, in order; HEAD answers what GET would, without the body; a
// refused request (a body over the limit, a broken chunk, ambiguous
// framing), whatever the writes it came in, is answered with a problem and
// the connection closed, and a request hidden behind it never runs; a
// request the actors cannot answer in time gets our 503, not the HTTP
// library's 408. Raw sockets, because curl neither pipelines nor lies.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

#include <sstream>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

constexpr uint32_t max_body_bytes = 2048;

struct http11_server {
  api_server server{"sqlite", "api-http11",
                    {{"BOXOFFICE_HTTP_MAX_BODY_BYTES", std::to_string(max_body_bytes)}}};
  uint64_t event = server.create_event(
    "Wire", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1}, {"seats_per_row", 8},
                  {"price_cents", 100}}});
  std::string token = server.customer_token("wire");

  uint16_t port() { return server.process().http_port(); }

  // A whole hold request for seat A-<seat>, with a valid token.
  std::string hold_request(int seat) {
    auto body = json{{"section_id", 1}, {"seats", {"A-" + std::to_string(seat)}}}.dump();
    return "POST " + event_path(event) + "/holds HTTP/1.1\r\nHost: boxoffice\r\n"
           + "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n"
           + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  // 'f' free, 'h' held, 's' sold: seat A-<seat> as the seat map shows it.
  char seat_state(int seat) {
    test::client fresh;
    auto map = expect_json(fresh.send("GET", server.url(seats_path(event, 1))), 200);
    return map["rows"][0]["states"].get<std::string>().at(static_cast<size_t>(seat - 1));
  }
};

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: boxoffice\r\n" + extra + "\r\n";
}

// Exactly one answer, a problem with `status`, and the connection closed.
void check_refused_alone(const test::conversation& c, long status, const std::string& what) {
  BOOST_TEST_CONTEXT(what) {
    auto answers = test::split_responses(c.received);
    BOOST_TEST_REQUIRE(answers.size() == 1u, c.received.substr(0, 600));
    BOOST_TEST(answers[0].status == status, c.received.substr(0, 300));
    BOOST_TEST(answers[0].headers["content-type"] == "application/problem+json");
    BOOST_TEST(answers[0].headers.count("x-request-id") == 1u);
    BOOST_TEST(answers[0].headers["connection"] == "close");
    BOOST_TEST(c.closed);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_http11)

BOOST_FIXTURE_TEST_CASE(pipelined_requests_are_all_answered_in_order, http11_server) {
  // Three health checks in one write, then a hold, its seat map, and a
  // request that closes the connection: six answers, in this order.
  std::string burst = get("/v1/health") + get("/v1/health") + get("/v1/health")
                      + hold_request(1) + get(seats_path(event, 1)) + get("/nope", "Connection: close\r\n");
  auto c = test::raw_conversation(port(), {burst});
  auto answers = test::split_responses(c.received);
  BOOST_TEST_REQUIRE(answers.size() == 6u, c.received.substr(0, 800));
  for (int i = 0; i < 3; ++i)
    BOOST_TEST(answers[i].body == R"({"status":"ok"})");
  BOOST_TEST(answers[3].status == 201, answers[3].body);
  // The map was read after the hold was answered: it shows it.
  auto map = json::parse(answers[4].body);
  BOOST_TEST(map["rows"][0]["states"].get<std::string>().at(0) == 'h', map.dump());
  BOOST_TEST(answers[5].status == 404);
  BOOST_TEST(answers[5].headers["connection"] == "close");
  BOOST_TEST(c.closed);
}

BOOST_FIXTURE_TEST_CASE(head_answers_every_get_route_without_a_body, http11_server) {
  auto hold = expect_json(server.call_json("POST", event_path(event) + "/holds",
                                           {{"section_id", 1}, {"seats", {"A-8"}}}, token),
                          201);
  auto auth = "Authorization: Bearer " + token + "\r\n";
  const std::vector<std::string> paths = {
    "/v1/health", "/v1/ready", "/metrics", "/v1/openapi.json", "/v1/events",
    event_path(event), seats_path(event, 1), "/v1/me", "/v1/orders",
    "/v1/holds/" + (hold["id"].is_string() ? hold["id"].get<std::string>() : hold["id"].dump()), "/v1/orders/999999", "/v1/events/999999"};
  for (const auto& path : paths) {
    BOOST_TEST_CONTEXT(path) {
      // HEAD then GET on one connection, in one write: were a body sent
      // after the HEAD, the GET's answer would be read wrong.
      std::string head = "HEAD " + path + " HTTP/1.1\r\nHost: boxoffice\r\n" + auth + "\r\n";
      auto c = test::raw_conversation(port(), {head + get(path, auth + "Connection: close\r\n")});
      auto answers = test::split_responses(c.received, {true, false});
      BOOST_TEST_REQUIRE(answers.size() == 2u, c.received.substr(0, 600));
      BOOST_TEST(answers[0].status == answers[1].status);
      BOOST_TEST(answers[0].body.empty());
      BOOST_TEST(answers[0].headers["content-type"] == answers[1].headers["content-type"]);
      if (path != "/metrics")  // its counters moved between the two
        BOOST_TEST(answers[0].headers["content-length"]
                   == std::to_string(answers[1].body.size()));
    }
  }
}

// A crowd refreshing a seat map pays for a 304 only; a change shows at once.
BOOST_FIXTURE_TEST_CASE(seat_maps_and_event_pages_answer_304_to_their_etag, http11_server) {
  for (const auto& path : {seats_path(event, 1), event_path(event), std::string("/v1/events")}) {
    BOOST_TEST_CONTEXT(path) {
      auto first = server.call("GET", path);
      BOOST_TEST_REQUIRE(first.status == 200);
      auto etag = first.headers["etag"];
      BOOST_TEST_REQUIRE(etag.size() > 2u);
      auto again = server.call("GET", path, "", "", {{"If-None-Match", etag}});
      BOOST_TEST(again.status == 304);
      BOOST_TEST(again.body.empty());
      BOOST_TEST(again.headers["etag"] == etag);
      auto listed = server.call("GET", path, "", "", {{"If-None-Match", "\"x\", W/" + etag}});
      BOOST_TEST(listed.status == 304);
      auto other = server.call("GET", path, "", "", {{"If-None-Match", "\"x\""}});
      BOOST_TEST(other.status == 200);
    }
  }
  auto etag = server.call("GET", seats_path(event, 1)).headers["etag"];
  expect_json(server.call_json("POST", event_path(event) + "/holds",
                               {{"section_id", 1}, {"seats", {"A-7"}}}, token),
              201);
  auto changed = server.call("GET", seats_path(event, 1), "", "", {{"If-None-Match", etag}});
  BOOST_TEST(changed.status == 200);
  BOOST_TEST(changed.headers["etag"] != etag);
}

BOOST_FIXTURE_TEST_CASE(responses_with_tokens_are_never_stored, http11_server) {
  auto signup = server.call_json("POST", "/v1/auth/signup",
                                 {{"email", "store@e2e.test"}, {"password", "a-long-password-1"}});
  BOOST_TEST(signup.headers["cache-control"] == "no-store", signup.status);
  auto login = server.call_json("POST", "/v1/auth/login",
                                {{"email", "store@e2e.test"}, {"password", "a-long-password-1"}});
  BOOST_TEST_REQUIRE(login.status == 200, login.body);
  BOOST_TEST(login.headers["cache-control"] == "no-store");
  auto refresh = server.call_json(
    "POST", "/v1/auth/refresh",
    {{"refresh_token", json::parse(login.body)["refresh_token"].get<std::string>()}});
  BOOST_TEST(refresh.status == 200, refresh.body);
  BOOST_TEST(refresh.headers["cache-control"] == "no-store");
  // ...and every response, these included, is dated.
  for (const auto* r : {&signup, &login, &refresh})
    BOOST_TEST(r->headers.count("date") == 1u);
}

// The request behind a refused one, sent in later writes (the attack of
// issue 12: the 413 was sent and the hidden hold was taken).
BOOST_FIXTURE_TEST_CASE(a_refused_request_never_lets_the_bytes_behind_it_run, http11_server) {
  auto holds = "POST " + event_path(event) + "/holds HTTP/1.1\r\nHost: boxoffice\r\n"
               + "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n";
  auto chunk = [](const std::string& data) {
    std::ostringstream size;
    size << std::hex << data.size();
    return size.str() + "\r\n" + data + "\r\n";
  };
  struct attack {
    const char* what;
    std::vector<std::string> writes;
    long status;
    int seat;
  };
  const std::vector<attack> attacks = {
    {"chunked body over the limit",
     {holds + "Transfer-Encoding: chunked\r\n\r\n", chunk(std::string(max_body_bytes + 100, ' ')),
      hold_request(2)},
     413, 2},
    {"chunked body over the limit, hidden request in the last chunk's write",
     {holds + "Transfer-Encoding: chunked\r\n\r\n",
      chunk(std::string(max_body_bytes, ' ')) + chunk("  ") + "0\r\n\r\n" + hold_request(3)},
     413, 3},
    {"bad chunk size", {holds + "Transfer-Encoding: chunked\r\n\r\n", "zz\r\n{}\r\n0\r\n\r\n",
                        hold_request(4)},
     400, 4},
    {"Content-Length and Transfer-Encoding",
     {holds + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", "0\r\n\r\n",
      hold_request(5)},
     400, 5},
    {"Content-Length over the limit",
     {holds + "Content-Length: " + std::to_string(max_body_bytes + 1) + "\r\n\r\n",
      std::string(max_body_bytes + 1 - hold_request(6).size(), ' ') + hold_request(6)},
     413, 6},
  };
  for (const auto& a : attacks) {
    auto c = test::raw_conversation(port(), a.writes);
    check_refused_alone(c, a.status, a.what);
    BOOST_TEST(seat_state(a.seat) == 'f', a.what);
  }
  // The server is none the worse.
  BOOST_TEST(server.call("GET", "/v1/health").status == 200);
}

// A head that does not arrive in time is answered 408 by us (problem+json,
// a request id), not by the HTTP library.
BOOST_AUTO_TEST_CASE(a_slow_head_gets_our_408) {
  api_server server{"sqlite", "api-http11-slow",
                    {{"BOXOFFICE_HTTP_HEADER_TIMEOUT_S", "1"},
                     {"BOXOFFICE_HTTP_BODY_TIMEOUT_S", "1"},
                     {"BOXOFFICE_HTTP_KEEPALIVE_TIMEOUT_S", "5"}}};
  auto c = test::raw_conversation(server.process().http_port(),
                                  {"GET /v1/health HTTP/1.1\r\nHost: boxo"}, 0, 3000);
  check_refused_alone(c, 408, "slow head");
  BOOST_TEST(json::parse(test::split_responses(c.received)[0].body)["code"] == "client_timeout");
}

// The actors take longer than the request's deadline (each commit waits a
// second): the client gets our 503 request_timeout with Retry-After well
// before Pistache's own timeouts, and the connection serves on.
BOOST_AUTO_TEST_CASE(a_write_slower_than_the_deadline_gets_503_in_time) {
  api_server server{"sqlite", "api-http11-deadline"};
  auto event = server.create_event(
    "Slow", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1}, {"seats_per_row", 4},
                  {"price_cents", 100}}});
  auto token = server.customer_token("slow");
  server.process().stop();
  server.restart({{"BOXOFFICE_HTTP_REQUEST_DEADLINE_MS", "400"},
                  {"BOXOFFICE_ACTORS_REQUEST_TIMEOUT_MS", "300"},
                  {"BOXOFFICE_DATABASE_JOURNAL_BATCH_WAIT_MS", "1000"}});
  auto started = now_ms();
  auto r = server.call_json("POST", event_path(event) + "/holds",
                            {{"section_id", 1}, {"seats", {"A-1"}}}, token);
  auto took_ms = now_ms() - started;
  check_problem(r, 503, "request_timeout");
  BOOST_TEST(r.headers.count("retry-after") == 1u);
  BOOST_TEST(r.headers.count("x-request-id") == 1u);
  BOOST_TEST(took_ms < 900, took_ms);
  BOOST_TEST(server.call("GET", "/v1/health").status == 200);
}

BOOST_AUTO_TEST_SUITE_END()
