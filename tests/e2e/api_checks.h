// Checks shared by the REST API end-to-end suites (api_*_test.cpp,
// malformed_test.cpp): the exact problem+json shape of an error, the JSON of
// a success, times on the wire, and a start gate that releases many client
// threads at once.
#pragma once

#include "tests/e2e/api_fixture.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

namespace boxoffice::e2e {

// The body of r if it is JSON; nullopt otherwise.
inline std::optional<json> json_of(const test::reply& r) {
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_discarded())
    return std::nullopt;
  return j;
}

// r is an RFC 9457 problem with exactly this status and code: the media type,
// the five fields, type "/problems/<code>" and a status field equal to the
// HTTP status.
inline void check_problem(const test::reply& r, long status, const std::string& code) {
  BOOST_TEST_CONTEXT("answer " << r.status << " " << r.body) {
    BOOST_TEST(r.status == status);
    BOOST_TEST(r.headers.count("content-type") == 1u);
    if (r.headers.count("content-type"))
      BOOST_TEST(r.headers.at("content-type") == "application/problem+json");
    auto j = json_of(r);
    BOOST_TEST((j && j->is_object()), "not a JSON object");
    if (!j || !j->is_object())
      return;
    for (const char* field : {"type", "title", "detail", "code"})
      BOOST_TEST((j->contains(field) && (*j)[field].is_string()), "field " << field);
    BOOST_TEST((*j)["status"] == r.status);
    BOOST_TEST(j->value("code", "") == code);
    BOOST_TEST(j->value("type", "") == "/problems/" + code);
    BOOST_TEST(!j->value("title", "").empty());
  }
}

// check_problem, and the detail names `field` ("Field 'quantity': ...").
inline void check_problem_names(const test::reply& r, long status, const std::string& code,
                                const std::string& field) {
  check_problem(r, status, code);
  auto j = json_of(r);
  if (j && j->is_object())
    BOOST_TEST(j->value("detail", "").find("'" + field + "'") != std::string::npos,
               "detail should name '" << field << "': " << r.body);
}

// The JSON body of a success with exactly this status.
inline json expect_json(const test::reply& r, long status) {
  BOOST_TEST_REQUIRE(r.status == status, "expected " << status << ", got " << r.status << " "
                                                     << r.body);
  BOOST_TEST(r.headers.count("content-type") == 1u);
  if (r.headers.count("content-type"))
    BOOST_TEST(r.headers.at("content-type") == "application/json");
  auto j = json_of(r);
  BOOST_TEST_REQUIRE(j.has_value(), "not JSON: " << r.body);
  return *j;
}

// Milliseconds since the epoch of a wire time, which is always written
// "2030-01-01T20:00:00.000Z"; -1 for anything else.
inline int64_t wire_time_ms(const std::string& text) {
  std::tm tm{};
  int ms = 0;
  char zone = 0;
  int n = std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon,
                      &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &zone);
  if (n != 8 || zone != 'Z' || text.size() != 24)
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return int64_t{timegm(&tm)} * 1000 + ms;
}

// Milliseconds since the epoch, now.
inline int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Releases waiting threads all at once, when `parties` have arrived.
class start_gate {
public:
  explicit start_gate(size_t parties) : left_(parties) {}

  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--left_ == 0) {
      open_.notify_all();
      return;
    }
    open_.wait(lock, [this] { return left_ == 0; });
  }

private:
  std::mutex mutex_;
  std::condition_variable open_;
  size_t left_;
};

inline std::string event_path(uint64_t event) {
  return "/v1/events/" + std::to_string(event);
}

inline std::string seats_path(uint64_t event, int section) {
  return event_path(event) + "/sections/" + std::to_string(section) + "/seats";
}

} // namespace boxoffice::e2e
