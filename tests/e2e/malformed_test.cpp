// A corpus of malformed requests against the real binary, both backends:
// each is answered with a 4xx problem+json (never a 5xx, never an empty
// body), and afterwards nothing changed, byte for byte. Then raw bytes curl
// would never send: the server answers or closes, and keeps serving.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

enum class target { hold, event, edit };

// One bad request. An empty code accepts any code of that status (the
// status is what the contract fixes; several codes would be fair).
struct bad_body {
  std::string what;
  target to;
  std::string body;
  long status;
  std::string code;
  std::map<std::string, std::string> headers = {};
};

std::string deep_array(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

std::vector<bad_body> hold_corpus() {
  auto h = target::hold;
  return {
    {"not JSON", h, R"({section_id: 1})", 400, "malformed_json"},
    {"truncated", h, R"({"section_id":1,"seats":["A-1")", 400, "malformed_json"},
    {"empty body", h, "", 400, "malformed_json"},
    {"only spaces", h, "   ", 400, "malformed_json"},
    {"trailing bytes", h, R"({"section_id":1,"quantity":1} x)", 400, "malformed_json"},
    {"two objects", h, R"({"section_id":1,"quantity":1}{})", 400, "malformed_json"},
    {"a comment", h, R"({"section_id":1 /* c */,"quantity":1})", 400, "malformed_json"},
    {"NaN", h, R"({"section_id":1,"quantity":NaN})", 400, "malformed_json"},
    {"an array", h, R"([{"section_id":1,"quantity":1}])", 400, "invalid_field"},
    {"a string", h, R"("hold")", 400, "invalid_field"},
    {"a number", h, "42", 400, "invalid_field"},
    {"null", h, "null", 400, "invalid_field"},
    {"section_id a string", h, R"({"section_id":"1","quantity":1})", 400, "invalid_field"},
    {"section_id null", h, R"({"section_id":null,"quantity":1})", 400, "invalid_field"},
    {"section_id missing", h, R"({"quantity":1})", 400, "invalid_field"},
    {"section_id nested deep", h, R"({"section_id":)" + deep_array(10000) + R"(,"quantity":1})",
     400, "invalid_field"},
    {"seats a string", h, R"({"section_id":1,"seats":"A-1"})", 400, "invalid_field"},
    {"seats of numbers", h, R"({"section_id":1,"seats":[1]})", 400, "invalid_field"},
    {"seats of null", h, R"({"section_id":1,"seats":[null]})", 400, "invalid_field"},
    {"quantity true", h, R"({"section_id":1,"quantity":true})", 400, "invalid_field"},
    {"quantity an object", h, R"({"section_id":1,"quantity":{}})", 400, "invalid_field"},
    {"both null", h, R"({"section_id":1,"seats":null,"quantity":null})", 400, "invalid_field"},
    {"neither", h, R"({"section_id":1})", 400, "invalid_field"},
    {"both", h, R"({"section_id":1,"seats":["A-1"],"quantity":1})", 400, "invalid_field"},
    {"unknown field", h, R"({"section_id":1,"quantity":1,"vip":true})", 400, "invalid_field"},
    {"quantity 1e400", h, R"({"section_id":1,"quantity":1e400})", 400, ""},
    {"section_id -1e400", h, R"({"section_id":-1e400,"quantity":1})", 400, ""},
    {"quantity 2^64", h, R"({"section_id":1,"quantity":18446744073709551616})", 400,
     "invalid_field"},
    {"quantity 1.0", h, R"({"section_id":1,"quantity":1.0})", 400, "invalid_field"},
    {"quantity 1.5", h, R"({"section_id":1,"quantity":1.5})", 400, "invalid_field"},
    {"quantity 1e0", h, R"({"section_id":1,"quantity":1e0})", 400, "invalid_field"},
    {"quantity 1e-400", h, R"({"section_id":1,"quantity":1e-400})", 400, "invalid_field"},
    {"quantity -1", h, R"({"section_id":1,"quantity":-1})", 422, "invalid_value"},
    {"quantity 0", h, R"({"section_id":1,"quantity":0})", 422, "invalid_value"},
    {"quantity 11", h, R"({"section_id":1,"quantity":11})", 422, "invalid_value"},
    {"section_id -1", h, R"({"section_id":-1,"quantity":1})", 422, "invalid_value"},
    {"section_id 0", h, R"({"section_id":0,"quantity":1})", 422, "invalid_value"},
    {"section_id 2^32", h, R"({"section_id":4294967296,"quantity":1})", 422, "invalid_value"},
    {"section 99", h, R"({"section_id":99,"quantity":1})", 404, "section_not_found"},
    {"bad UTF-8 in a label", h, "{\"section_id\":1,\"seats\":[\"A-\xff\xfe\"]}", 400,
     "malformed_json"},
    {"overlong UTF-8 '/'", h, "{\"section_id\":1,\"seats\":[\"A\xc0\xaf\"]}", 400,
     "malformed_json"},
    {"bad UTF-8 in a name", h, "{\"section_id\":1,\"quantity\":1,\"\xff\":1}", 400,
     "malformed_json"},
    {"lone surrogate", h, R"({"section_id":1,"seats":["\ud800"]})", 400, "malformed_json"},
    {"raw NUL in a label", h,
     std::string("{\"section_id\":1,\"seats\":[\"A-1") + '\0' + "\"]}", 400, "malformed_json"},
    {"raw newline in a label", h, "{\"section_id\":1,\"seats\":[\"A-\n1\"]}", 400,
     "malformed_json"},
    {"overlong label", h, R"({"section_id":1,"seats":["A-00000000000000001"]})", 422,
     "invalid_value"},
    {"a 4000-byte label", h,
     R"({"section_id":1,"seats":[")" + std::string(4000, 'A') + R"("]})", 422, "invalid_value"},
    {"11 labels", h,
     R"({"section_id":1,"seats":["A-1","A-2","A-3","A-4","A-5","B-1","B-2","B-3","B-4","B-5",)"
     R"("C-1"]})",
     422, "invalid_value"},
    {"empty seats", h, R"({"section_id":1,"seats":[]})", 422, "invalid_value"},
    {"duplicate seats", h, R"({"section_id":1,"seats":["A-1","A-1"]})", 422, "invalid_request"},
    {"unknown seat", h, R"({"section_id":1,"seats":["A-6"]})", 422, "unknown_seat"},
    {"lower-case label", h, R"({"section_id":1,"seats":["a-1"]})", 422, "unknown_seat"},
    {"labels in general admission", h, R"({"section_id":2,"seats":["A-1"]})", 422,
     "invalid_request"},
    {"empty Content-Type", h, R"({"section_id":1,"quantity":1})", 415,
     "unsupported_media_type", {{"Content-Type", ""}}},
    {"Content-Type text/plain", h, R"({"section_id":1,"quantity":1})", 415,
     "unsupported_media_type", {{"Content-Type", "text/plain"}}},
    {"Content-Type garbage", h, R"({"section_id":1,"quantity":1})", 415,
     "unsupported_media_type", {{"Content-Type", "garbage"}}},
    {"form encoded", h, "section_id=1&quantity=1", 415, "unsupported_media_type",
     {{"Content-Type", "application/x-www-form-urlencoded"}}},
    {"Idempotency-Key too long", h, R"({"section_id":1,"quantity":1})", 400, "invalid_field",
     {{"Idempotency-Key", std::string(300, 'k')}}},
    {"Idempotency-Key not ASCII", h, R"({"section_id":1,"quantity":1})", 400, "invalid_field",
     {{"Idempotency-Key", "cl\xc3\xa9"}}},
  };
}

std::vector<bad_body> event_corpus() {
  auto e = target::event;
  const std::string at = R"("starts_at":"2030-01-01T20:00:00Z")";
  return {
    {"not JSON", e, "{title}", 400, "malformed_json"},
    {"truncated", e, R"({"title":"T",)" + at.substr(0, 20), 400, "malformed_json"},
    {"empty body", e, "", 400, "malformed_json"},
    {"an array", e, "[]", 400, "invalid_field"},
    {"title missing", e, "{" + at + "}", 400, "invalid_field"},
    {"title null", e, R"({"title":null,)" + at + "}", 400, "invalid_field"},
    {"title a number", e, R"({"title":5,)" + at + "}", 400, "invalid_field"},
    {"title empty", e, R"({"title":"",)" + at + "}", 422, "invalid_value"},
    {"title 201 bytes", e, R"({"title":")" + std::string(201, 't') + "\"," + at + "}", 422,
     "invalid_value"},
    {"venue 201 bytes", e, R"({"title":"T","venue":")" + std::string(201, 'v') + "\"," + at + "}",
     422, "invalid_value"},
    {"description 10001 bytes", e,
     R"({"title":"T","description":")" + std::string(10001, 'd') + "\"," + at + "}", 422,
     "invalid_value"},
    {"bad UTF-8 in the title", e, "{\"title\":\"T\xe2\x28\xa1\"," + at + "}", 400,
     "malformed_json"},
    {"starts_at missing", e, R"({"title":"T"})", 400, "invalid_field"},
    {"starts_at a number", e, R"({"title":"T","starts_at":1893528000})", 400, "invalid_field"},
    {"starts_at without zone", e, R"({"title":"T","starts_at":"2030-01-01T20:00:00"})", 422,
     "invalid_value"},
    {"starts_at 30 February", e, R"({"title":"T","starts_at":"2030-02-30T20:00:00Z"})", 422,
     "invalid_value"},
    {"starts_at 24:00", e, R"({"title":"T","starts_at":"2030-01-01T24:00:00Z"})", 422,
     "invalid_value"},
    {"starts_at words", e, R"({"title":"T","starts_at":"tomorrow"})", 422, "invalid_value"},
    {"limit 0", e, R"({"title":"T","max_tickets_per_customer":0,)" + at + "}", 422,
     "invalid_value"},
    {"limit -1", e, R"({"title":"T","max_tickets_per_customer":-1,)" + at + "}", 422,
     "invalid_value"},
    {"limit 10001", e, R"({"title":"T","max_tickets_per_customer":10001,)" + at + "}", 422,
     "invalid_value"},
    {"limit 1.5", e, R"({"title":"T","max_tickets_per_customer":1.5,)" + at + "}", 400,
     "invalid_field"},
    {"limit 1e400", e, R"({"title":"T","max_tickets_per_customer":1e400,)" + at + "}", 400, ""},
    {"limit 2^64", e,
     R"({"title":"T","max_tickets_per_customer":18446744073709551616,)" + at + "}", 400,
     "invalid_field"},
    {"unknown field", e, R"({"title":"T","status":"on_sale",)" + at + "}", 400, "invalid_field"},
    {"Content-Type text/plain", e, R"({"title":"T",)" + at + "}", 415, "unsupported_media_type",
     {{"Content-Type", "text/plain"}}},
  };
}

