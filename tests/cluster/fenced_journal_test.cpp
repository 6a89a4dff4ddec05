// The fence wired into the journal's commit, on a real PostgreSQL: a
// takeover between a node's take and its commit refuses that commit inside
// the commit's own transaction, nothing of it is written, its client gets
// not_owner (HTTP 503 + Retry-After), boxoffice_fenced_commits_total
// counts it, and the writes of events the node still holds in the same
// batch commit.
#include "actors/protocol.h"
#include "cluster/fence.h"
#include "cluster/ownership_store.h"
#include "persistence/journal.h"
#include "persistence/sql_store.h"
#include "telemetry/metrics.h"
#include "tests/cluster/cluster_db.h"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <string>

using namespace boxoffice;
using namespace boxoffice::cluster;
using boxoffice::test::cluster_db;
using boxoffice::test::two_members;

namespace {

constexpr timestamp_ms t0 = 1'700'000'000'000;

std::vector<change> event_with_section(event_id id) {
  return {event_saved{{id, "Concert", "", "Arena", t0 + 86'400'000, 6, sale_status::on_sale, {}}},
          section_added{id, {1, "Stalls", reserved_layout(10, 20), 4500}}};
}

journal_write hold_write(event_id event, hold_id hold, uint32_t seat, ownership held) {
  return journal_write{{hold_placed{event, 1, {hold, 7, {seat}, 1, t0, t0 + 600'000}}},
                       event, held};
}

double fenced_metric() {
  const auto text = metrics::default_registry().render();
  const std::string name = "boxoffice_fenced_commits_total ";
  const auto at = text.find("\n" + name);
  return at == std::string::npos ? 0.0 : std::stod(text.substr(at + 1 + name.size()));
}

long long holds_of(soci::session& sql, event_id event) {
  return cluster_db::number(sql, "select count(*) from holds where event_id = "
                                   + std::to_string(event));
}

struct journal_of_node {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  journal_actor journal;
  committer_actor committer;

  journal_of_node(const std::string& url, const std::string& node_id) {
    register_protocol(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    committer = spawn_committer(
      *sys, [=] { return std::make_unique<sql_store>(url, journal_fence(node_id), 2000); },
      thread_model::detached, commit_mode::fenced);
    journal = spawn_journal(*sys, journal_settings{512, 5, 65536}, committer);
  }
  ~journal_of_node() {
    caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(committer, caf::exit_reason::user_shutdown);
  }

  // The journal's answer: nullopt for committed, else the error code.
  std::optional<errc> write(journal_write w) {
    caf::scoped_actor self{*sys};
    std::optional<errc> out = errc::storage_unavailable;
    self->request(journal, std::chrono::seconds(20), std::move(w))
      .receive([&](committed_atom) { out = std::nullopt; },
               [&](caf::error& err) { out = to_errc(err).value_or(errc::storage_unavailable); });
    return out;
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_fenced_journal)

BOOST_FIXTURE_TEST_CASE(a_takeover_between_take_and_commit_refuses_the_commit, two_members) {
  if (!sql)
    return;
  sql_store{db.url()}.apply(event_with_section(42));  // the domain schema, and the event
  const auto took = take_event(*sql, a, 42, 0);
  BOOST_TEST_REQUIRE((took.outcome == take_outcome::taken));
  const ownership held{a.incarnation, 1};
  journal_of_node node_a{db.url(), "a"};
  BOOST_TEST(!node_a.write(hold_write(42, 1, 0, held)));  // a owns it: committed
  BOOST_TEST(holds_of(*sql, 42) == 1);

  // b takes the event over (a hung, say); a still believes it holds epoch 1.
  BOOST_TEST_REQUIRE((take_event(*sql, b, 42, 1).outcome == take_outcome::taken));
  const auto before = fenced_metric();
  BOOST_TEST((node_a.write(hold_write(42, 2, 1, held)) == errc::not_owner));
  BOOST_TEST(holds_of(*sql, 42) == 1);  // nothing of it was written
  BOOST_TEST(fenced_metric() == before + 1);
  // A write under no ownership at all is refused too, in cluster mode.
  BOOST_TEST((node_a.write(hold_write(42, 3, 2, {})) == errc::not_owner));
  BOOST_TEST(holds_of(*sql, 42) == 1);
}

BOOST_FIXTURE_TEST_CASE(only_the_lost_events_writes_of_a_batch_are_dropped, two_members) {
  if (!sql)
    return;
  sql_store{db.url()}.apply(event_with_section(42));
  sql_store{db.url()}.apply(event_with_section(43));
  BOOST_TEST_REQUIRE((take_event(*sql, a, 42, 0).outcome == take_outcome::taken));
  BOOST_TEST_REQUIRE((take_event(*sql, a, 43, 0).outcome == take_outcome::taken));
  BOOST_TEST_REQUIRE((take_event(*sql, b, 43, 1).outcome == take_outcome::taken));
  // One batch, two writes: the store applies what passes the fence.
  sql_store store{db.url(), journal_fence("a"), 2000};
  const auto lost = store.apply_fenced(
    {hold_write(42, 1, 0, {a.incarnation, 1}), hold_write(43, 1, 0, {a.incarnation, 1})});
  BOOST_TEST(lost == std::vector<event_id>{43});
  BOOST_TEST(holds_of(*sql, 42) == 1);
  BOOST_TEST(holds_of(*sql, 43) == 0);
}

BOOST_FIXTURE_TEST_CASE(a_member_whose_lease_ran_out_commits_nothing, two_members) {
  if (!sql)
    return;
  sql_store{db.url()}.apply(event_with_section(42));
  BOOST_TEST_REQUIRE((take_event(*sql, a, 42, 0).outcome == take_outcome::taken));
  cluster_db::expire_lease(*sql, a);  // hung past its lease, not yet declared dead
  journal_of_node node_a{db.url(), "a"};
  BOOST_TEST((node_a.write(hold_write(42, 1, 0, {a.incarnation, 1})) == errc::not_owner));
  BOOST_TEST(holds_of(*sql, 42) == 0);
}

// A fenced transaction left idle (a node paused between its fence and its
// COMMIT) is ended by PostgreSQL, so a takeover is not held off for long.
BOOST_FIXTURE_TEST_CASE(a_take_waits_at_most_its_lock_timeout, two_members) {
  if (!sql)
    return;
  BOOST_TEST_REQUIRE((take_event(*sql, a, 42, 0).outcome == take_outcome::taken));
  auto holder = db.session();
  *holder << "begin";
  fenced_events(*holder, a, {{42, 1}});  // the row locked FOR SHARE, as a commit does
  const auto started = std::chrono::steady_clock::now();
  BOOST_CHECK_THROW(take_event(*sql, b, 42, 1, 100), std::exception);
  BOOST_TEST((std::chrono::steady_clock::now() - started < std::chrono::seconds(5)));
  *holder << "rollback";
  BOOST_TEST((take_event(*sql, b, 42, 1, 100).outcome == take_outcome::taken));
}

BOOST_AUTO_TEST_SUITE_END()
