// Every domain code has an HTTP status, and every problem body is valid
// RFC 9457 JSON with type, title, status, detail and code.
#include "http/problem.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using namespace boxoffice;
using namespace boxoffice::http;

namespace {

void check_body(const problem& p) {
  auto j = nlohmann::json::parse(problem_body(p));
  BOOST_REQUIRE(j.is_object());
  for (const char* key : {"type", "title", "status", "detail", "code"})
    BOOST_CHECK_MESSAGE(j.contains(key), p.code << " lacks " << key);
  BOOST_CHECK_EQUAL(j["status"].get<int>(), p.status);
  BOOST_CHECK_EQUAL(j["code"].get<std::string>(), p.code);
  BOOST_CHECK_EQUAL(j["type"].get<std::string>(), "/problems/" + p.code);
  BOOST_CHECK(!j["title"].get<std::string>().empty());
  BOOST_CHECK(!j["detail"].get<std::string>().empty());
}

} // namespace

BOOST_AUTO_TEST_SUITE(http_problem)

// Walks the whole underlying range, so a code added to errc.h (to_string
// knows it) without a row in the status table fails here.
BOOST_AUTO_TEST_CASE(every_errc_has_a_status) {
  int codes = 0;
  for (int i = 0; i <= 255; ++i) {
    auto e = static_cast<errc>(i);
    std::string name = to_string(e);
    if (name == "unknown_error")
      continue;
    ++codes;
    BOOST_TEST_CONTEXT(name) {
      BOOST_CHECK(has_mapping(e));
      auto p = problem_for(e);
      BOOST_CHECK_EQUAL(p.code, name);
      BOOST_CHECK(p.status >= 400 && p.status < 600);
      BOOST_CHECK_NE(p.status, 500);
      check_body(p);
    }
  }
  BOOST_CHECK_EQUAL(codes, static_cast<int>(last_errc));
}

BOOST_AUTO_TEST_CASE(chosen_statuses) {
  BOOST_CHECK_EQUAL(problem_for(errc::seat_unavailable).status, 409);
  BOOST_CHECK_EQUAL(problem_for(errc::hold_expired).status, 410);
  BOOST_CHECK_EQUAL(problem_for(errc::hold_not_found).status, 404);
  BOOST_CHECK_EQUAL(problem_for(errc::unknown_seat).status, 422);
  BOOST_CHECK_EQUAL(problem_for(errc::limit_exceeded).status, 409);
  BOOST_CHECK_EQUAL(problem_for(errc::storage_unavailable).status, 503);
}

BOOST_AUTO_TEST_CASE(busy_codes_say_when_to_retry) {
  BOOST_CHECK(problem_for(errc::overloaded).retry_after_s.has_value());
  BOOST_CHECK(problem_for(errc::storage_unavailable).retry_after_s.has_value());
  BOOST_CHECK(!problem_for(errc::seat_unavailable).retry_after_s.has_value());
}

BOOST_AUTO_TEST_CASE(detail_is_kept) {
  auto p = problem_for(errc::seat_unavailable, "Seat A-12 is sold");
  BOOST_CHECK_EQUAL(p.detail, "Seat A-12 is sold");
}

BOOST_AUTO_TEST_CASE(http_level_problems) {
  std::vector<std::pair<problem, int>> cases{
      {malformed_json("quantity", "must be an integer"), 400},
      {malformed_json("", "unexpected end of input"), 400},
      {not_found(), 404},
      {method_not_allowed("GET"), 405},
      {body_too_large(65536), 413},
      {unsupported_media_type("application/json"), 415},
      {internal_error(), 500},
  };
  for (const auto& [p, status] : cases) {
    BOOST_TEST_CONTEXT(p.code) {
      BOOST_CHECK_EQUAL(p.status, status);
      check_body(p);
    }
  }
  BOOST_CHECK_EQUAL(method_not_allowed("GET, POST").allow, "GET, POST");
  BOOST_CHECK_NE(malformed_json("quantity", "x").detail.find("quantity"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_utf8_in_detail_still_gives_json) {
  auto p = malformed_json("\xff\xfe", "bad");
  BOOST_CHECK_NO_THROW(nlohmann::json::parse(problem_body(p)));
}

BOOST_AUTO_TEST_SUITE_END()
