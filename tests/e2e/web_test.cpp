// The web pages as the real binary serves them (http/web_routes.cpp): every
// file of web/ at /web/{name} (index.html also at /) with its content type,
// an ETag that a matching If-None-Match turns into a bodiless 304, the
// Content-Security-Policy, HEAD without a body, and a 404 problem+json for a
// file that is not there. The pages themselves are tested in a browser
// (tests/web, CTest entry web_tests).
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

struct web_server {
  api_server server{"sqlite", "web"};
};

std::string read_source(const std::string& name) {
  std::ifstream in(std::string(BOXOFFICE_SOURCE_DIR) + "/web/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::vector<std::pair<std::string, std::string>> expected_types = {
  {"index.html", "text/html; charset=utf-8"}, {"app.js", "text/javascript; charset=utf-8"},
  {"api.js", "text/javascript; charset=utf-8"}, {"seatmap.js", "text/javascript; charset=utf-8"},
  {"app.css", "text/css; charset=utf-8"},       {"icon.svg", "image/svg+xml"}};

} // namespace

BOOST_AUTO_TEST_SUITE(web_pages)

BOOST_FIXTURE_TEST_CASE(every_file_is_served_as_in_the_source_with_its_type, web_server) {
  for (const auto& [name, type] : expected_types) {
    BOOST_TEST_CONTEXT(name) {
      auto r = server.call("GET", "/web/" + name);
      BOOST_TEST(r.status == 200);
      BOOST_TEST(r.headers["content-type"] == type);
      BOOST_TEST(r.body == read_source(name));
      BOOST_TEST(r.headers["cache-control"] == "no-cache");
      BOOST_TEST(r.headers["x-content-type-options"] == "nosniff");
    }
  }
  // Every file in web/ is served: none is left out of the build.
  for (const auto& f : std::filesystem::directory_iterator(std::string(BOXOFFICE_SOURCE_DIR) + "/web"))
    BOOST_TEST(server.call("GET", "/web/" + f.path().filename().string()).status == 200,
               f.path());
  auto root = server.call("GET", "/");
  BOOST_TEST(root.status == 200);
  BOOST_TEST(root.headers["content-type"] == "text/html; charset=utf-8");
  BOOST_TEST(root.body == read_source("index.html"));
}

BOOST_FIXTURE_TEST_CASE(pages_carry_a_strict_content_security_policy, web_server) {
  for (const std::string path : {"/", "/web/app.js", "/web/app.css"}) {
    BOOST_TEST_CONTEXT(path) {
      auto csp = server.call("GET", path).headers["content-security-policy"];
      BOOST_TEST(csp.find("default-src 'none'") != std::string::npos, csp);
      BOOST_TEST(csp.find("script-src 'self'") != std::string::npos, csp);
      BOOST_TEST(csp.find("connect-src 'self'") != std::string::npos, csp);
      BOOST_TEST(csp.find("frame-ancestors 'none'") != std::string::npos, csp);
      BOOST_TEST(csp.find("unsafe") == std::string::npos, csp);
    }
  }
}

BOOST_FIXTURE_TEST_CASE(a_matching_etag_answers_304_without_a_body, web_server) {
  for (const std::string path : {"/", "/web/app.js", "/web/icon.svg"}) {
    BOOST_TEST_CONTEXT(path) {
      auto first = server.call("GET", path);
      auto etag = first.headers["etag"];
      BOOST_TEST_REQUIRE(etag.size() > 2u);
      BOOST_TEST(etag.front() == '"');
      BOOST_TEST(server.call("GET", path).headers["etag"] == etag);  // stable
      auto again = server.call("GET", path, "", "", {{"If-None-Match", etag}});
      BOOST_TEST(again.status == 304);
      BOOST_TEST(again.body.empty());
      BOOST_TEST(again.headers["etag"] == etag);
      BOOST_TEST(again.headers.count("content-length") == 0u);
      BOOST_TEST(server.call("GET", path, "", "", {{"If-None-Match", "\"x\", W/" + etag}}).status
                 == 304);
      BOOST_TEST(server.call("GET", path, "", "", {{"If-None-Match", "\"x\""}}).status == 200);
    }
  }
  // Files differ, and so do their tags.
  BOOST_TEST(server.call("GET", "/web/app.js").headers["etag"]
             != server.call("GET", "/web/api.js").headers["etag"]);
}

BOOST_FIXTURE_TEST_CASE(an_unknown_file_is_a_404_problem, web_server) {
  for (const std::string path : {"/web/nope.js", "/web/", "/web/..%2Fhttp%2Fapi.cpp", "/index.html"}) {
    BOOST_TEST_CONTEXT(path) {
      auto r = server.call("GET", path);
      check_problem(r, 404, "not_found");
      BOOST_TEST(r.headers.count("content-security-policy") == 0u);
    }
  }
  // Another method on a page: 405 with Allow, as for the API.
  auto post = server.call("POST", "/web/app.js", "{}");
  check_problem(post, 405, "method_not_allowed");
  BOOST_TEST(post.headers["allow"] == "GET, HEAD");
}

BOOST_FIXTURE_TEST_CASE(head_answers_what_get_would_without_the_body, web_server) {
  auto port = server.process().http_port();
  for (const std::string path : {"/", "/web/app.css", "/web/nope.js"}) {
    BOOST_TEST_CONTEXT(path) {
      std::string head = "HEAD " + path + " HTTP/1.1\r\nHost: boxoffice\r\n\r\n";
      std::string get = "GET " + path + " HTTP/1.1\r\nHost: boxoffice\r\nConnection: close\r\n\r\n";
      auto c = test::raw_conversation(port, {head + get});
      auto answers = test::split_responses(c.received, {true, false});
      BOOST_TEST_REQUIRE(answers.size() == 2u, c.received.substr(0, 600));
      BOOST_TEST(answers[0].status == answers[1].status);
      BOOST_TEST(answers[0].body.empty());
      BOOST_TEST(answers[0].headers["content-type"] == answers[1].headers["content-type"]);
      BOOST_TEST(answers[0].headers["etag"] == answers[1].headers["etag"]);
      BOOST_TEST(answers[0].headers["content-length"] == std::to_string(answers[1].body.size()));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
