// The waiting room end to end on the real binary, both backends: join (one
// place per account, also under 1,000 concurrent joins), poll, the event
// stream (position/admitted/closed with ids, heartbeats, alive past the
// header and keep-alive timeouts, resumed with Last-Event-ID), leave, and
// the hold route: every 403 queue_pass_* code, then a hold with a valid pass;
// the stream through deploy/nginx.conf: position, admitted, sold_out; and a
// kill -9 with many queued: no place lost or reordered, passes still valid.
#include "tests/e2e/api_checks.h"
#include "tests/e2e/nginx_process.h"

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <set>
#include <thread>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

const json standing = json{{"name", "Standing"}, {"kind", "general"}, {"capacity", 20},
                           {"price_cents", 1500}};

// Short timeouts, so that a stream must outlive them; a fast heartbeat.
const std::map<std::string, std::string> stream_settings = {
  {"BOXOFFICE_HTTP_HEADER_TIMEOUT_S", "1"},
  {"BOXOFFICE_HTTP_BODY_TIMEOUT_S", "1"},
  {"BOXOFFICE_HTTP_KEEPALIVE_TIMEOUT_S", "2"},
  {"BOXOFFICE_HTTP_QUEUE_HEARTBEAT_S", "1"},
  {"BOXOFFICE_HTTP_QUEUE_STREAM_POLL_MS", "100"},
};

std::string queue_path(uint64_t event) {
  return event_path(event) + "/queue";
}

void open_room(api_server& server, uint64_t event, json settings) {
  settings["mode"] = settings.value("mode", "queue");
  expect_json(server.call_json("PATCH", queue_path(event), settings, server.admin_token()), 200);
}

// Polls the entry until it is admitted; its pass.
std::string pass_of(api_server& server, const std::string& entry) {
  for (int i = 0; i < 200; ++i) {
    auto e = expect_json(server.call("GET", "/v1/queue/" + entry), 200);
    if (e["state"] == "admitted")
      return e["pass"]["token"].get<std::string>();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  BOOST_FAIL("never admitted");
  return {};
}

test::reply hold(api_server& server, uint64_t event, const std::string& token,
                 const std::string& pass) {
  std::map<std::string, std::string> headers;
  if (!pass.empty())
    headers["Queue-Pass"] = pass;
  return server.call_json("POST", event_path(event) + "/holds",
                          json{{"section_id", 1}, {"quantity", 1}}, token, headers);
}

} // namespace

BOOST_AUTO_TEST_SUITE(queue_e2e)

