// The membership listener against a real PostgreSQL: a membership change
// that commits notifies every listener at once; one that rolls back (a
// state change from a state the row is not in) notifies nobody.
#include "cluster/membership_listener.h"
#include "cluster/membership_store.h"
#include "tests/cluster/cluster_db.h"

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include <chrono>

using namespace boxoffice;
using namespace boxoffice::cluster;
using boxoffice::test::cluster_case;
using namespace std::chrono_literals;

namespace {

// Whether a notification reaches `self` within `wait`.
bool notified_within(caf::scoped_actor& self, std::chrono::milliseconds wait) {
  bool got = false;
  self->receive([&](notified_atom) { got = true; }, caf::after(wait) >> [] {});
  return got;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_membership_listener)

BOOST_FIXTURE_TEST_CASE(a_committed_change_notifies_and_a_rolled_back_one_does_not,
                        cluster_case) {
  if (!sql)
    return;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  caf::scoped_actor self{sys};
  membership_listener listener{db.url(), {caf::actor_cast<caf::actor>(self)}};
  const auto a = db.active_member(*sql, "a");
  // The listener LISTENs on its own thread: changes until it hears one.
  bool heard = false;
  for (int i = 0; i < 50 && !heard; ++i) {
    renew_lease(*sql, a, 60000);
    join(*sql, "n" + std::to_string(i), {"n:8080", "n:21001"}, 60000);
    heard = notified_within(self, 100ms);
  }
  BOOST_TEST_REQUIRE(heard, "no notification within 5 s of changes");
  while (notified_within(self, 300ms)) {
  }
  // Rolled back: a is active, not joining; the version bump is undone.
  BOOST_TEST(!change_state(*sql, a, member_state::joining, member_state::active));
  BOOST_TEST(!notified_within(self, 500ms));
  // A lease renewal is no membership change: nothing either.
  BOOST_TEST(renew_lease(*sql, a, 60000).renewed);
  BOOST_TEST(!notified_within(self, 300ms));
  // Committed: heard at once.
  const auto sent = std::chrono::steady_clock::now();
  BOOST_TEST(change_state(*sql, a, member_state::active, member_state::leaving).has_value());
  BOOST_TEST(notified_within(self, 2000ms));
  BOOST_TEST_MESSAGE("notified "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - sent)
                          .count()
                     << " ms after the commit");
}

BOOST_AUTO_TEST_SUITE_END()
