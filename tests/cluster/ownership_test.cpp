// Taking events and the fence against a real PostgreSQL: the compare-and-set
// on the epoch, nodes racing for one event, and the check the journal will
// run inside its commit (cluster/fence.h).
#include "cluster/fence.h"
#include "cluster/ownership_store.h"
#include "persistence/migrations.h"
#include "tests/cluster/cluster_db.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <future>

using namespace boxoffice;
using namespace boxoffice::cluster;
using boxoffice::test::cluster_case;
using boxoffice::test::cluster_db;
using boxoffice::test::two_members;

namespace {

constexpr uint64_t event_x = 42;
constexpr uint64_t event_y = 43;

int64_t epoch_of(soci::session& sql, uint64_t event) {
  const auto owner = read_owner(sql, event);
  return owner ? owner->epoch : 0;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_ownership)

BOOST_FIXTURE_TEST_CASE(taking_compares_the_epoch_and_bumps_it, two_members) {
  if (!sql)
    return;
  BOOST_TEST(!read_owner(*sql, event_x));

  const auto first = take_event(*sql, a, event_x, 0);
  BOOST_TEST((first.outcome == take_outcome::taken));
  BOOST_TEST_REQUIRE(first.owner.has_value());
  BOOST_TEST(first.owner->epoch == 1);
  BOOST_TEST(first.owner->owner == a);

  // b still believes the event is free: it loses, and learns who won.
  const auto stale = take_event(*sql, b, event_x, 0);
  BOOST_TEST((stale.outcome == take_outcome::epoch_moved));
  BOOST_TEST_REQUIRE(stale.owner.has_value());
  BOOST_TEST(stale.owner->owner == a);
  BOOST_TEST(stale.owner->epoch == 1);

  const auto moved = take_event(*sql, b, event_x, 1);
  BOOST_TEST((moved.outcome == take_outcome::taken));
  BOOST_TEST(moved.owner->epoch == 2);
  BOOST_TEST(read_owner(*sql, event_x)->owner == b);
  BOOST_TEST((take_event(*sql, a, event_x, 1).outcome == take_outcome::epoch_moved));
  BOOST_TEST(epoch_of(*sql, event_x) == 2);

  BOOST_TEST(events_owned_by(*sql, a).empty());
  BOOST_TEST(events_owned_by(*sql, b).size() == 1u);
  BOOST_TEST(cluster_db::number(*sql, "select count(*) from ownership_log where event_id = 42")
             == 2);
}

BOOST_FIXTURE_TEST_CASE(only_an_active_member_with_a_lease_takes_events, cluster_case) {
  if (!sql)
    return;
  const auto joining = join(*sql, "joining", {"j:8080", "j:21001"}, 60000).self;
  BOOST_TEST((take_event(*sql, joining, event_x, 0).outcome == take_outcome::not_active));
  const auto lapsed = db.active_member(*sql, "lapsed");
  cluster_db::expire_lease(*sql, lapsed);
  BOOST_TEST((take_event(*sql, lapsed, event_x, 0).outcome == take_outcome::not_active));
  const auto gone = db.active_member(*sql, "gone");
  BOOST_TEST(change_state(*sql, gone, member_state::active, member_state::dead).has_value());
  BOOST_TEST((take_event(*sql, gone, event_x, 0).outcome == take_outcome::not_active));
  BOOST_TEST(!read_owner(*sql, event_x));
}

// Two nodes, each on its own connection, released at once to take the same
// epoch of the same event (first the insert of epoch 1, then updates):
// exactly one wins each round, and the epoch grows by exactly one.
BOOST_AUTO_TEST_CASE(two_nodes_racing_to_take_one_event_exactly_one_wins) {
  cluster_db db;
  if (!db.available())
    return;
  auto setup = db.session();
  const node_incarnation racers[] = {db.active_member(*setup, "a"),
                                     db.active_member(*setup, "b")};
  std::unique_ptr<soci::session> sessions[] = {db.session(), db.session()};
  constexpr int rounds = 25;
  int wins[2] = {0, 0};
  for (int round = 0; round < rounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      const int64_t expected = epoch_of(*setup, event_x);
      std::promise<void> go;
      std::shared_future<void> start = go.get_future().share();
      std::future<take_result> results[2];
      for (int i = 0; i < 2; ++i)
        results[i] = std::async(std::launch::async, [&, i] {
          start.wait();
          return take_event(*sessions[i], racers[i], event_x, expected);
        });
      go.set_value();
      const take_result r[2] = {results[0].get(), results[1].get()};
      const int winners = (r[0].outcome == take_outcome::taken)
                          + (r[1].outcome == take_outcome::taken);
      BOOST_TEST_REQUIRE(winners == 1);
      const int winner = r[0].outcome == take_outcome::taken ? 0 : 1;
      ++wins[winner];
      BOOST_TEST((r[1 - winner].outcome == take_outcome::epoch_moved));
      BOOST_TEST(r[1 - winner].owner->owner == racers[winner]);
      BOOST_TEST(r[1 - winner].owner->epoch == expected + 1);
      BOOST_TEST(epoch_of(*setup, event_x) == expected + 1);
    }
  }
  BOOST_TEST_MESSAGE("wins a=" << wins[0] << " b=" << wins[1]);
  BOOST_TEST(cluster_db::number(*setup, "select count(*) from ownership_log") == rounds);
  BOOST_TEST(cluster_db::number(*setup, "select max(epoch) from ownership_log") == rounds);
}

