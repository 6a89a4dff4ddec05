// Two real node processes on one PostgreSQL (cluster mode, short leases,
// node links over mutual TLS): each serves the events it owns and forwards
// the requests for the other's to it; a SIGKILLed node's events are taken over by the
// survivor within about a lease and a poll, with every committed hold; a
// node SIGSTOPped past its lease has its late commit fenced (the metric
// moves, the client gets no false 2xx) and rejoins as a new incarnation.
// Planned moves under load: cluster_move_test.cpp.
#include "tests/e2e/api_checks.h"
#include "tests/e2e/cluster_nodes.h"

#include "persistence/database.h"

#include <boost/test/unit_test.hpp>
#include <soci/session.h>

#include <csignal>
#include <future>
#include <set>

using namespace boxoffice::e2e;
using namespace std::chrono_literals;

namespace {

const json stalls = json{{"name", "Stalls"}, {"kind", "reserved"}, {"rows", 1},
                         {"seats_per_row", 10}, {"price_cents", 2500}};

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

double fenced_commits(api_server& node) {
  return metric(node, "boxoffice_fenced_commits_total");
}

struct two_nodes {
  api_server a{"postgresql", "cluster-a", node_settings("a", "400")};
  std::unique_ptr<api_server> b;
  two_nodes() {
    if (!a.started())
      return;
    b = std::make_unique<api_server>(a, "cluster-b", node_settings("b"));
    BOOST_TEST_REQUIRE(within(10s, [&] { return active_members(a) == 2; }).has_value());
    // Active means b linked to a; a's own view of the link may come a little
    // later. Until a 404 for ids placed on either node comes back through
    // both (forwarded, not 503), an event made now could not be set up.
    BOOST_TEST_REQUIRE(within(10s, [&] { return forwards_both_ways(); }).has_value());
  }
  bool forwards_both_ways() {
    std::set<std::string> placed;
    for (uint64_t id = 900000; id < 900008; ++id) {
      placed.insert(placed_on(id, {"a", "b"}));
      for (auto* node : {&a, b.get()})
        if (node->call("GET", "/v1/events/" + std::to_string(id) + "/sections/1/seats").status
            != 404)
          return false;
    }
    return placed.size() == 2;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_e2e)

BOOST_FIXTURE_TEST_CASE(each_node_serves_its_events_and_a_killed_nodes_are_taken_over,
                        two_nodes) {
  if (!a.started())
    return;
  auto on_a = create_staying(a, "a", {"a", "b"}, stalls);
  auto on_b = create_staying(*b, "b", {"a", "b"}, stalls);
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
  const auto epoch = owner["epoch"].get<int64_t>();

  a.process().kill_now();
  auto taken = within(15s, [&] { return seat_row(*b, on_a) == "hhffffffff"; });
  BOOST_TEST_REQUIRE(taken.has_value(), "b did not take a's event over");
  BOOST_TEST_MESSAGE("takeover after SIGKILL: " << taken->count() << " ms");
  BOOST_TEST(hold(*b, on_a, "A-3", token).status == 201);
  BOOST_TEST(seat_row(*b, on_b) == "hfffffffff");
  owner = json::parse(b->call("GET", "/v1/cluster/events/" + std::to_string(on_a), "",
                              b->admin_token()).body);
  BOOST_TEST(owner["owner_node"] == "b");
  BOOST_TEST(owner["epoch"] == epoch + 1);
}

BOOST_FIXTURE_TEST_CASE(a_node_paused_past_its_lease_commits_nothing_and_rejoins, two_nodes) {
  if (!a.started())
    return;
  auto event = create_staying(a, "a", {"a", "b"}, stalls);
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
  // a's commit of the late hold is fenced. Nothing ran, so a's router
  // tries again (docs/cluster.md, routing): once a serves again it reaches
  // b, the owner, and a 201 then means b committed it. Never a false 2xx.
  auto status = late.get();
  BOOST_TEST(fenced_commits(a) > 0);
  const bool at_b = status == 201;
  BOOST_TEST((at_b || status < 200 || status >= 300), "the late hold was answered " << status);
  BOOST_TEST(seat_row(*b, event) == (at_b ? "hhffffffff" : "hfffffffff"));
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
               BOOST_TEST(seat_row(*b, event) == (at_b ? "hhhfffffff" : "hfhfffffff"));
               return true;
             }).has_value());
}

BOOST_FIXTURE_TEST_CASE(sigterm_leaves_and_the_other_node_takes_the_events, two_nodes) {
  if (!a.started())
    return;
  auto event = create_staying(a, "a", {"a", "b"}, stalls);
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

// A request for an id no event has is 404 event_not_found, as on a single
// node, on the node placement names and through the other (forwarded), and
// leaves no ownership row behind: before, the placed node took the id
// (event_owners and ownership_log grew by a row per random id).
BOOST_FIXTURE_TEST_CASE(a_request_for_an_id_no_event_has_is_404_and_takes_no_row, two_nodes) {
  if (!a.started())
    return;
  auto event = create_staying(a, "a", {"a", "b"}, stalls);
  auto sql = boxoffice::open_session(a.database_url());
  auto rows = [&] {
    return boxoffice::query_number(*sql, "select count(*) from event_owners").value_or(-1)
           + boxoffice::query_number(*sql, "select count(*) from ownership_log").value_or(-1);
  };
  const auto before = rows();
  auto token = a.customer_token("fan");
  // Forwarding works once the link is up (a's event through b).
  BOOST_TEST_REQUIRE(within(10s, [&] { return seat_row(*b, event) == "ffffffffff"; })
                       .has_value());
  std::map<std::string, int> placed;
  for (uint64_t id = event + 1000; id < event + 1012; ++id) {
    placed[placed_on(id, {"a", "b"})] += 1;
    for (auto* node : {&a, b.get()}) {
      BOOST_TEST_CONTEXT("event " << id << " through " << (node == &a ? "a" : "b")) {
        auto r = hold(*node, id, "A-1", token);
        BOOST_TEST(r.status == 404, r.body);
        BOOST_TEST(json::parse(r.body).value("code", "") == "event_not_found");
        auto seats = node->call("GET", "/v1/events/" + std::to_string(id) + "/sections/1/seats");
        BOOST_TEST(seats.status == 404, seats.body);
      }
    }
  }
  BOOST_TEST(placed["a"] > 0);  // both nodes were asked as the placed node
  BOOST_TEST(placed["b"] > 0);
  BOOST_TEST(rows() == before, "ownership rows grew from " << before << " to " << rows());
}

BOOST_AUTO_TEST_SUITE_END()
