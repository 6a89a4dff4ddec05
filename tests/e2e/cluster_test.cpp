// Two real node processes on one PostgreSQL (cluster mode, short leases,
// node links over mutual TLS): each serves the events it owns and forwards
// the requests for the other's to it; a SIGKILLed node's events are taken over by the
// survivor within about a lease and a poll, with every committed hold; a
// node SIGSTOPped past its lease has its late commit fenced (the metric
// moves, the client gets no 2xx) and rejoins as a new incarnation.
#include "tests/e2e/api_checks.h"
#include "tests/e2e/api_fixture.h"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <csignal>
#include <future>
#include <thread>

using namespace boxoffice::e2e;
using namespace std::chrono_literals;

namespace {

const json stalls = json{{"name", "Stalls"}, {"kind", "reserved"}, {"rows", 1},
                         {"seats_per_row", 10}, {"price_cents", 2500}};

// The cluster's CA and the certificates of nodes a and b, made once per
// test process by the operator's own tool.
const std::filesystem::path& certs() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path()
             / ("boxoffice-e2e-certs-" + std::to_string(getpid()));
    std::filesystem::remove_all(d);
    auto tool = std::string{BOXOFFICE_SOURCE_DIR} + "/tools/make-cluster-certs.sh";
    if (std::system((tool + " " + d.string() + " a b > /dev/null").c_str()) != 0)
      throw std::runtime_error("tools/make-cluster-certs.sh failed");
    return d;
  }();
  return dir;
}

std::map<std::string, std::string> node_settings(const std::string& id,
                                                 const std::string& batch_wait_ms = "1") {
  return {{"BOXOFFICE_CLUSTER_ENABLED", "true"},
          {"BOXOFFICE_CLUSTER_TLS_CA_FILE", (certs() / "ca.pem").string()},
          {"BOXOFFICE_CLUSTER_TLS_CERT_FILE", (certs() / (id + ".pem")).string()},
          {"BOXOFFICE_CLUSTER_TLS_KEY_FILE", (certs() / (id + ".key")).string()},
          {"BOXOFFICE_CLUSTER_NODE_ID", id},
          {"BOXOFFICE_CLUSTER_LEASE_S", "1"},
          {"BOXOFFICE_CLUSTER_HEARTBEAT_MS", "250"},
          {"BOXOFFICE_CLUSTER_POLL_MS", "200"},
          {"BOXOFFICE_CLUSTER_COMMIT_IDLE_TIMEOUT_MS", "1000"},
          {"BOXOFFICE_DATABASE_JOURNAL_BATCH_WAIT_MS", batch_wait_ms},
          {"BOXOFFICE_SERVER_SHUTDOWN_GRACE_S", "5"}};
}

std::string holds_path(uint64_t event) {
  return "/v1/events/" + std::to_string(event) + "/holds";
}

boxoffice::test::reply hold(api_server& node, uint64_t event, const std::string& seat,
                 const std::string& token) {
  return node.call_json("POST", holds_path(event), json{{"section_id", 1}, {"seats", {seat}}},
                        token);
}

// The Stalls row ("hhf..."), as `node` serves it.
std::string seat_row(api_server& node, uint64_t event) {
  auto r = node.call("GET", "/v1/events/" + std::to_string(event) + "/sections/1/seats");
  if (r.status != 200)
    return "status " + std::to_string(r.status);
  return json::parse(r.body)["rows"][0]["states"].get<std::string>();
}

// Polls `ok` every 50 ms until it holds or `limit` passes; the time it took.
template <class F>
std::optional<std::chrono::milliseconds> within(std::chrono::milliseconds limit, F ok) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (ok())
      return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::this_thread::sleep_for(50ms);
  }
  return std::nullopt;
}

json cluster_view(api_server& node) {
  auto r = node.call("GET", "/v1/cluster", "", node.admin_token());
  return r.status == 200 ? json::parse(r.body) : json{};
}

size_t active_members(api_server& node) {
  size_t n = 0;
  auto view = cluster_view(node);
  for (const auto& m : view.value("members", json::array()))
    n += m["state"] == "active";
  return n;
}

double fenced_commits(api_server& node) {
  auto text = node.call("GET", "/metrics").body;
  const std::string name = "\nboxoffice_fenced_commits_total ";
  auto at = text.find(name);
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size()));
}