std::vector<bad_body> edit_corpus() {
  auto p = target::edit;
  return {
    {"not JSON", p, "{status:on_sale}", 400, "malformed_json"},
    {"empty body", p, "", 400, "malformed_json"},
    {"an array", p, R"([{"title":"X"}])", 400, "invalid_field"},
    {"a string", p, R"("closed")", 400, "invalid_field"},
    {"no field", p, "{}", 422, "invalid_value"},
    {"only nulls", p, R"({"status":null,"title":null})", 422, "invalid_value"},
    {"status unknown", p, R"({"status":"open"})", 422, "invalid_value"},
    {"status upper case", p, R"({"status":"ON_SALE"})", 422, "invalid_value"},
    {"status a number", p, R"({"status":1})", 400, "invalid_field"},
    {"status back to draft", p, R"({"status":"draft"})", 409, "invalid_transition"},
    {"title empty", p, R"({"title":""})", 422, "invalid_value"},
    {"title 201 bytes", p, R"({"title":")" + std::string(201, 't') + "\"}", 422,
     "invalid_value"},
    {"bad UTF-8 in the venue", p, "{\"venue\":\"\xf0\x28\x8c\x28\"}", 400, "malformed_json"},
    {"starts_at words", p, R"({"starts_at":"soon"})", 422, "invalid_value"},
    {"starts_at 1e400", p, R"({"starts_at":1e400})", 400, ""},
    {"limit 0", p, R"({"max_tickets_per_customer":0})", 422, "invalid_value"},
    {"limit 1.5", p, R"({"max_tickets_per_customer":1.5})", 400, "invalid_field"},
    // Nothing is half-applied: a good field beside a bad one changes nothing.
    {"good title, unknown field", p, R"({"title":"Changed","colour":"red"})", 400,
     "invalid_field"},
    {"good title, bad status", p, R"({"title":"Changed","status":"open"})", 422,
     "invalid_value"},
    {"good title, bad limit", p, R"({"title":"Changed","max_tickets_per_customer":0})", 422,
     "invalid_value"},
    {"Content-Type text/plain", p, R"({"title":"Changed"})", 415, "unsupported_media_type",
     {{"Content-Type", "text/plain"}}},
  };
}

