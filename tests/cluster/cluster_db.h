// A PostgreSQL database with the cluster schema for one test case: the
// scratch database of tests/db_fixture.h (BOXOFFICE_TEST_PG_URL, schema
// public emptied; without it the case fails, or passes empty under
// BOXOFFICE_TEST_ALLOW_NO_PG=1 like every PostgreSQL suite), plus sessions
// and the few statements the tests use to look behind the stores.
#pragma once

#include "cluster/membership_store.h"
#include "cluster/schema.h"
#include "persistence/connection.h"
#include "persistence/database.h"
#include "tests/db_fixture.h"

#include <soci/soci.h>

#include <memory>
#include <ostream>
#include <string>

namespace boxoffice::cluster {

// For Boost.Test's messages.
inline std::ostream& operator<<(std::ostream& out, const node_incarnation& x) {
  return out << x.node_id << "#" << x.incarnation;
}
inline std::ostream& operator<<(std::ostream& out, member_state x) {
  return out << to_string(x);
}

} // namespace boxoffice::cluster

namespace boxoffice::test {

class cluster_db {
public:
  cluster_db() {
    if (db_.available())
      cluster::migrate_cluster_schema(*session());
  }

  bool available() const { return db_.available(); }
  const std::string& url() const { return db_.url(); }
  std::unique_ptr<soci::session> session() const { return open_session(db_.url()); }

  // An active member with a lease of `lease_ms`.
  cluster::node_incarnation active_member(soci::session& sql, const std::string& node_id,
                                          uint32_t lease_ms = 60000) const {
    auto joined = cluster::join(sql, node_id, {node_id + ":8080", node_id + ":21001"}, lease_ms);
    BOOST_TEST_REQUIRE(cluster::change_state(sql, joined.self, cluster::member_state::joining,
                                             cluster::member_state::active)
                         .has_value());
    return joined.self;
  }

  // The database clock passing a member's lease, without waiting it out.
  static void expire_lease(soci::session& sql, const cluster::node_incarnation& id) {
    execute_statement(sql,
                      "update cluster_members set lease_expires_at = now() - interval '1 ms'"
                      " where node_id = :node and incarnation = :inc",
                      {{"node", id.node_id}, {"inc", static_cast<long long>(id.incarnation)}});
  }

  static long long number(soci::session& sql, const std::string& query) {
    return query_number(sql, query).value_or(-1);
  }

private:
  scratch_database db_{"postgresql"};
};

// One test case's database and session; sql is null when PostgreSQL is
// skipped on purpose, and the case returns at once.
struct cluster_case {
  cluster_db db;
  std::unique_ptr<soci::session> sql = db.available() ? db.session() : nullptr;
};

// ... with two active members, a and b.
struct two_members : cluster_case {
  cluster::node_incarnation a = sql ? db.active_member(*sql, "a") : cluster::node_incarnation{};
  cluster::node_incarnation b = sql ? db.active_member(*sql, "b") : cluster::node_incarnation{};
};

} // namespace boxoffice::test