struct two_nodes {
  api_server a{"postgresql", "cluster-a", node_settings("a", "400")};
  std::unique_ptr<api_server> b;
  two_nodes() {
    if (!a.started())
      return;
    b = std::make_unique<api_server>(a, "cluster-b", node_settings("b"));
    BOOST_TEST_REQUIRE(within(10s, [&] { return active_members(a) == 2; }).has_value());
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_e2e)

BOOST_FIXTURE_TEST_CASE(each_node_serves_its_events_and_a_killed_nodes_are_taken_over,
                        two_nodes) {
  if (!a.started())
    return;
  auto on_a = a.create_event("On a", {stalls});
  auto on_b = b->create_event("On b", {stalls});
  auto token = a.customer_token("fan");
  BOOST_TEST(hold(a, on_a, "A-1", token).status == 201);
  BOOST_TEST(hold(*b, on_b, "A-1", token).status == 201);
  // The other node forwards to the owner, once their link is up (until
  // then it answers 503 not_owner, naming the owner, and changes nothing).
  auto forwarded = within(10s, [&] {
    // Keyed: a 503 says "outcome unknown" (a link that went down under a
    // forward may have left it committed at the owner); the retry replays.
    auto r = b->call_json("POST", holds_path(on_a), json{{"section_id", 1}, {"seats", {"A-2"}}},
                          token, {{"Idempotency-Key", "forwarded-a-2"}});
    if (r.status == 503) {
      auto problem = json::parse(r.body);
      BOOST_TEST((problem["code"] == "not_owner" || problem["code"] == "owner_unreachable"));
      BOOST_TEST(r.headers.count("retry-after") == 1u);
      return false;
    }
    BOOST_TEST(r.status == 201, r.body);
    return true;
  });
  BOOST_TEST_REQUIRE(forwarded.has_value(), "b never forwarded a's event to a");
  BOOST_TEST(seat_row(a, on_a) == "hhffffffff");  // committed by the owner
  auto owner = json::parse(b->call("GET", "/v1/cluster/events/" + std::to_string(on_a), "",
                                   b->admin_token()).body);
  BOOST_TEST(owner["owner_node"] == "a");
  BOOST_TEST(owner["epoch"] == 1);

  a.process().kill_now();
  auto taken = within(15s, [&] { return seat_row(*b, on_a) == "hhffffffff"; });
  BOOST_TEST_REQUIRE(taken.has_value(), "b did not take a's event over");
  BOOST_TEST_MESSAGE("takeover after SIGKILL: " << taken->count() << " ms");
  BOOST_TEST(hold(*b, on_a, "A-3", token).status == 201);
  BOOST_TEST(seat_row(*b, on_b) == "hfffffffff");
  owner = json::parse(b->call("GET", "/v1/cluster/events/" + std::to_string(on_a), "",
                              b->admin_token()).body);
  BOOST_TEST(owner["owner_node"] == "b");
  BOOST_TEST(owner["epoch"] == 2);
}

BOOST_FIXTURE_TEST_CASE(a_node_paused_past_its_lease_commits_nothing_and_rejoins, two_nodes) {
  if (!a.started())
    return;
  auto event = a.create_event("On a", {stalls});
  auto token = a.customer_token("fan");
  BOOST_TEST(hold(a, event, "A-1", token).status == 201);
  BOOST_TEST(fenced_commits(a) == 0);
  // a waits 400 ms to batch; stopped meanwhile, its commit comes late.
  auto late = std::async(std::launch::async, [&] { return hold(a, event, "A-2", token).status; });
  std::this_thread::sleep_for(150ms);
  a.process().send_signal(SIGSTOP);
  auto taken = within(15s, [&] { return seat_row(*b, event) == "hfffffffff"; });
  a.process().send_signal(SIGCONT);
  BOOST_TEST_REQUIRE(taken.has_value(), "b did not take the paused node's event");
  auto status = late.get();
  BOOST_TEST((status < 200 || status >= 300), "the late hold was answered " << status);
  BOOST_TEST(fenced_commits(a) > 0);
  BOOST_TEST(seat_row(*b, event) == "hfffffffff");  // the late hold is not there
  // a learns it was declared dead and rejoins as incarnation 2; it no
  // longer serves the event, b does.
  BOOST_TEST_REQUIRE(within(10s, [&] {
                       for (const auto& m : cluster_view(*b).value("members", json::array()))
                         if (m["node_id"] == "a" && m["incarnation"] == 2 && m["state"] == "active")
                           return true;
                       return false;
                     }).has_value());
  // Until its first renewal as the new incarnation it serves nothing (503);
  // then it forwards to b, the owner: a 2xx only for what b committed.
  BOOST_TEST(within(5s, [&] {
               auto r = hold(a, event, "A-3", token);
               if (r.status == 503)
                 return false;
               BOOST_TEST_REQUIRE(r.status == 201);
               BOOST_TEST(seat_row(*b, event) == "hfhfffffff");
               return true;
             }).has_value());
}

BOOST_FIXTURE_TEST_CASE(sigterm_leaves_and_the_other_node_takes_the_events, two_nodes) {
  if (!a.started())
    return;
  auto event = a.create_event("On a", {stalls});
  auto token = a.customer_token("fan");
  BOOST_TEST(hold(a, event, "A-1", token).status == 201);
  const auto started = std::chrono::steady_clock::now();
  BOOST_TEST(a.process().stop() == 0);
  BOOST_TEST((std::chrono::steady_clock::now() - started < 6s));
  auto taken = within(5s, [&] { return seat_row(*b, event) == "hfffffffff"; });
  BOOST_TEST_REQUIRE(taken.has_value());
  BOOST_TEST_MESSAGE("takeover after SIGTERM: " << taken->count() << " ms");
  // The view is kept in a variable: a range-for over a member of a temporary
  // reads freed memory once the temporary is gone.
  const auto view = cluster_view(*b);
  for (const auto& m : view.value("members", json::array()))
    BOOST_TEST(m["node_id"] != "a");  // it left: dead rows are not listed
}

BOOST_AUTO_TEST_SUITE_END()
