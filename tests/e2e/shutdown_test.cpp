// Graceful shutdown of the real binary: SIGTERM in the middle of a sale
// loses no acknowledged change and exits 0; a second signal, or the grace
// period running out while the database hangs, ends it at once.
#include "tests/e2e/api_checks.h"
#include "tests/e2e/tcp_proxy.h"

#include <boost/test/unit_test.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace boxoffice;
using namespace boxoffice::e2e;
using namespace std::chrono_literals;

namespace {

const json stalls = json{{"name", "Stalls"}, {"kind", "reserved"}, {"rows", 20},
                         {"seats_per_row", 25}, {"price_cents", 2500}};
const json standing = json{{"name", "Standing"}, {"kind", "general"}, {"capacity", 1000},
                           {"price_cents", 1500}};

struct sale_ledger {
  std::mutex m;
  std::vector<std::pair<std::string, std::string>> orders;  // order id, buyer's token
  std::atomic<int> acknowledged{0};
};

// One buyer: hold one seat, buy it, again, until the server stops answering.
void buyer(api_server& server, uint64_t event, std::string token, int section,
           sale_ledger& ledger) {
  test::client http;
  std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};
  auto holds_url = server.url(event_path(event) + "/holds");
  json body{{"section_id", section}, {"quantity", 1}};
  for (int failures = 0; failures < 3;) {
    try {
      auto held = http.send("POST", holds_url, body.dump(), auth);
      if (held.status != 201) {
        ++failures;
        continue;
      }
      auto id = json::parse(held.body)["id"].get<std::string>();
      auto bought = http.send("POST", server.url("/v1/holds/" + id + "/purchase"), "", auth);
      if (bought.status == 201) {
        std::lock_guard<std::mutex> guard{ledger.m};
        ledger.orders.emplace_back(json::parse(bought.body)["id"].get<std::string>(), token);
        ++ledger.acknowledged;
      }
    } catch (const std::runtime_error&) {
      ++failures;  // the server has stopped listening
    }
  }
}

// "host:port" of BOXOFFICE_TEST_PG_URL replaced by the proxy's port.
std::string through(const std::string& url, const tcp_proxy& proxy) {
  return std::regex_replace(url, std::regex{R"(@127\.0\.0\.1:\d+/)"},
                            "@127.0.0.1:" + std::to_string(proxy.port()) + "/");
}

uint16_t port_of(const std::string& url) {
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(url, m, std::regex{R"(@127\.0\.0\.1:(\d+)/)"}));
  return static_cast<uint16_t>(std::stoi(m[1]));
}

// A server on PostgreSQL through a stalled proxy, with one hold stuck in its
// commit: shutdown cannot finish by itself. Its stderr goes to `err_path`
// if given.
struct stuck_server {
  std::unique_ptr<tcp_proxy> proxy;
  std::unique_ptr<api_server> server;
  std::thread client;
  bool stuck = false;  // the hold is in flight, waiting for its commit

  explicit stuck_server(const std::string& grace_s, const std::string& err_path = {}) {
    auto url = fresh_database("postgresql", "");
    if (url.empty())
      return;
    proxy = std::make_unique<tcp_proxy>(port_of(url));
    server = std::make_unique<api_server>(
      "postgresql", "stuck",
      std::map<std::string, std::string>{{"BOXOFFICE_DATABASE_URL", through(url, *proxy)},
                                         {"BOXOFFICE_SERVER_SHUTDOWN_GRACE_S", grace_s},
                                         {"BOXOFFICE_ACTORS_REQUEST_TIMEOUT_MS", "60000"},
                                         {"BOXOFFICE_HTTP_REQUEST_DEADLINE_MS", "61000"}},
      err_path);
    auto event = server->create_event("Stuck", {standing});
    auto token = server->customer_token("stuck");
    proxy->stall();
    client = std::thread([this, event, token] {
      test::client http;
      try {
        http.send("POST", server->url(event_path(event) + "/holds"),
                  json{{"section_id", 1}, {"quantity", 1}}.dump(),
                  {{"Authorization", "Bearer " + token}});
      } catch (const std::runtime_error&) {
        // the server went away: expected
      }
    });
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!(stuck = server->call("GET", "/metrics")
                       .body.find("boxoffice_http_requests_in_flight 1\n") != std::string::npos) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(20ms);
  }

  ~stuck_server() {
    if (server && server->process().running())
      server->process().kill_now();
    if (client.joinable())
      client.join();
  }
};

// SIGTERM does not end a stuck server; SIGINT then ends it at once, status 4.
void expect_second_signal_exit(server_process& process, const std::string& label) {
  process.send_signal(SIGTERM);
  BOOST_TEST(!process.wait_exit(1500ms).has_value(), "stopped although a request was stuck");
  auto started = std::chrono::steady_clock::now();
  process.send_signal(SIGINT);
  auto status = process.wait_exit(5s);
  auto took = std::chrono::steady_clock::now() - started;
  BOOST_TEST_MESSAGE(label << "a second signal ended the server in "
                           << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                           << " ms");
  BOOST_TEST_REQUIRE(status.has_value(), "a second signal did not end the server");
  BOOST_TEST((took < 2s));
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 4);
}

} // namespace

