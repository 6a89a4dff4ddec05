// http_server in-process on a loopback port, driven by libcurl (and a raw
// socket for requests curl will not send): status codes, problem+json
// bodies, keep-alive, request ids, body limits, malformed framing.
#include "http/response.h"
#include "http/server.h"
#include "tests/support/http_client.h"

#include <boost/test/unit_test.hpp>
#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

using namespace boxoffice;
using namespace boxoffice::http;
using boxoffice::test::client;
using boxoffice::test::raw_exchange;
using boxoffice::test::reply;
namespace Http = Pistache::Http;

namespace {

constexpr uint32_t max_body_bytes = 1024;

void throwing_handler(const Pistache::Rest::Request&, Http::ResponseWriter&) {
  throw std::runtime_error("secret internals /etc/boxoffice");
}

void echo_handler(const Pistache::Rest::Request& req, Http::ResponseWriter& w) {
  send_json(w, Http::Code::Ok, nlohmann::json{{"bytes", req.body().size()}}.dump());
}

// The real table plus two test routes.
std::vector<route> test_routes() {
  std::vector<route> routes{{Http::Method::Get, "/v1/health", get_health}};
  routes.push_back({Http::Method::Get, "/test/throw", throwing_handler});
  routes.push_back({Http::Method::Post, "/test/echo", echo_handler});
  routes.push_back({Http::Method::Put, "/test/items/:id", echo_handler});
  return routes;
}

struct server_fixture {
  std::unique_ptr<http_server> server;
  uint16_t port = 0;
  client http;