// Everything a malformed request could have changed, as the server sends it.
struct state {
  std::string event, stalls, standing, all_events, orders;
  bool operator==(const state& o) const {
    return event == o.event && stalls == o.stalls && standing == o.standing
           && all_events == o.all_events && orders == o.orders;
  }
};

state read_state(api_server& server, uint64_t event, const std::string& customer) {
  auto body = [&](const std::string& path, const std::string& token) {
    auto r = server.call("GET", path, "", token);
    BOOST_TEST(r.status == 200, path << ": " << r.body);
    return r.body;
  };
  auto admin = server.admin_token();
  return {body(event_path(event), ""), body(seats_path(event, 1), ""),
          body(seats_path(event, 2), ""), body("/v1/events?page_size=100", admin),
          body("/v1/orders", customer)};
}

std::ostream& operator<<(std::ostream& os, const state& s) {
  return os << s.event << "\n" << s.stalls << "\n" << s.standing << "\n" << s.all_events << "\n"
            << s.orders;
}

void check_corpus(api_server& server, uint64_t event, const std::string& customer,
                  const std::vector<bad_body>& corpus) {
  auto admin = server.admin_token();
  for (const auto& t : corpus) {
    BOOST_TEST_CONTEXT(t.what << ": " << json(t.body).dump(-1, ' ', false,
                                                           json::error_handler_t::replace)
                                           .substr(0, 120)) {
      auto r = t.to == target::hold   ? server.call("POST", event_path(event) + "/holds", t.body,
                                                    customer, t.headers)
               : t.to == target::event ? server.call("POST", "/v1/events", t.body, admin,
                                                     t.headers)
                                       : server.call("PATCH", event_path(event), t.body, admin,
                                                     t.headers);
      if (!t.code.empty()) {
        check_problem(r, t.status, t.code);
      } else {
        BOOST_TEST(r.status == t.status, r.body);
        auto j = json_of(r);
        BOOST_TEST((j && j->is_object() && (*j)["status"] == r.status), r.body);
        BOOST_TEST(r.headers["content-type"] == "application/problem+json");
      }
    }
  }
}

