// The membership actors on a real actor system against PostgreSQL: the
// agent joins, keeps its lease alive by heartbeats without any actor
// blocking on the database, learns that it was declared dead, stops
// serving and rejoins as a new incarnation, and stops for good when another
// process takes its node id.
#include "cluster/membership_actor.h"
#include "tests/cluster/cluster_db.h"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <chrono>
#include <variant>

using namespace boxoffice;
using namespace boxoffice::cluster;
using boxoffice::test::cluster_db;
using namespace std::chrono_literals;

namespace {

constexpr uint32_t lease_ms = 1000;

struct joined_note {
  node_incarnation id;
};
struct dead_note {
  node_incarnation id;
  end_reason why;
};
using note = std::variant<joined_note, dead_note, membership_view>;

caf::actor_system_config& two_threads(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 2);
  return cfg;
}

struct agent_case {
  cluster_db db;
  caf::actor_system_config cfg;
  caf::actor_system sys{two_threads(cfg)};
  caf::scoped_actor owner{sys};
  caf::actor agent;

  void start() {
    auto worker = spawn_membership_worker(sys, db.url());
    agent = spawn_membership_agent(sys, worker, caf::actor_cast<caf::actor>(owner),
                                   {"n1", {"n1:8080", "n1:21001"}, lease_ms, 50, 100});
  }

  ~agent_case() {
    if (agent)
      caf::anon_send_exit(agent, caf::exit_reason::user_shutdown);
  }

  // The next note the agent sends its owner; fails the case after 5 s.
  note next_note() {
    std::optional<note> got;
    owner->receive([&](joined_atom, const node_incarnation& id) { got = joined_note{id}; },
                   [&](dead_atom, const node_incarnation& id, end_reason why) {
                     got = dead_note{id, why};
                   },
                   [&](const membership_view& view) { got = view; },
                   caf::after(5s) >> [] { BOOST_FAIL("no note from the agent within 5 s"); });
    return *got;
  }

  // Skips member lists until a note of kind T.
  template <class T>
  T next() {
    for (int i = 0; i < 100; ++i) {
      auto n = next_note();
      if (auto* x = std::get_if<T>(&n))
        return *x;
      BOOST_TEST_REQUIRE(std::holds_alternative<membership_view>(n), "unexpected note");
    }
    BOOST_FAIL("only member lists from the agent");
    return {};
  }

  bool ask_state(member_state to) {
    bool changed = false;
    owner->request(agent, 5s, state_atom::value, to)
      .receive([&](bool ok) { changed = ok; },
               [](const caf::error& e) { BOOST_FAIL("state change failed: " << to_string(e)); });
    return changed;
  }

  bool serving() {
    bool answer = false;
    owner->request(agent, 5s, serving_atom::value)
      .receive([&](bool ok) { answer = ok; },
               [](const caf::error& e) { BOOST_FAIL("serving failed: " << to_string(e)); });
    return answer;
  }

  // The member list as the agent reports it, once `pred` holds for it.
  template <class Pred>
  membership_view view_where(Pred pred) {
    for (int i = 0; i < 100; ++i) {
      auto view = next<membership_view>();
      if (pred(view))
        return view;
    }
    BOOST_FAIL("the member list never got there");
    return {};
  }
};

bool has_active(const membership_view& view, const node_incarnation& id) {
  for (const auto& m : view.members)
    if (m.id == id && m.state == member_state::active)
      return true;
  return false;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_membership_actors)

BOOST_FIXTURE_TEST_CASE(the_agent_joins_and_heartbeats_keep_its_lease, agent_case) {
  if (!db.available())
    return;
  start();
  const auto joined = next<joined_note>();
  BOOST_TEST(joined.id.node_id == "n1");
  BOOST_TEST(joined.id.incarnation == 1);
  BOOST_TEST(!serving());  // joining: not serving yet
  BOOST_TEST(ask_state(member_state::active));
  BOOST_TEST(serving());
  view_where([&](const membership_view& v) { return has_active(v, joined.id); });

  // Three leases later, it is still alive: the heartbeats renewed it.
  std::this_thread::sleep_for(std::chrono::milliseconds(3 * lease_ms));
  auto sql = db.session();
  BOOST_TEST(declare_expired_dead(*sql).dead.empty());
  const auto members = read_membership(*sql).members;
  BOOST_TEST_REQUIRE(members.size() == 1u);
  BOOST_TEST(members[0].lease_left_ms > 0);
  BOOST_TEST(serving());
}

BOOST_FIXTURE_TEST_CASE(an_agent_declared_dead_stops_serving_and_rejoins, agent_case) {
  if (!db.available())
    return;
  start();
  const auto first = next<joined_note>().id;
  BOOST_TEST(ask_state(member_state::active));
  // Another node declares it dead, as after a pause past its lease.
  // The agent keeps renewing meanwhile: a renewal between the two can
  // save it, so expire and declare until the declaration lands.
  auto sql = db.session();
  size_t declared = 0;
  for (int attempt = 0; attempt < 20 && declared == 0; ++attempt) {
    cluster_db::expire_lease(*sql, first);
    declared = declare_expired_dead(*sql).dead.size();
  }
  BOOST_TEST_REQUIRE(declared == 1u);

  const auto dead = next<dead_note>();
  BOOST_TEST(dead.id == first);
  BOOST_TEST((dead.why == end_reason::lease_expired));
  const auto second = next<joined_note>().id;
  BOOST_TEST(second.node_id == "n1");
  BOOST_TEST(second.incarnation == 2);
  BOOST_TEST(!serving());  // a new incarnation starts as joining
  BOOST_TEST(ask_state(member_state::active));
  BOOST_TEST(serving());
  view_where([&](const membership_view& v) { return has_active(v, second); });
}

BOOST_FIXTURE_TEST_CASE(an_agent_replaced_by_another_process_stops_for_good, agent_case) {
  if (!db.available())
    return;
  start();
  const auto first = next<joined_note>().id;
  owner->monitor(agent);
  auto sql = db.session();
  const auto other = join(*sql, "n1", {"other:8080", "other:21001"}, 60000);
  BOOST_TEST(other.replaced.size() == 1u);

  const auto dead = next<dead_note>();
  BOOST_TEST(dead.id == first);
  BOOST_TEST((dead.why == end_reason::replaced));
  bool down = false;
  owner->receive_while([&] { return !down; })(
    [&](const caf::down_msg& msg) { down = msg.source == agent.address(); },
    [](const membership_view&) {}, caf::after(5s) >> [] { BOOST_FAIL("the agent went on"); });
  BOOST_TEST(down);
  agent = nullptr;
  // The other process keeps the node id; nobody replaced it back.
  const auto members = read_membership(*sql).members;
  BOOST_TEST_REQUIRE(members.size() == 1u);
  BOOST_TEST(members[0].id == other.self);
}

BOOST_AUTO_TEST_SUITE_END()