BOOST_AUTO_TEST_CASE(join_poll_stream_and_leave) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server(backend, "queue-flow", stream_settings);
      if (!server.started())
        continue;
      auto event = server.create_event("Queue night", {standing});
      auto alice = server.customer_token("alice");
      // Off: nobody joins, and holds need no pass.
      check_problem(server.call("POST", queue_path(event), "", alice), 409, "queue_off");
      open_room(server, event, json{{"rate_per_s", 5}, {"paused", true}});
      auto joined = server.call("POST", queue_path(event), "", alice);
      auto entry = expect_json(joined, 201);
      auto id = entry["id"].get<std::string>();
      BOOST_TEST(joined.headers["location"] == "/v1/queue/" + id);
      BOOST_TEST(entry["state"] == "waiting");
      BOOST_TEST(entry["position"] == 1);
      BOOST_TEST(entry["people_ahead"] == 0);
      BOOST_TEST(entry["refresh_after_s"] == 5);
      // Joining again: the same place.
      auto again = expect_json(server.call("POST", queue_path(event), "", alice), 200);
      BOOST_TEST(again["id"] == id);
      // The event shows its room.
      auto view = expect_json(server.call("GET", event_path(event)), 200);
      BOOST_TEST(view["waiting_room"]["mode"] == "queue");
      // A wrong secret is no entry.
      auto forged = id;
      forged.back() = forged.back() == '0' ? '1' : '0';  // a secret one digit off
      check_problem(server.call("GET", "/v1/queue/" + forged), 404, "queue_entry_not_found");

      // The stream: position first; admitted once unpaused; alive past the
      // header (1 s) and keep-alive (2 s) timeouts; closed when left.
      test::conversation stream;
      std::thread reader([&] {
        stream = test::raw_conversation(
          server.process().http_port(),
          {"GET /v1/queue/" + id + "/stream HTTP/1.1\r\nHost: t\r\n\r\n"}, 0, 6000);
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(1500));
      open_room(server, event, json{{"paused", false}});
      std::this_thread::sleep_for(std::chrono::milliseconds(3500));
      auto left = expect_json(server.call("DELETE", "/v1/queue/" + id), 200);
      BOOST_TEST(left["state"] == "left");
      reader.join();
      const auto& text = stream.received;
      BOOST_TEST(text.find("Content-Type: text/event-stream") != std::string::npos);
      auto position = text.find("event: position\nid: position-1-");
      auto admitted = text.find("event: admitted\nid: admitted-");
      auto closed = text.find("event: closed\nid: closed-left");
      BOOST_TEST(position != std::string::npos, text);
      BOOST_TEST(admitted != std::string::npos, text);
      BOOST_TEST(closed != std::string::npos, text);
      BOOST_TEST((position < admitted && admitted < closed));
      BOOST_TEST(text.find(": ping") != std::string::npos);
      // Nothing of another response inside the stream (Pistache's 408).
      BOOST_TEST(text.find("HTTP/1.1", 1) == std::string::npos, text);
      BOOST_TEST(stream.closed);

      // A resumed stream that saw the last state gets only what is new.
      auto bob = server.customer_token("bob");
      auto b = expect_json(server.call("POST", queue_path(event), "", bob), 201);
      auto pass = pass_of(server, b["id"].get<std::string>());
      auto b_id = b["id"].get<std::string>();
      auto state = expect_json(server.call("GET", "/v1/queue/" + b_id), 200);
      std::string seen = "admitted-" + std::to_string(wire_time_ms(state["pass"]["expires_at"]));
      std::thread resumed_reader([&] {
        stream = test::raw_conversation(
          server.process().http_port(),
          {"GET /v1/queue/" + b_id + "/stream HTTP/1.1\r\nHost: t\r\nLast-Event-ID: " + seen
           + "\r\n\r\n"},
          0, 3000);
      });
      std::this_thread::sleep_for(std::chrono::milliseconds(700));
      expect_json(server.call("DELETE", "/v1/queue/" + b_id), 200);
      resumed_reader.join();
      BOOST_TEST(stream.received.find(": resumed") != std::string::npos, stream.received);
      BOOST_TEST(stream.received.find("event: admitted") == std::string::npos, stream.received);
      BOOST_TEST(stream.received.find("event: closed") != std::string::npos, stream.received);
      BOOST_TEST(!pass.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(the_hold_route_checks_the_pass) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server(backend, "queue-pass");
      if (!server.started())
        continue;
      auto event = server.create_event("Pass night", {standing});
      auto other_event = server.create_event("Other night", {standing});
      open_room(server, event, json{{"rate_per_s", 50}, {"pass_ttl_s", 600}});
      open_room(server, other_event, json{{"rate_per_s", 50}});
      auto alice = server.customer_token("alice");
      auto bob = server.customer_token("bob");
      auto a = expect_json(server.call("POST", queue_path(event), "", alice), 201);
      auto b = expect_json(server.call("POST", queue_path(event), "", bob), 201);
      auto a_other = expect_json(server.call("POST", queue_path(other_event), "", alice), 201);
      auto pass = pass_of(server, a["id"].get<std::string>());
      pass_of(server, b["id"].get<std::string>());
      auto other_pass = pass_of(server, a_other["id"].get<std::string>());

      check_problem(hold(server, event, alice, ""), 403, "queue_pass_missing");
      auto forged = pass;
      forged.back() = forged.back() == '0' ? '1' : '0';
      check_problem(hold(server, event, alice, forged), 403, "queue_pass_forged");
      check_problem(hold(server, event, alice, "not a pass"), 403, "queue_pass_forged");
      check_problem(hold(server, event, bob, pass), 403, "queue_pass_other_customer");
      check_problem(hold(server, event, alice, other_pass), 403, "queue_pass_other_event");
      // A valid pass: the hold goes through, and the purchase uses the pass.
      auto h = expect_json(hold(server, event, alice, pass), 201);
      auto bought = server.call("POST", "/v1/holds/" + h["id"].get<std::string>() + "/purchase",
                                "", alice);
      expect_json(bought, 201);
      bool used = false;
      for (int i = 0; i < 100 && !used; ++i) {
        auto r = hold(server, event, alice, pass);
        used = r.status == 403 && json_of(r) && (*json_of(r))["code"] == "queue_pass_used";
        if (!used)
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      BOOST_TEST(used);
      auto entry = expect_json(server.call("GET", "/v1/queue/" + a["id"].get<std::string>()), 200);
      BOOST_TEST(entry["state"] == "used");

      // An expired pass.
      auto brief = server.create_event("Brief night", {standing});
      open_room(server, brief, json{{"rate_per_s", 50}, {"pass_ttl_s", 1}});
      auto c = expect_json(server.call("POST", queue_path(brief), "", alice), 201);
      auto brief_pass = pass_of(server, c["id"].get<std::string>());
      std::this_thread::sleep_for(std::chrono::milliseconds(1300));
      check_problem(hold(server, brief, alice, brief_pass), 403, "queue_pass_expired");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_thousand_concurrent_joins_give_one_place) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server(backend, "queue-joins");
      if (!server.started())
        continue;
      auto event = server.create_event("Crowd night", {standing});
      open_room(server, event, json{{"rate_per_s", 1}, {"paused", true}});
      auto carol = server.customer_token("carol");
      const int threads = 20, each = 50;  // 1,000 joins
      std::mutex m;
      std::set<std::string> ids;
      std::atomic<int> created{0}, ok{0};
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
          test::client http;
          for (int i = 0; i < each; ++i) {
            auto r = http.send("POST", server.url(queue_path(event)), "",
                               {{"Authorization", "Bearer " + carol}, {"Content-Type", ""}});
            if (r.status == 201)
              created += 1;
            if (r.status == 200 || r.status == 201) {
              ok += 1;
              std::lock_guard lock(m);
              ids.insert(json::parse(r.body)["id"].get<std::string>());
            }
          }
        });
      for (auto& t : pool)
        t.join();
      BOOST_TEST(ok.load() == threads * each);
      BOOST_TEST(created.load() == 1);
      BOOST_TEST(ids.size() == 1u);
      auto room = expect_json(server.call("GET", queue_path(event), "", server.admin_token()), 200);
      BOOST_TEST(room["waiting"] == 1);
    }
  }
}


