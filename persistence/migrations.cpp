#include "persistence/migrations.h"

#include <soci/soci.h>

#include <chrono>

namespace boxoffice {

namespace {

// Where both dialects agree the text is written once.
dialect_sql both(const char* text) {
  return {text, text};
}

// Ids, counts and seat indices are bigint: the domain's uint32/uint64 values
// do not fit PostgreSQL's 32-bit integer. Times are ms since the Unix epoch.
std::vector<dialect_sql> schema_v1() {
  return {
    both("create table events ("
         " id bigint primary key,"
         " title text not null,"
         " description text not null,"
         " venue text not null,"
         " starts_at bigint not null,"
         " max_tickets_per_customer bigint not null check (max_tickets_per_customer >= 0),"
         " status text not null check (status in ('draft', 'on_sale', 'closed')))"),
    both("create table sections ("
         " event_id bigint not null references events (id),"
         " id bigint not null,"
         " name text not null,"
         " kind text not null check (kind in ('reserved', 'general')),"
         " row_count bigint not null check (row_count >= 0),"
         " seats_per_row bigint not null check (seats_per_row >= 0),"
         " capacity bigint not null check (capacity >= 0),"
         " price_cents bigint not null,"
         " primary key (event_id, id))"),
    // seats: comma-separated seat indices, '' for general admission.
    both("create table holds ("
         " event_id bigint not null,"
         " section_id bigint not null,"
         " id bigint not null,"
         " customer_id bigint not null,"
         " seats text not null,"
         " quantity bigint not null check (quantity > 0),"
         " created_at bigint not null,"
         " expires_at bigint not null,"
         " status text not null check (status in ('live', 'released', 'expired', 'purchased')),"
         " ended_at bigint,"
         " primary key (event_id, section_id, id),"
         " foreign key (event_id, section_id) references sections (event_id, id))"),
    both("create index holds_by_event_status on holds (event_id, status)"),
    both("create table orders ("
         " event_id bigint not null,"
         " section_id bigint not null,"
         " id bigint not null,"
         " customer_id bigint not null,"
         " hold_id bigint not null,"
         " quantity bigint not null check (quantity > 0),"
         " total_cents bigint not null,"
         " created_at bigint not null,"
         " status text not null check (status in ('sold', 'cancelled')),"
         " cancelled_at bigint,"
         " primary key (event_id, section_id, id),"
         " foreign key (event_id, section_id, hold_id)"
         "  references holds (event_id, section_id, id))"),
    both("create index orders_by_event_status on orders (event_id, status)"),
    // number: 0..quantity-1; seat: NULL in general admission.
    both("create table tickets ("
         " event_id bigint not null,"
         " section_id bigint not null,"
         " order_id bigint not null,"
         " number bigint not null check (number >= 0),"
         " seat bigint check (seat >= 0),"
         " primary key (event_id, section_id, order_id, number),"
         " foreign key (event_id, section_id, order_id)"
         "  references orders (event_id, section_id, id))"),
    // The last line of defence: a seat is sold at most once, whatever any
    // node believes.
    both("create unique index tickets_one_per_seat on tickets (event_id, section_id, seat)"
         " where seat is not null"),
  };
}

// Any fixed number will do; every boxoffice process migrates under it.
constexpr const char* pg_migration_lock = "select pg_advisory_xact_lock(7957695015157073513)";

bool has_migrations_table(soci::session& sql, backend kind) {
  auto found = query_number(
    sql, kind == backend::postgresql
           ? "select count(*) from pg_catalog.pg_tables"
             " where schemaname = current_schema() and tablename = 'schema_migrations'"
           : "select count(*) from sqlite_master"
             " where type = 'table' and name = 'schema_migrations'");
  return found.value_or(0) > 0;
}

int recorded_version(soci::session& sql) {
  auto newest = query_number(sql, "select max(version) from schema_migrations");
  return static_cast<int>(newest.value_or(0));
}

long long now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

void apply_one(soci::session& sql, backend kind, const migration& m) {
  for (const auto& statement : m.statements)
    execute_sql(sql, kind == backend::postgresql ? statement.postgresql : statement.sqlite);
  execute_sql(sql, "insert into schema_migrations (version, applied_at) values ("
                     + std::to_string(m.version) + ", " + std::to_string(now_ms()) + ")");
}

} // namespace

const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
    {1, "events, sections, holds, orders, tickets", schema_v1()},
  };
  return all;
}

int schema_version() {
  return migrations().back().version;
}

int database_version(soci::session& sql, backend kind) {
  return has_migrations_table(sql, kind) ? recorded_version(sql) : 0;
}

migration_report migrate(soci::session& sql, backend kind) {
  migration_report report;
  for (bool first = true;; first = false) {
    sql_transaction tx(sql, kind);
    if (kind == backend::postgresql)
      execute_sql(sql, pg_migration_lock);
    execute_sql(sql, "create table if not exists schema_migrations ("
                     " version bigint primary key, applied_at bigint not null)");
    int current = recorded_version(sql);
    if (first)
      report.from_version = current;
    report.to_version = current;
    if (current > schema_version())
      throw migration_error("database schema is at version " + std::to_string(current)
                            + ", newer than this binary's " + std::to_string(schema_version())
                            + "; run a newer boxoffice");
    if (current == schema_version()) {
      tx.commit();
      return report;
    }
    const auto& next = migrations().at(static_cast<std::size_t>(current));
    apply_one(sql, kind, next);
    tx.commit();
    report.applied.push_back(next.version);
  }
}

} // namespace boxoffice