// The answer to raw bytes: nothing (the server waits or closes) or a 4xx.
// `closes`: refused by the HTTP layer (else by a route, which keeps the
// connection).
void check_raw(api_server& server, const std::string& what, const std::string& request,
               bool closes = true) {
  BOOST_TEST_CONTEXT(what) {
    // Every refusal, whoever detects it, is a problem, and closes the
    // connection: nothing after a refused request is read.
    auto c = test::raw_conversation(server.process().http_port(), {request});
    auto answers = test::split_responses(c.received);
    BOOST_TEST_REQUIRE(answers.size() == 1u, c.received);
    BOOST_TEST((answers[0].status >= 400 && answers[0].status < 600), c.received);
    BOOST_TEST(answers[0].headers["content-type"] == "application/problem+json", c.received);
    auto body = nlohmann::json::parse(answers[0].body, nullptr, false);
    BOOST_TEST((body.is_object() && body.contains("code")), c.received);
    BOOST_TEST(c.closed == closes);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(malformed_requests)

BOOST_AUTO_TEST_CASE(a_corpus_of_bad_bodies_is_refused_and_changes_nothing) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "malformed-corpus"};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "Corpus", {json{{"name", "Stalls"}, {"kind", "reserved"}, {"rows", 2},
                        {"seats_per_row", 5}, {"price_cents", 100}},
                   json{{"name", "Standing"}, {"kind", "general"}, {"capacity", 20},
                        {"price_cents", 50}}});
      auto customer = server.customer_token("corpus");
      auto before = read_state(server, event, customer);
      check_corpus(server, event, customer, hold_corpus());
      check_corpus(server, event, customer, event_corpus());
      check_corpus(server, event, customer, edit_corpus());
      auto after = read_state(server, event, customer);
      BOOST_TEST(after == before, "before:\n" << before << "\nafter:\n" << after);
      BOOST_TEST(json::parse(after.orders)["total"] == 0);
      BOOST_TEST(json::parse(after.stalls)["section"]["free"] == 10);
      BOOST_TEST(json::parse(after.standing)["section"]["free"] == 20);
    }
  }
}