// Two waiters stream through nginx: the first is admitted, buys the last
// two seats, and its stream closes; the second is told sold_out, then
// leaves. Each stream lives past the server's header timeout. The
// server times the sold-out notice (boxoffice_queue_sold_out_told_seconds).
BOOST_AUTO_TEST_CASE(the_stream_through_nginx_tells_position_admitted_and_sold_out) {
  if (!std::filesystem::exists(nginx::binary)) {
    BOOST_TEST_MESSAGE("SKIPPED: " << nginx::binary << " is not installed");
    return;
  }
  api_server server(test_backends().front(), "queue-nginx", stream_settings);
  if (!server.started())
    return;
  nginx::temp_dir dir("boxoffice-queue-nginx");
  nginx::process proxy(server.process().http_port(), dir.path);
  proxy.wait_answering();
  auto last_two = json{{"name", "Last two"}, {"kind", "general"}, {"capacity", 2},
                       {"price_cents", 1500}};
  auto event = server.create_event("Last seats night", {last_two});
  open_room(server, event, json{{"rate_per_s", 5}, {"paused", true}});
  auto alice = server.customer_token("alice");
  auto bob = server.customer_token("bob");
  auto a = expect_json(server.call("POST", queue_path(event), "", alice), 201)["id"]
             .get<std::string>();
  auto b = expect_json(server.call("POST", queue_path(event), "", bob), 201)["id"]
             .get<std::string>();
  test::conversation a_stream, b_stream;
  auto listen = [&](test::conversation& into, const std::string& entry) {
    return std::thread([&into, entry, port = proxy.port()] {
      into = test::raw_conversation(
        port,
        {"GET /v1/queue/" + entry + "/stream HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"},
        0, 3000);
    });
  };
  auto a_reader = listen(a_stream, a);
  auto b_reader = listen(b_stream, b);
  // Past the server's header and keep-alive timeouts before anything moves.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  open_room(server, event, json{{"paused", false}});
  auto pass = pass_of(server, a);
  auto h = expect_json(server.call_json("POST", event_path(event) + "/holds",
                                        json{{"section_id", 1}, {"quantity", 2}}, alice,
                                        {{"Queue-Pass", pass}}),
                       201);
  expect_json(server.call("POST", "/v1/holds/" + h["id"].get<std::string>() + "/purchase", "",
                          alice),
              201);
  a_reader.join();  // used: its stream closed
  // Bob is told within his stream's poll (100 ms here); leaving ends it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  expect_json(server.call("DELETE", "/v1/queue/" + b), 200);
  b_reader.join();
  const auto& at = a_stream.received;
  const auto& bt = b_stream.received;
  BOOST_TEST(at.find("HTTP/1.1 200") == 0, at);
  BOOST_TEST(at.find("Content-Type: text/event-stream") != std::string::npos, at);
  auto position = at.find("event: position\nid: position-1-");
  auto admitted = at.find("event: admitted\nid: admitted-");
  auto closed = at.find("event: closed\nid: closed-used");
  BOOST_TEST(position != std::string::npos, at);
  BOOST_TEST(admitted != std::string::npos, at);
  BOOST_TEST(closed != std::string::npos, at);
  BOOST_TEST((position < admitted && admitted < closed));
  BOOST_TEST(bt.find("event: position\nid: position-2-") != std::string::npos, bt);
  BOOST_TEST(bt.find("event: sold_out\nid: sold_out") != std::string::npos, bt);
  BOOST_TEST(bt.find(": ping") != std::string::npos, bt);
  // Nothing of another response inside either stream (Pistache's 408).
  BOOST_TEST(at.find("HTTP/1.1", 1) == std::string::npos, at);
  BOOST_TEST(bt.find("HTTP/1.1", 1) == std::string::npos, bt);
  BOOST_TEST(bt.find("event: closed\nid: closed-left") != std::string::npos, bt);
  auto metrics = server.call("GET", "/metrics").body;
  BOOST_TEST(metrics.find("boxoffice_queue_sold_out_told_seconds_count 1") != std::string::npos,
             metrics);
  BOOST_TEST(metrics.find("boxoffice_queue_sold_out_told_seconds_bucket{le=\"2\"} 1")
               != std::string::npos,
             metrics);
}

