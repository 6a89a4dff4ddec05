// Requests refused on their head (a Content-Length over the limit) are
// answered before their body is read. That body must never be read as
// further requests on the same connection: neither answered to the
// client's next request nor run.
// Real binary, both backends.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

constexpr uint32_t max_body_bytes = 2048;
// Pistache 0.0.5 reads a connection this many bytes at a time.
constexpr size_t read_bytes = 4096;

// A request of exactly `bytes` bytes (padded with a header).
std::string padded_request(const std::string& method_path, const std::string& token,
                           const std::string& body, size_t bytes) {
  auto head = method_path + " HTTP/1.1\r\nHost: boxoffice\r\nAuthorization: Bearer " + token
              + "\r\nContent-Type: application/json\r\nContent-Length: "
              + std::to_string(body.size()) + "\r\nX-Pad: ";
  auto tail = "\r\n\r\n" + body;
  BOOST_TEST_REQUIRE(head.size() + tail.size() < bytes);
  return head + std::string(bytes - head.size() - tail.size(), 'p') + tail;
}

size_t count_responses(const std::string& answers) {
  size_t n = 0;
  for (auto at = answers.find("HTTP/1.1 "); at != std::string::npos;
       at = answers.find("HTTP/1.1 ", at + 1))
    ++n;
  return n;
}

// A refused POST whose head and filler fill the first read, then `hidden`
// hold requests of one read each, so that a parser starting again at a read
// would find them. Expects exactly one answer, `status`, and seat A-<seat>
// still free.
void check_body_not_run(api_server& server, uint64_t event, const std::string& token,
                        const std::string& content_type, size_t hidden, long status, int seat) {
  auto holds = event_path(event) + "/holds";
  json hold{{"section_id", 1}, {"seats", {"A-" + std::to_string(seat)}}};
  auto one = padded_request("POST " + holds, token, hold.dump(), read_bytes);
  const size_t total_bytes = read_bytes * (hidden + 1);
  std::string head = "POST " + holds + " HTTP/1.1\r\nHost: boxoffice\r\nAuthorization: Bearer "
                     + token + "\r\nContent-Type: " + content_type + "\r\nContent-Length: ";
  // Five digits, zero-padded, so the head's length is known beforehand.
  auto body_bytes = std::to_string(total_bytes - head.size() - 5 - 4);
  BOOST_TEST_REQUIRE(body_bytes.size() <= 5u);
  body_bytes.insert(0, 5 - body_bytes.size(), '0');
  head += body_bytes + "\r\n\r\n";
  std::string body(read_bytes - head.size(), ' ');
  for (size_t i = 0; i < hidden; ++i)
    body += one;
  BOOST_TEST_REQUIRE(head.size() + body.size() == total_bytes);

  auto answers = test::raw_conversation(server.process().http_port(), {head + body}).received;
  BOOST_TEST(answers.rfind("HTTP/1.1 " + std::to_string(status), 0) == 0u,
             answers.substr(0, 300));
  BOOST_TEST(count_responses(answers) == 1u, answers.substr(0, 600));
  test::client fresh;
  auto map = expect_json(fresh.send("GET", server.url(seats_path(event, 1))), 200);
  BOOST_TEST(map["rows"][0]["states"].get<std::string>().at(seat - 1) == 'f', map.dump());
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_smuggling)

BOOST_AUTO_TEST_CASE(a_body_refused_unread_is_never_taken_for_requests) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "api-smuggling",
                        {{"BOXOFFICE_HTTP_MAX_BODY_BYTES", std::to_string(max_body_bytes)}}};
      if (!server.started())
        continue;
      auto event = server.create_event(
        "Smuggling", {json{{"name", "Row"}, {"kind", "reserved"}, {"rows", 1},
                           {"seats_per_row", 4}, {"price_cents", 100}}});
      auto token = server.customer_token("smuggling");

      // The client's own next request on the connection it keeps alive.
      auto huge = server.call("POST", event_path(event) + "/holds",
                              std::string(max_body_bytes + 20000, ' '), token);
      BOOST_TEST(huge.status == 413);
      auto next = server.call("GET", "/v1/health");
      BOOST_TEST(next.status == 200, next.body);
      BOOST_TEST(next.body == R"({"status":"ok"})");

      BOOST_TEST_CONTEXT("Content-Length over the limit") {
        check_body_not_run(server, event, token, "application/json", 5, 413, 1);
      }
      // An unparsable Content-Type now reaches the route like any other, so
      // the whole body is read and the body limit answers first.
      BOOST_TEST_CONTEXT("Content-Type garbage") {
        check_body_not_run(server, event, token, "garbage", 1, 413, 2);
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