BOOST_AUTO_TEST_CASE(raw_protocol_garbage_never_takes_the_server_down) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "malformed-raw"};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "Raw", {json{{"name", "Stalls"}, {"kind", "reserved"}, {"rows", 1}, {"seats_per_row", 5},
                     {"price_cents", 100}},
                json{{"name", "Standing"}, {"kind", "general"}, {"capacity", 5},
                     {"price_cents", 50}}});
      auto customer = server.customer_token("raw");
      auto before = read_state(server, event, customer);
      auto post = "POST " + event_path(event) + "/holds HTTP/1.1\r\nHost: boxoffice\r\n"
                  + "Authorization: Bearer " + customer + "\r\n";
      check_raw(server, "negative Content-Length", post + "Content-Length: -5\r\n\r\n");
      check_raw(server, "Content-Length past 2^64",
                post + "Content-Length: 99999999999999999999999\r\n\r\n");
      check_raw(server, "Content-Length not a number", post + "Content-Length: ten\r\n\r\n");
      check_raw(server, "two Content-Lengths",
                post + "Content-Type: application/json\r\nContent-Length: 2\r\n"
                       "Content-Length: 40\r\n\r\n{}");
      check_raw(server, "a header line without a colon",
                "GET /v1/health HTTP/1.1\r\nHost: boxoffice\r\nNoColonHere\r\n\r\n");
      check_raw(server, "not HTTP", "GARBAGE\r\n\r\n");
      check_raw(server, "HTTP/9.9", "GET /v1/health HTTP/9.9\r\nHost: boxoffice\r\n\r\n");
      check_raw(server, "NUL in the path",
                std::string("GET /v1/ev") + '\0' + "ents HTTP/1.1\r\n\r\n");
      const std::pair<const char*, std::string> protocol_corpus[] = {
        {"lower-case method", "get /v1/health HTTP/1.1\r\nHost: b\r\n\r\n"},
        {"unknown method", "BREW /v1/health HTTP/1.1\r\nHost: b\r\n\r\n"},
        {"TRACE", "TRACE /v1/health HTTP/1.1\r\nHost: b\r\n\r\n"},
        {"CONNECT", "CONNECT b:443 HTTP/1.1\r\nHost: b\r\n\r\n"},
        {"HTTP/2.0", "GET /v1/health HTTP/2.0\r\nHost: b\r\n\r\n"},
        {"HTTP/0.9 request line", "GET /v1/health\r\n\r\n"},
        {"no version", "GET /v1/health \r\n\r\n"},
        {"lower-case version", "GET /v1/health http/1.1\r\n\r\n"},
        {"space in the target", "GET /v1/he alth HTTP/1.1\r\n\r\n"},
        {"control character in the target", "GET /v1/\x01health HTTP/1.1\r\n\r\n"},
        {"target far too long", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n"},
        {"header block too large",
         "GET /v1/health HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n"},
        {"many headers", "GET /v1/health HTTP/1.1\r\n" + [] {
           std::string h;
           for (int i = 0; i < 1200; ++i)
             h += "X-" + std::to_string(i) + ": v\r\n";
           return h;
         }() + "\r\n"},
        {"space before the colon", "GET /v1/health HTTP/1.1\r\nHost : b\r\n\r\n"},
        {"empty header name", "GET /v1/health HTTP/1.1\r\n: b\r\n\r\n"},
        {"control character in a header value", "GET /v1/health HTTP/1.1\r\nX: a\x01b\r\n\r\n"},
        {"float Content-Length", post + "Content-Length: 1.5\r\n\r\n"},
        {"Content-Length with a sign", post + "Content-Length: +5\r\n\r\n"},
        {"Content-Length in hex", post + "Content-Length: 0x10\r\n\r\n"},
        {"Content-Length list", post + "Content-Length: 2, 2\r\n\r\n{}"},
        {"Content-Length over the limit", post + "Content-Length: 100000000\r\n\r\n"},
        {"Content-Length and Transfer-Encoding",
         post + "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"unknown Transfer-Encoding", post + "Transfer-Encoding: gzip\r\n\r\n"},
        {"bad chunk size", post + "Transfer-Encoding: chunked\r\n\r\nxyz\r\n"},
        {"chunk size overflow",
         post + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n"},
        {"chunked body over the limit",
         post + "Transfer-Encoding: chunked\r\n\r\n100000\r\n" + std::string(70000, ' ')},
        {"bad Host header", "GET /v1/health HTTP/1.1\r\nHost: b:notaport\r\n\r\n"},
        {"bad Accept header", "GET /v1/health HTTP/1.1\r\nAccept: ;;;\r\n\r\n"},
      };
      for (const auto& [what, request] : protocol_corpus)
        check_raw(server, what, request);
      // Framed well, refused by the route: the connection stays.
      check_raw(server, "unknown Content-Encoding",
                post + "Content-Encoding: rot13\r\nContent-Length: 2\r\n\r\n{}", false);
      check_raw(server, "chunked bad JSON",
                post + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "5\r\nhello\r\n0\r\n\r\n", false);
      std::string hold = R"({"section_id":1,"quantity":1})";
      auto no_type = test::raw_exchange(
        server.process().http_port(),
        post + "Content-Length: " + std::to_string(hold.size()) + "\r\n\r\n" + hold);
      BOOST_TEST(no_type.rfind("HTTP/1.1 415", 0) == 0u, no_type);
      BOOST_TEST(no_type.find("Content-Type: application/problem+json") != std::string::npos,
                 no_type);

      auto health = server.call("GET", "/v1/health");
      BOOST_TEST(health.status == 200);
      BOOST_TEST(health.body == R"({"status":"ok"})");
      BOOST_TEST(read_state(server, event, customer) == before);
    }
  }
}

// The guard remembers the header fields of a connection that parsed and
// skips them on its next requests (connection_guard.cpp): a field with
// another value on the same connection is still checked, and refused.
BOOST_AUTO_TEST_CASE(a_bad_header_after_good_ones_on_one_connection_is_refused) {
  api_server server{"sqlite", "malformed-remembered"};
  std::string good = "GET /v1/health HTTP/1.1\r\nHost: b\r\nAccept: application/json\r\n\r\n";
  std::string bad = "GET /v1/health HTTP/1.1\r\nHost: b\r\nAccept: ;;;\r\n\r\n";
  auto c = test::raw_conversation(server.process().http_port(), {good, good, bad, good});
  auto answers = test::split_responses(c.received);
  BOOST_TEST_REQUIRE(answers.size() == 3u, c.received);
  BOOST_TEST(answers[0].status == 200);
  BOOST_TEST(answers[1].status == 200);
  BOOST_TEST(answers[2].status == 400, c.received);
  BOOST_TEST(answers[2].headers["content-type"] == "application/problem+json");
  BOOST_TEST(c.closed);
}

BOOST_AUTO_TEST_SUITE_END()
