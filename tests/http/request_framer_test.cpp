// The request framer on its own: how a byte stream is cut into requests,
// rewritten into the one form Pistache reads, or refused.
#include "http/request_framer.h"

#include <boost/test/unit_test.hpp>

#include <string>

using namespace boxoffice::http;

namespace {

framer_limits small_limits() {
  framer_limits l;
  l.head_bytes_max = 512;
  l.target_bytes_max = 64;
  l.body_bytes_max = 16;
  return l;
}

// Feeds `bytes` whole, or one byte at a time.
request_framer& feed(request_framer& f, const std::string& bytes, bool bytewise = false) {
  if (!bytewise) {
    f.feed(bytes);
    return f;
  }
  for (char c : bytes)
    f.feed(std::string_view(&c, 1));
  return f;
}

std::string code_of(const request_framer& f) {
  return f.refusal() ? f.refusal()->code : "";
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_framer_suite)

BOOST_AUTO_TEST_CASE(pipelined_requests_come_out_whole_and_in_order) {
  const std::string stream = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                             "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                             "GET /never HTTP/1.1\r\nHost: x\r\n\r\n";
  for (bool bytewise : {false, true}) {
    BOOST_TEST_CONTEXT("bytewise " << bytewise) {
      request_framer f(small_limits());
      feed(f, stream, bytewise);
      BOOST_TEST(code_of(f) == "");
      // Nothing after the request that closes the connection is read.
      BOOST_REQUIRE_EQUAL(f.ready().size(), 3u);
      BOOST_TEST(f.ready()[0].bytes == "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
      BOOST_TEST(f.ready()[1].bytes
                 == "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
      BOOST_TEST(f.ready()[2].keep_alive == false);
      BOOST_TEST(f.ready()[0].keep_alive == true);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_chunked_body_is_decoded_and_framed_by_length) {
  request_framer f(small_limits());
  feed(f, "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
          "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n", true);
  BOOST_REQUIRE_EQUAL(f.ready().size(), 1u);
  BOOST_TEST(f.ready()[0].bytes == "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nabcde");
}

BOOST_AUTO_TEST_CASE(head_becomes_get_and_remembers_it) {
  request_framer f(small_limits());
  feed(f, "HEAD /a HTTP/1.0\r\n\r\n");
  BOOST_REQUIRE_EQUAL(f.ready().size(), 1u);
  BOOST_TEST(f.ready()[0].head);
  BOOST_TEST(f.ready()[0].http10);
  BOOST_TEST(!f.ready()[0].keep_alive);  // HTTP/1.0 closes unless asked otherwise
  BOOST_TEST(f.ready()[0].bytes == "GET /a HTTP/1.0\r\n\r\n");
}

// Each of these must be refused with its code, and nothing after it read.
BOOST_AUTO_TEST_CASE(ambiguous_or_broken_framing_is_refused) {
  struct bad {
    const char* bytes;
    const char* code;
  };
  const bad cases[] = {
    {"POST /b HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "malformed_request"},
    {"POST /b HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", "malformed_request"},
    {"POST /b HTTP/1.1\r\nContent-Length: -5\r\n\r\n", "malformed_request"},
    {"POST /b HTTP/1.1\r\nContent-Length: 1.5\r\n\r\n", "malformed_request"},
    {"POST /b HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", "malformed_request"},
    {"POST /b HTTP/1.1\r\nContent-Length: 17\r\n\r\n", "body_too_large"},
    {"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "malformed_request"},
    {"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n", "body_too_large"},
    {"get /a HTTP/1.1\r\n\r\n", "malformed_request"},
    {"BREW /a HTTP/1.1\r\n\r\n", "malformed_request"},
    {"TRACE /a HTTP/1.1\r\n\r\n", "method_not_implemented"},
    {"GET /a HTTP/9.9\r\n\r\n", "http_version_not_supported"},
    {"GET /a HTTP/2.0\r\n\r\n", "http_version_not_supported"},
    {"GET /a\r\n\r\n", "http_version_not_supported"},  // HTTP/0.9
    {"GET /a HTTP/1.1\r\nBad Header: x\r\n\r\n", "malformed_request"},
    {"GET /a HTTP/1.1\r\nX: a\x01b\r\n\r\n", "malformed_request"},
    {"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa HTTP/1.1\r\n\r\n",
     "target_too_long"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.bytes) {
      request_framer f(small_limits());
      feed(f, std::string(c.bytes) + "GET /hidden HTTP/1.1\r\n\r\n");
      BOOST_TEST(code_of(f) == c.code);
      BOOST_TEST(f.ready().empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_head_over_the_limit_is_refused_before_it_ends) {
  request_framer f(small_limits());
  feed(f, "GET /a HTTP/1.1\r\nX-Big: " + std::string(600, 'a'));
  BOOST_TEST(code_of(f) == "headers_too_large");
}

BOOST_AUTO_TEST_CASE(a_partial_request_is_tracked_until_whole) {
  request_framer f(small_limits());
  feed(f, "POST /b HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n");
  BOOST_TEST(f.partial());
  BOOST_TEST(!f.awaiting_body());
  BOOST_TEST(f.begun() == 1u);
  feed(f, "\r\nab");
  BOOST_TEST(f.awaiting_body());
  BOOST_TEST(f.take_continue());
  BOOST_TEST(!f.take_continue());  // once per request
  feed(f, "cd");
  BOOST_TEST(!f.partial());
  BOOST_REQUIRE_EQUAL(f.ready().size(), 1u);
  BOOST_TEST(f.ready()[0].bytes.find("Expect: 100-continue\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