BOOST_AUTO_TEST_SUITE(graceful_shutdown)

BOOST_AUTO_TEST_CASE(sigterm_during_a_sale_loses_no_acknowledged_purchase) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "sigterm",
                        {{"BOXOFFICE_SERVER_SHUTDOWN_GRACE_S", "20"},
                         {"BOXOFFICE_RESERVATION_MAX_TICKETS_PER_CUSTOMER", "1000"},
                         {"BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER", "100"}}};
      if (!server.started())
        continue;
      auto event = server.create_event("Sigterm", {stalls, standing});
      std::vector<std::string> tokens;
      for (int i = 0; i < 8; ++i)
        tokens.push_back(server.customer_token("sigterm-" + std::to_string(i)));
      sale_ledger ledger;
      std::vector<std::thread> buyers;
      for (int i = 0; i < 8; ++i)
        buyers.emplace_back(buyer, std::ref(server), event, tokens[i], 1 + i % 2,
                            std::ref(ledger));
      auto deadline = std::chrono::steady_clock::now() + 10s;
      while (ledger.acknowledged < 200 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(5ms);
      auto started = std::chrono::steady_clock::now();
      server.process().send_signal(SIGTERM);
      auto status = server.process().wait_exit(25s);
      auto took = std::chrono::steady_clock::now() - started;
      for (auto& b : buyers)
        b.join();
      BOOST_TEST_REQUIRE(status.has_value(), "still running 25 s after SIGTERM");
      BOOST_TEST(WIFEXITED(*status));
      BOOST_TEST(WEXITSTATUS(*status) == 0);
      BOOST_TEST((took < 20s));
      BOOST_TEST_MESSAGE(backend << ": " << ledger.orders.size()
                                 << " purchases acknowledged before the stop; stopped in "
                                 << std::chrono::duration_cast<std::chrono::milliseconds>(took)
                                      .count()
                                 << " ms");

      server.restart();
      for (const auto& [order, token] : ledger.orders) {
        auto r = server.call("GET", "/v1/orders/" + order, "", token);
        BOOST_TEST_CONTEXT("order " << order) {
          BOOST_TEST_REQUIRE(r.status == 200);
          BOOST_TEST(json::parse(r.body).value("status", "") == "confirmed");
        }
      }
      auto view = expect_json(server.call("GET", event_path(event)), 200);
      int sold = 0;
      for (const auto& s : view["sections"]) {
        sold += s["sold"].get<int>();
        BOOST_TEST(s["sold"].get<int>() + s["held"].get<int>() + s["free"].get<int>()
                   == s["capacity"].get<int>());
      }
      // Answers lost with the connection may have committed; acknowledged ones must have.
      BOOST_TEST(sold >= static_cast<int>(ledger.orders.size()));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_second_signal_exits_at_once) {
  stuck_server stuck{"60"};
  if (!stuck.server)
    return;
  BOOST_REQUIRE_MESSAGE(stuck.stuck, "the hold never got stuck in its commit");
  expect_second_signal_exit(stuck.server->process(), "");
}

// The line a second signal writes must not hold up the exit: here stderr is
// a full pipe that nobody reads, as a stalled log shipper leaves it. (Before
// the watchdog wrote from a thread of its own, this server never exited.)
BOOST_AUTO_TEST_CASE(a_second_signal_exits_at_once_with_stderr_blocked) {
  auto fifo = (std::filesystem::temp_directory_path() / "boxoffice-stuck-stderr.fifo").string();
  std::filesystem::remove(fifo);
  BOOST_TEST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Held open so the server's stderr has a reader, and never read.
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  BOOST_TEST_REQUIRE(reader >= 0);
  {
    stuck_server stuck{"60", fifo};
    if (stuck.server) {
      BOOST_REQUIRE_MESSAGE(stuck.stuck, "the hold never got stuck in its commit");
      int filler = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
      BOOST_TEST_REQUIRE(filler >= 0);
      char block[4096] = {};
      while (::write(filler, block, sizeof block) > 0) {
      }
      while (::write(filler, block, 1) > 0) {  // the last bytes too: now it is full
      }
      expect_second_signal_exit(stuck.server->process(), "with stderr blocked, ");
      ::close(filler);
    }
  }
  ::close(reader);
  std::filesystem::remove(fifo);
}

BOOST_AUTO_TEST_CASE(the_grace_period_bounds_the_shutdown) {
  stuck_server stuck{"2"};
  if (!stuck.server)
    return;
  BOOST_REQUIRE_MESSAGE(stuck.stuck, "the hold never got stuck in its commit");
  auto& process = stuck.server->process();
  auto started = std::chrono::steady_clock::now();
  process.send_signal(SIGTERM);
  auto status = process.wait_exit(10s);
  auto took = std::chrono::steady_clock::now() - started;
  BOOST_TEST_REQUIRE(status.has_value(), "still running long after shutdown_grace_s");
  BOOST_TEST((took >= 1500ms));
  BOOST_TEST((took < 5s));
  BOOST_TEST(WIFEXITED(*status));
  BOOST_TEST(WEXITSTATUS(*status) == 3);
}

BOOST_AUTO_TEST_SUITE_END()