  server_fixture() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    http_settings s;
    s.address = "127.0.0.1";
    s.threads = 2;
    s.max_body_bytes = max_body_bytes;
    // Below 32768, outside the kernel's ephemeral range.
    for (int attempt = 0; attempt < 50 && !server; ++attempt) {
      s.port = static_cast<uint16_t>(20000 + (::getpid() * 7 + attempt * 131) % 12000);
      auto candidate = std::make_unique<http_server>(s, test_routes());
      try {
        candidate->start();
        server = std::move(candidate);
        port = s.port;
      } catch (const std::exception&) {
      }
    }
    BOOST_REQUIRE_MESSAGE(server, "no free loopback port");
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
};

nlohmann::json problem_of(const reply& r) {
  BOOST_CHECK_EQUAL(r.headers.at("content-type"), "application/problem+json");
  auto j = nlohmann::json::parse(r.body);
  BOOST_CHECK_EQUAL(j.at("status").get<long>(), r.status);
  for (const char* key : {"type", "title", "detail", "code"})
    BOOST_CHECK(j.contains(key));
  return j;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_server, server_fixture)

BOOST_AUTO_TEST_CASE(health_is_ok_and_keeps_the_connection) {
  auto first = http.send("GET", url("/v1/health"));
  BOOST_CHECK_EQUAL(first.status, 200);
  BOOST_CHECK_EQUAL(first.headers["content-type"], "application/json");
  BOOST_CHECK_EQUAL(nlohmann::json::parse(first.body).at("status"), "ok");
  BOOST_CHECK_EQUAL(first.headers["connection"], "keep-alive");
  BOOST_CHECK(first.headers.count("date"));
  auto second = http.send("GET", url("/v1/health"));
  BOOST_CHECK_EQUAL(second.status, 200);
  BOOST_CHECK_EQUAL(second.new_connections, 0);  // the first connection was reused
}

BOOST_AUTO_TEST_CASE(unknown_path_is_a_404_problem) {
  for (const char* path : {"/nope", "/v1/health/extra", "/v1"}) {
    BOOST_TEST_CONTEXT(path) {
      auto r = http.send("GET", url(path));
      BOOST_CHECK_EQUAL(r.status, 404);
      BOOST_CHECK_EQUAL(problem_of(r).at("code"), "not_found");
    }
  }
  auto r = http.send("DELETE", url("/nope"));  // a method no route uses
  BOOST_CHECK_EQUAL(r.status, 404);
  BOOST_CHECK_EQUAL(problem_of(r).at("code"), "not_found");
}

BOOST_AUTO_TEST_CASE(wrong_method_is_a_405_problem_with_allow) {
  for (const char* method : {"POST", "DELETE", "PATCH"}) {
    BOOST_TEST_CONTEXT(method) {
      auto r = http.send(method, url("/v1/health"), "{}");
      BOOST_CHECK_EQUAL(r.status, 405);
      BOOST_CHECK_EQUAL(r.headers["allow"], "GET, HEAD");
      BOOST_CHECK_EQUAL(problem_of(r).at("code"), "method_not_allowed");
    }
  }
  auto r = http.send("GET", url("/test/items/42"));  // a parameter segment
  BOOST_CHECK_EQUAL(r.status, 405);
  BOOST_CHECK_EQUAL(r.headers["allow"], "PUT");
}

BOOST_AUTO_TEST_CASE(body_over_the_limit_is_a_413_problem) {
  auto ok = http.send("POST", url("/test/echo"), std::string(max_body_bytes, 'x'));
  BOOST_CHECK_EQUAL(ok.status, 200);
  auto r = http.send("POST", url("/test/echo"), std::string(max_body_bytes + 1, 'x'));
  BOOST_CHECK_EQUAL(r.status, 413);
  BOOST_CHECK_EQUAL(problem_of(r).at("code"), "body_too_large");
}

// Over the limit, the Content-Length is refused with the head, before any
// byte of the body is awaited.
BOOST_AUTO_TEST_CASE(content_length_far_over_the_limit_is_refused_early) {
  auto r = raw_exchange(port, "POST /test/echo HTTP/1.1\r\nHost: x\r\n"
                              "Content-Length: 100000000\r\n\r\n");
  BOOST_TEST_MESSAGE("Content-Length: 100000000 -> " << r);
  BOOST_CHECK_EQUAL(r.substr(0, 12), "HTTP/1.1 413");
  BOOST_CHECK(r.find("Content-Type: application/problem+json") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(request_ids_differ) {
  auto a = http.send("GET", url("/v1/health"));
  auto b = http.send("GET", url("/v1/health"));
  auto c = http.send("GET", url("/nope"));
  BOOST_REQUIRE(a.headers.count("x-request-id") && b.headers.count("x-request-id") &&
                c.headers.count("x-request-id"));
  BOOST_CHECK(!a.headers["x-request-id"].empty());
  BOOST_CHECK_NE(a.headers["x-request-id"], b.headers["x-request-id"]);
  BOOST_CHECK_NE(b.headers["x-request-id"], c.headers["x-request-id"]);
}

BOOST_AUTO_TEST_CASE(a_throwing_handler_is_a_500_without_internals) {
  auto r = http.send("GET", url("/test/throw"));
  BOOST_CHECK_EQUAL(r.status, 500);
  BOOST_CHECK_EQUAL(problem_of(r).at("code"), "internal_error");
  BOOST_CHECK_EQUAL(r.body.find("secret"), std::string::npos);
}

BOOST_AUTO_TEST_CASE(malformed_content_length_is_not_a_500) {
  for (const char* cl : {"-5", "abc", "99999999999999999999999", "1 2"}) {
    BOOST_TEST_CONTEXT(cl) {
      auto r = raw_exchange(port, std::string{"POST /test/echo HTTP/1.1\r\nHost: x\r\n"
                                              "Content-Length: "} + cl + "\r\n\r\n");
      BOOST_TEST_MESSAGE("Content-Length: " << cl << " -> " << r);
      BOOST_CHECK(r.rfind("HTTP/1.1 4", 0) == 0);
      BOOST_CHECK(r.find("Content-Type: application/problem+json") != std::string::npos);
      BOOST_CHECK_EQUAL(r.find("basic_string"), std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(server_still_answers_after_abuse) {
  raw_exchange(port, "POST /test/echo HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n");
  BOOST_CHECK_EQUAL(http.send("GET", url("/v1/health")).status, 200);
}

BOOST_AUTO_TEST_SUITE_END()