// Every acknowledged join is committed first, so SIGKILL loses none: with
// BOXOFFICE_E2E_QUEUE_CRASH_JOINS waiters (10,000 by default; 100,000 is
// the figure, a bench run), five of them admitted, the server is
// killed and restarted; every entry has the state and position it had, and
// the passes issued before still buy.
BOOST_AUTO_TEST_CASE(a_kill_9_with_many_queued_loses_and_reorders_no_place) {
  const char* n_text = std::getenv("BOXOFFICE_E2E_QUEUE_CRASH_JOINS");
  const int n = n_text ? std::atoi(n_text) : 10000;
  api_server server(test_backends().front(), "queue-crash");
  if (!server.started())
    return;
  auto event = server.create_event("Crash night", {standing});
  // Passes that outlive the run (at 100,000 joins it lasts longer than ten
  // minutes): nothing may be admitted meanwhile, or the line would move.
  open_room(server, event, json{{"rate_per_s", 100}, {"active_max", 5}, {"pass_ttl_s", 7200},
                                {"queue_length_max", n + 10}});
  // Joins from 8 connections at once; each thread signs its customers up.
  const int threads = 8;
  std::vector<std::vector<std::pair<std::string, std::string>>> joined(threads);  // (token, id)
  std::atomic<int> failures{0};
  auto t_start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      test::client http;
      // A 503 (overloaded, a slow commit on a busy machine) is retried with
      // the same Idempotency-Key, as a client would; anything else fails.
      auto send = [&](const std::string& path, const std::string& body,
                      const std::map<std::string, std::string>& headers) {
        auto r = http.send("POST", server.url(path), body, headers);
        for (int retry = 0; retry < 5 && r.status == 503; ++retry) {
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
          r = http.send("POST", server.url(path), body, headers);
        }
        return r;
      };
      for (int i = t; i < n; i += threads) {
        auto email = "w" + std::to_string(i) + "@crash.e2e.test";
        auto creds = json{{"email", email}, {"password", "password-of-w" + std::to_string(i)}}.dump();
        auto j = std::map<std::string, std::string>{{"Content-Type", "application/json"}};
        auto keyed = j;
        keyed["Idempotency-Key"] = "crash-signup-" + std::to_string(i);
        auto up = send("/v1/auth/signup", creds, keyed);
        auto in = up.status == 201 ? send("/v1/auth/login", creds, j) : up;
        if (up.status != 201 || in.status != 200) {
          failures += 1;
          continue;
        }
        auto token = json::parse(in.body)["access_token"].get<std::string>();
        auto r = send(queue_path(event), "",
                      {{"Authorization", "Bearer " + token}, {"Content-Type", ""},
                       {"Idempotency-Key", "crash-join-" + std::to_string(i)}});
        if (r.status != 201 && r.status != 200) {
          failures += 1;
          continue;
        }
        joined[t].emplace_back(token, json::parse(r.body)["id"].get<std::string>());
      }
    });
  for (auto& t : pool)
    t.join();
  auto join_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  BOOST_TEST_MESSAGE(n << " signed up, logged in and joined in " << join_s << " s");
  BOOST_REQUIRE_EQUAL(failures.load(), 0);
  // What each entry shows before the kill (and, for the admitted, its pass).
  std::map<std::string, json> before;
  std::map<std::string, std::string> token_of;
  for (const auto& list : joined)
    for (const auto& [token, id] : list) {
      token_of[id] = token;
      before[id] = expect_json(server.call("GET", "/v1/queue/" + id), 200);
    }
  int admitted = 0;
  for (const auto& [id, e] : before)
    admitted += e["state"] == "admitted";
  BOOST_CHECK_EQUAL(admitted, 5);
  server.process().kill_now();
  server.restart();
  int moved = 0;
  for (const auto& [id, e] : before) {
    auto after = expect_json(server.call("GET", "/v1/queue/" + id), 200);
    bool same = after["state"] == e["state"] && after["position"] == e["position"];
    if (e["state"] == "admitted")
      same = same && after["pass"]["token"] == e["pass"]["token"];
    moved += !same;
  }
  BOOST_CHECK_EQUAL(moved, 0);  // no place lost, none reordered
  // The passes issued before the kill still let their holders hold.
  int held = 0;
  for (const auto& [id, e] : before)
    if (e["state"] == "admitted")
      held += hold(server, event, token_of[id], e["pass"]["token"].get<std::string>()).status == 201;
  BOOST_CHECK_EQUAL(held, 5);
}

BOOST_AUTO_TEST_SUITE_END()