// A request's take (the gate's, take_existing_event) for an id no event has
// writes nothing: before, a request for a random id left an event_owners
// row (and a log row) behind on the node placement named.
BOOST_FIXTURE_TEST_CASE(a_take_for_an_id_no_event_has_writes_no_row, two_members) {
  if (!sql)
    return;
  migrate(*sql, backend::postgresql);  // the domain's events table
  const auto missing = take_existing_event(*sql, a, event_x, 0);
  BOOST_TEST((missing.outcome == take_outcome::no_event));
  BOOST_TEST(!missing.owner.has_value());
  BOOST_TEST(cluster_db::number(*sql, "select count(*) from event_owners") == 0);
  BOOST_TEST(cluster_db::number(*sql, "select count(*) from ownership_log") == 0);

  execute_sql(*sql, "insert into events (id, title, description, venue, starts_at,"
                    " max_tickets_per_customer, status) values (42, 'x', '', '', 0, 4, 'on_sale')");
  const auto taken = take_existing_event(*sql, a, event_x, 0);
  BOOST_TEST((taken.outcome == take_outcome::taken));
  BOOST_TEST(read_owner(*sql, event_x)->owner == a);
  // A take of the same id by b from a stale epoch still loses as before.
  BOOST_TEST((take_existing_event(*sql, b, event_x, 0).outcome == take_outcome::epoch_moved));
  // The one path that owns an id before its event exists: a create's claim.
  BOOST_TEST(claim_new_event(*sql, b, 100).value_or(0) == 100u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cluster_fence)

BOOST_FIXTURE_TEST_CASE(a_stale_epoch_is_fenced_once_another_node_took_the_event, two_members) {
  if (!sql)
    return;
  BOOST_TEST_REQUIRE((take_event(*sql, a, event_x, 0).outcome == take_outcome::taken));
  BOOST_TEST_REQUIRE((take_event(*sql, a, event_y, 0).outcome == take_outcome::taken));
  const std::vector<held_epoch> held = {{event_x, 1}, {event_y, 1}};
  {
    sql_transaction tx(*sql, backend::postgresql);
    BOOST_TEST(fenced_events(*sql, a, held).empty());
    tx.commit();
  }
  BOOST_TEST_REQUIRE((take_event(*sql, b, event_x, 1).outcome == take_outcome::taken));
  {
    sql_transaction tx(*sql, backend::postgresql);
    BOOST_TEST(fenced_events(*sql, a, held) == std::vector<uint64_t>{event_x});
    // The new owner at the new epoch passes; at the old one it does not.
    BOOST_TEST(fenced_events(*sql, b, {{event_x, 2}}).empty());
    BOOST_TEST(fenced_events(*sql, b, {{event_x, 1}}) == std::vector<uint64_t>{event_x});
    // An event nobody took is nobody's to commit.
    BOOST_TEST(fenced_events(*sql, a, {{7, 1}}) == std::vector<uint64_t>{7});
    tx.commit();
  }
}

BOOST_FIXTURE_TEST_CASE(a_member_without_a_live_lease_commits_nothing, cluster_case) {
  if (!sql)
    return;
  const auto a = db.active_member(*sql, "a");
  BOOST_TEST_REQUIRE((take_event(*sql, a, event_x, 0).outcome == take_outcome::taken));
  BOOST_TEST_REQUIRE((take_event(*sql, a, event_y, 0).outcome == take_outcome::taken));
  const std::vector<held_epoch> held = {{event_y, 1}, {event_x, 1}};
  cluster_db::expire_lease(*sql, a);
  sql_transaction tx(*sql, backend::postgresql);
  BOOST_TEST(fenced_events(*sql, a, held) == (std::vector<uint64_t>{event_x, event_y}));
  tx.commit();
  BOOST_TEST(renew_lease(*sql, a, 60000).renewed);
  BOOST_TEST(declare_expired_dead(*sql).dead.empty());
  BOOST_TEST(change_state(*sql, a, member_state::active, member_state::dead).has_value());
  sql_transaction after(*sql, backend::postgresql);
  BOOST_TEST(fenced_events(*sql, a, held).size() == 2u);
}

// A commit that passed the fence holds the event's row until it ends: a
// takeover waits for it, so the commit lands strictly before the new epoch,
// and the old owner's next commit is fenced.
BOOST_AUTO_TEST_CASE(a_takeover_waits_for_the_commit_that_passed_the_fence) {
  cluster_db db;
  if (!db.available())
    return;
  auto old_owner = db.session();
  auto new_owner = db.session();
  const auto a = db.active_member(*old_owner, "a");
  const auto b = db.active_member(*old_owner, "b");
  BOOST_TEST_REQUIRE((take_event(*old_owner, a, event_x, 0).outcome == take_outcome::taken));

  auto commit = std::make_unique<sql_transaction>(*old_owner, backend::postgresql);
  BOOST_TEST_REQUIRE(fenced_events(*old_owner, a, {{event_x, 1}}).empty());
  auto takeover = std::async(std::launch::async,
                             [&] { return take_event(*new_owner, b, event_x, 1); });
  BOOST_TEST((takeover.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout));
  commit->commit();
  const auto taken = takeover.get();
  BOOST_TEST((taken.outcome == take_outcome::taken));
  BOOST_TEST(taken.owner->epoch == 2);

  sql_transaction next(*old_owner, backend::postgresql);
  BOOST_TEST(fenced_events(*old_owner, a, {{event_x, 1}}) == std::vector<uint64_t>{event_x});
}

BOOST_AUTO_TEST_SUITE_END()
