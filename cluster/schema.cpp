#include "cluster/schema.h"

#include "persistence/database.h"

#include <soci/soci.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace boxoffice::cluster {

namespace {

// Another fixed number than the domain schema's lock, so that the two
// migrations never wait on each other.
constexpr const char* migration_lock = "select pg_advisory_xact_lock(7957695015157073514)";

// Every membership change bumps the one version row, under its row lock, so
// all views of the membership are totally ordered (Orleans' version table).
// A node id has at most one live incarnation (the partial unique index);
// leases are timestamps of the database clock, never of a node's.
// event_owners.epoch only grows: each take bumps it, and the journal's
// commit checks it under a row lock (cluster/fence.h). ownership_log keeps
// every (event, epoch) ever taken, written in the taking transaction, so an
// audit can tell which node held an epoch and since when.
std::vector<std::string> schema_v1() {
  return {
    "create table cluster_version ("
    " id smallint primary key check (id = 1),"
    " version bigint not null check (version >= 0))",
    "insert into cluster_version (id, version) values (1, 0)",
    "create table cluster_members ("
    " node_id text not null,"
    " incarnation bigint not null check (incarnation > 0),"
    " http_address text not null,"
    " node_address text not null,"
    " state text not null check (state in ('joining', 'active', 'leaving', 'dead')),"
    " ended_by text check (ended_by in ('left', 'lease_expired', 'replaced')),"
    " joined_at timestamptz not null default now(),"
    " lease_expires_at timestamptz not null,"
    " changed_in_version bigint not null,"
    " primary key (node_id, incarnation),"
    " check ((state = 'dead') = (ended_by is not null)))",
    "create unique index cluster_members_one_live_incarnation"
    " on cluster_members (node_id) where state <> 'dead'",
    "create table event_owners ("
    " event_id bigint primary key,"
    " owner_node text not null,"
    " owner_incarnation bigint not null,"
    " epoch bigint not null check (epoch > 0),"
    " acquired_at timestamptz not null default now(),"
    " foreign key (owner_node, owner_incarnation)"
    "  references cluster_members (node_id, incarnation))",
    "create index event_owners_by_owner on event_owners (owner_node, owner_incarnation)",
    "create table ownership_log ("
    " event_id bigint not null,"
    " epoch bigint not null,"
    " owner_node text not null,"
    " owner_incarnation bigint not null,"
    " acquired_at timestamptz not null default now(),"
    " primary key (event_id, epoch))",
  };
}

const std::vector<std::vector<std::string>>& cluster_migrations() {
  static const std::vector<std::vector<std::string>> all = {schema_v1()};
  return all;
}

} // namespace

int cluster_schema_version() {
  return static_cast<int>(cluster_migrations().size());
}

void migrate_cluster_schema(soci::session& sql) {
  for (;;) {
    sql_transaction tx(sql, backend::postgresql);
    execute_sql(sql, migration_lock);
    execute_sql(sql, "create table if not exists cluster_schema_migrations ("
                     " version bigint primary key, applied_at timestamptz not null)");
    const int current = static_cast<int>(
      query_number(sql, "select max(version) from cluster_schema_migrations").value_or(0));
    if (current > cluster_schema_version())
      throw std::runtime_error("cluster schema is at version " + std::to_string(current)
                               + ", newer than this binary's "
                               + std::to_string(cluster_schema_version())
                               + "; run a newer boxoffice");
    if (current == cluster_schema_version()) {
      tx.commit();
      return;
    }
    for (const auto& statement : cluster_migrations().at(static_cast<std::size_t>(current)))
      execute_sql(sql, statement);
    execute_sql(sql, "insert into cluster_schema_migrations (version, applied_at) values ("
                       + std::to_string(current + 1) + ", now())");
    tx.commit();
  }
}

} // namespace boxoffice::cluster
