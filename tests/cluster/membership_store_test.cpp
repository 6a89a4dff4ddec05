// The membership store against a real PostgreSQL: incarnations, the version
// row, leases on the database clock, declaring expired members dead, and a
// node learning that it was declared dead.
#include "cluster/membership_store.h"
#include "tests/cluster/cluster_db.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>
#include <thread>

using namespace boxoffice;
using namespace boxoffice::cluster;
using boxoffice::test::cluster_case;
using boxoffice::test::cluster_db;
using boxoffice::test::two_members;

namespace {

constexpr uint32_t long_lease_ms = 60000;

member_addresses addresses_of(const std::string& node) {
  return {node + ":8080", node + ":21001"};
}

int64_t version_of(soci::session& sql) {
  return read_membership(sql).version;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_membership)

BOOST_FIXTURE_TEST_CASE(a_join_is_a_new_incarnation_that_replaces_the_live_one, cluster_case) {
  if (!sql)
    return;
  const auto first = join(*sql, "a", addresses_of("a"), long_lease_ms);
  BOOST_TEST(first.self.incarnation == 1);
  BOOST_TEST(first.version == 1);
  BOOST_TEST(first.replaced.empty());
  const auto other = join(*sql, "b", addresses_of("b"), long_lease_ms);
  BOOST_TEST(other.self.incarnation == 1);
  const auto second = join(*sql, "a", addresses_of("a"), long_lease_ms);
  BOOST_TEST(second.self.incarnation == 2);
  BOOST_TEST(second.version == 3);
  BOOST_TEST_REQUIRE(second.replaced.size() == 1u);
  BOOST_TEST(second.replaced[0] == first.self);

  const auto view = read_membership(*sql);
  BOOST_TEST(view.version == 3);
  BOOST_TEST_REQUIRE(view.members.size() == 2u);
  BOOST_TEST(view.members[0].id == second.self);
  BOOST_TEST(view.members[0].state == member_state::joining);
  BOOST_TEST(view.members[0].addresses.node_address == "a:21001");
  BOOST_TEST(view.members[1].id == other.self);

  // The replaced process learns it at its next heartbeat, and why: another
  // process has its node id, so it must not rejoin and replace it back.
  const auto renewal = renew_lease(*sql, first.self, long_lease_ms);
  BOOST_TEST(!renewal.renewed);
  BOOST_TEST((renewal.ended_by == end_reason::replaced));
}

BOOST_FIXTURE_TEST_CASE(the_lease_is_kept_on_the_database_clock, cluster_case) {
  if (!sql)
    return;
  const auto joined = join(*sql, "a", addresses_of("a"), 5000);
  // What the row holds, against the database's own now(): not the node's.
  const auto left_ms = cluster_db::number(
    *sql, "select floor(extract(epoch from (lease_expires_at - now())) * 1000)::bigint"
          " from cluster_members");
  BOOST_TEST(left_ms > 4000);
  BOOST_TEST(left_ms <= 5000);
  BOOST_TEST(renew_lease(*sql, joined.self, long_lease_ms).renewed);
  const auto view = read_membership(*sql);
  BOOST_TEST_REQUIRE(view.members.size() == 1u);
  BOOST_TEST(view.members[0].lease_left_ms > long_lease_ms - 1000);
  BOOST_TEST(view.members[0].lease_left_ms <= long_lease_ms);
}

BOOST_FIXTURE_TEST_CASE(every_state_change_bumps_the_version_and_a_heartbeat_does_not,
                        cluster_case) {
  if (!sql)
    return;
  const auto self = join(*sql, "a", addresses_of("a"), long_lease_ms).self;
  BOOST_TEST(version_of(*sql) == 1);
  BOOST_TEST(renew_lease(*sql, self, long_lease_ms).renewed);
  BOOST_TEST(version_of(*sql) == 1);
  BOOST_TEST((change_state(*sql, self, member_state::joining, member_state::active) == 2));
  // A transition from a state the row is not in changes nothing.
  BOOST_TEST(!change_state(*sql, self, member_state::joining, member_state::active));
  BOOST_TEST(version_of(*sql) == 2);
  BOOST_TEST((change_state(*sql, self, member_state::active, member_state::leaving) == 3));
  BOOST_TEST((change_state(*sql, self, member_state::leaving, member_state::dead) == 4));
  BOOST_TEST(read_membership(*sql).members.empty());
  const auto renewal = renew_lease(*sql, self, long_lease_ms);
  BOOST_TEST(!renewal.renewed);
  BOOST_TEST((renewal.ended_by == end_reason::left));
}

BOOST_FIXTURE_TEST_CASE(a_member_whose_lease_expired_is_declared_dead_and_cannot_renew,
                        cluster_case) {
  if (!sql)
    return;
  const auto quick = join(*sql, "quick", addresses_of("quick"), 1).self;
  const auto steady = join(*sql, "steady", addresses_of("steady"), long_lease_ms).self;
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past quick's 1 ms lease

  const auto declared = declare_expired_dead(*sql);
  BOOST_TEST(declared.version == 3);
  BOOST_TEST_REQUIRE(declared.dead.size() == 1u);
  BOOST_TEST(declared.dead[0] == quick);
  BOOST_TEST(version_of(*sql) == 3);

  const auto renewal = renew_lease(*sql, quick, long_lease_ms);
  BOOST_TEST(!renewal.renewed);
  BOOST_TEST((renewal.ended_by == end_reason::lease_expired));
  BOOST_TEST(!change_state(*sql, quick, member_state::joining, member_state::active));
  BOOST_TEST(renew_lease(*sql, steady, long_lease_ms).renewed);

  // Nobody else expired: no transaction, no version bump.
  const auto again = declare_expired_dead(*sql);
  BOOST_TEST(again.version == 0);
  BOOST_TEST(again.dead.empty());
  BOOST_TEST(version_of(*sql) == 3);

  // It comes back as a new incarnation.
  const auto rejoined = join(*sql, "quick", addresses_of("quick"), long_lease_ms);
  BOOST_TEST(rejoined.self.incarnation == 2);
  BOOST_TEST(rejoined.replaced.empty());
}

BOOST_FIXTURE_TEST_CASE(a_lease_renewed_before_anyone_declared_it_dead_lives_on, cluster_case) {
  if (!sql)
    return;
  const auto self = join(*sql, "a", addresses_of("a"), long_lease_ms).self;
  cluster_db::expire_lease(*sql, self);
  BOOST_TEST(read_membership(*sql).members.at(0).lease_left_ms < 0);
  BOOST_TEST(renew_lease(*sql, self, long_lease_ms).renewed);
  BOOST_TEST(declare_expired_dead(*sql).dead.empty());
  BOOST_TEST(read_membership(*sql).members.size() == 1u);
}

// Every node polls declare_expired_dead; when they run at once, the version
// row lock queues them and each expired member is declared exactly once.
BOOST_AUTO_TEST_CASE(nodes_declaring_at_once_declare_each_expired_member_once) {
  cluster_db db;
  if (!db.available())
    return;
  constexpr int rounds = 10;
  constexpr int nodes = 3;
  std::vector<std::unique_ptr<soci::session>> sessions;
  for (int i = 0; i < nodes; ++i)
    sessions.push_back(db.session());
  auto& sql = *sessions[0];
  for (int round = 0; round < rounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      const auto victim = join(sql, "victim", addresses_of("victim"), long_lease_ms).self;
      cluster_db::expire_lease(sql, victim);
      const auto before = version_of(sql);
      std::promise<void> go;
      std::shared_future<void> start = go.get_future().share();
      std::vector<std::future<dead_declaration>> results;
      for (int i = 0; i < nodes; ++i)
        results.push_back(std::async(std::launch::async, [&, i] {
          start.wait();
          return declare_expired_dead(*sessions[static_cast<std::size_t>(i)]);
        }));
      go.set_value();
      int declaring = 0;
      for (auto& r : results) {
        const auto d = r.get();
        if (!d.dead.empty()) {
          ++declaring;
          BOOST_TEST(d.dead.size() == 1u);
          BOOST_TEST(d.version == before + 1);
        }
      }
      BOOST_TEST(declaring == 1);
      BOOST_TEST(version_of(sql) == before + 1);
    }
  }
}

// A heartbeat and a declaration racing for the same expired row: whichever
// commits first wins, and the two answers agree (renewed and alive, or not
// renewed and dead), never renewed-but-dead.
BOOST_AUTO_TEST_CASE(a_heartbeat_racing_a_declaration_never_renews_a_dead_member) {
  cluster_db db;
  if (!db.available())
    return;
  auto node = db.session();
  auto peer = db.session();
  for (int round = 0; round < 20; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      const auto self = join(*node, "racer", addresses_of("racer"), long_lease_ms).self;
      cluster_db::expire_lease(*node, self);
      std::promise<void> go;
      std::shared_future<void> start = go.get_future().share();
      auto renewal = std::async(std::launch::async, [&] {
        start.wait();
        return renew_lease(*node, self, long_lease_ms);
      });
      auto declared = std::async(std::launch::async, [&] {
        start.wait();
        return declare_expired_dead(*peer);
      });
      go.set_value();
      const bool renewed = renewal.get().renewed;
      const bool dead = !declared.get().dead.empty();
      BOOST_TEST(renewed != dead);
      const auto view = read_membership(*node);
      BOOST_TEST(view.members.size() == (renewed ? 1u : 0u));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
