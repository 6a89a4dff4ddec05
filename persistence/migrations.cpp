#include "persistence/migrations.h"

#include "actors/wall_clock.h"

#include <soci/soci.h>

#include <chrono>
#include <string>
#include <utility>

namespace boxoffice {

namespace {

// Where both dialects agree the text is written once.
dialect_sql both(const char* text) {
  return {text, text};
}

// A statement PostgreSQL does not need (see apply_one).
dialect_sql sqlite_only(std::string text) {
  return {std::move(text), ""};
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

// The columns the search index reads, in the order of events_fts.
constexpr const char* fts_columns = "title, description, venue";

// Accounts, refresh tokens and idempotency records (persistence/
// account_store.h), a customer's orders by customer, and event search
// (persistence/query_store.h).
// SQLite: an FTS5 index with events as its external content, kept in step by
// triggers (sql_store writes events with an upsert, whose update path fires
// the update trigger) and filled from the events already stored.
// PostgreSQL: a generated, weighted tsvector (computed for existing rows as
// the column is added) under a GIN index.
// An account id is the rowid (SQLite: max(id) + 1) or an identity (PostgreSQL).
std::vector<dialect_sql> schema_v2() {
  auto fts_values = [](const std::string& row) {
    return row + ".id, " + row + ".title, " + row + ".description, " + row + ".venue";
  };
  // An external-content index forgets a row only when told its old values.
  auto fts_insert = "insert into events_fts (rowid, " + std::string(fts_columns) + ") values ("
                    + fts_values("new") + ");";
  auto fts_delete = "insert into events_fts (events_fts, rowid, " + std::string(fts_columns)
                    + ") values ('delete', " + fts_values("old") + ");";
  return {
    {"create table accounts ("
     " id integer primary key check (id > 0),"
     " email text not null unique,"
     " role text not null check (role in ('customer', 'admin')),"
     " password_hash text not null,"
     " created_at bigint not null)",
     "create table accounts ("
     " id bigint generated always as identity primary key check (id > 0),"
     " email text not null unique,"
     " role text not null check (role in ('customer', 'admin')),"
     " password_hash text not null,"
     " created_at bigint not null)"},
    // used_at, revoked_at: NULL while the token is live.
    both("create table refresh_tokens ("
         " token_hash text primary key,"
         " account_id bigint not null references accounts (id),"
         " family text not null,"
         " issued_at bigint not null,"
         " expires_at bigint not null,"
         " used_at bigint,"
         " revoked_at bigint)"),
    both("create index refresh_tokens_by_family on refresh_tokens (family)"),
    both("create index refresh_tokens_by_account on refresh_tokens (account_id)"),
    // scope: the caller's account id, 0 for unauthenticated calls (no
    // reference: there is no account 0).
    both("create table idempotency_keys ("
         " scope bigint not null,"
         " key text not null,"
         " fingerprint text not null,"
         " status bigint not null,"
         " content_type text not null,"
         " location text not null,"
         " body text not null,"
         " created_at bigint not null,"
         " primary key (scope, key))"),
    both("create index idempotency_keys_by_created_at on idempotency_keys (created_at)"),
    both("create index orders_by_customer on orders (customer_id, created_at)"),
    {"create virtual table events_fts using fts5(" + std::string(fts_columns)
       + ", content='events', content_rowid='id')",
     "alter table events add column search_vector tsvector generated always as ("
     " setweight(to_tsvector('simple', title), 'A')"
     " || setweight(to_tsvector('simple', description), 'B')"
     " || setweight(to_tsvector('simple', venue), 'C')) stored"},
    {"insert into events_fts (events_fts) values ('rebuild')",
     "create index events_search on events using gin (search_vector)"},
    sqlite_only("create trigger events_fts_insert after insert on events begin " + fts_insert
                + " end"),
    sqlite_only("create trigger events_fts_update after update of " + std::string(fts_columns)
                + " on events when old.title is not new.title"
                  " or old.description is not new.description or old.venue is not new.venue"
                  " begin "
                + fts_delete + " " + fts_insert + " end"),
    sqlite_only("create trigger events_fts_delete after delete on events begin " + fts_delete
                + " end"),
  };
}

// Tickets of a cancelled order stay, marked 'cancelled', so the order keeps
// its seats (refunds and support read them); the one-ticket-per-seat index
// covers live tickets only, so a cancelled seat can be sold again. Orders
// cancelled before this version lost their tickets: they come back from the
// order's hold, whose seats are the order's, in the same order.
std::vector<dialect_sql> schema_v3() {
  // Orders with their holds, and of those the cancelled ones without tickets.
  const std::string from =
    " from orders o join holds h on h.event_id = o.event_id and h.section_id = o.section_id"
    " and h.id = o.hold_id";
  const std::string lost =
    " where o.status = 'cancelled' and not exists (select 1 from tickets t"
    " where t.event_id = o.event_id and t.section_id = o.section_id and t.order_id = o.id)";
  const std::string into =
    "insert into tickets (event_id, section_id, order_id, number, seat, status) ";
  return {
    both("alter table tickets add column status text not null default 'live'"
         " check (status in ('live', 'cancelled'))"),
    both("drop index tickets_one_per_seat"),
    both("create unique index tickets_one_live_per_seat on tickets (event_id, section_id, seat)"
         " where seat is not null and status = 'live'"),
    // Reserved: one ticket per seat of holds.seats ("3,4,5"), in its order.
    {into + "with recursive split (event_id, section_id, order_id, number, seat, rest) as ("
       " select o.event_id, o.section_id, o.id, -1, null, h.seats || ','" + from + lost
       + " and h.seats <> '' union all select event_id, section_id, order_id, number + 1,"
         " cast(substr(rest, 1, instr(rest, ',') - 1) as integer),"
         " substr(rest, instr(rest, ',') + 1) from split where rest <> '')"
         " select event_id, section_id, order_id, number, seat, 'cancelled' from split"
         " where number >= 0",
     into + "select o.event_id, o.section_id, o.id, s.n - 1, s.seat::bigint, 'cancelled'" + from
       + " cross join lateral unnest(string_to_array(h.seats, ',')) with ordinality as s (seat, n)"
       + lost + " and h.seats <> ''"},
    // General admission: one seatless ticket per place.
    {into + "with recursive units (event_id, section_id, order_id, number, quantity) as ("
       " select o.event_id, o.section_id, o.id, 0, o.quantity" + from + lost
       + " and h.seats = '' union all select event_id, section_id, order_id, number + 1, quantity"
         " from units where number + 1 < quantity)"
         " select event_id, section_id, order_id, number, null, 'cancelled' from units",
     into + "select o.event_id, o.section_id, o.id, g.n, null, 'cancelled'" + from
       + " cross join generate_series(0, o.quantity - 1) as g (n)" + lost + " and h.seats = ''"},
  };
}

// The answer of a keyed write as the actors gave it (answer_saved), written
// by the journal with the change; '' for answers stored as sent.
std::vector<dialect_sql> schema_v4() {
  return {both("alter table idempotency_keys add column answer text not null default ''")};
}

// --- Migration 5: the waiting room (issue 15) ---------------------------------
// One settings row per event that ever had a room, and every entry it kept
// (an entry's row is rewritten as it moves: joined, drawn, admitted, ended).
// seed: hex, secret until drawn; seed_hash is published from the first save.
std::vector<dialect_sql> schema_v5() {
  return {
    both("create table queue_settings ("
         " event_id bigint primary key references events (id),"
         " mode text not null check (mode in ('off', 'queue', 'safety_net')),"
         " prequeue_at bigint not null,"
         " opens_at bigint not null,"
         " rate_per_s bigint not null check (rate_per_s > 0),"
         " active_max bigint not null check (active_max > 0),"
         " pass_ttl_s bigint not null check (pass_ttl_s > 0),"
         " queue_length_max bigint not null check (queue_length_max > 0),"
         " paused bigint not null,"
         " seed text not null,"
         " seed_hash text not null,"
         " drawn bigint not null)"),
    both("create table queue_entries ("
         " event_id bigint not null references events (id),"
         " id bigint not null,"
         " customer_id bigint not null,"
         " secret text not null,"
         " joined_at bigint not null,"
         " state text not null check (state in ('pre_queue', 'waiting', 'admitted', 'used',"
         "  'left', 'expired', 'closed')),"
         " line_rank bigint not null,"
         " admitted_at bigint not null,"
         " pass_expires_at bigint not null,"
         " ended_at bigint not null,"
         " primary key (event_id, id))"),
    both("create index queue_entries_by_customer on queue_entries (event_id, customer_id)"),
  };
}
// --- end of migration 5 -------------------------------------------------------

// --- Migration 6: away and abandoned entries stored as themselves --------------
// Before, an away entry was stored as waiting and an abandoned one as left,
// so a restart forgot the skip. Rows written before keep their states.
// ended_at of an away entry is when it was skipped: its grace runs from then.
// SQLite cannot change a check constraint: the table is rebuilt, rows copied.
constexpr const char* entry_states_v6 =
  "'pre_queue', 'waiting', 'admitted', 'used', 'left', 'expired', 'closed', 'away', 'abandoned'";

std::vector<dialect_sql> schema_v6() {
  const std::string columns =
    "event_id, id, customer_id, secret, joined_at, state, line_rank, admitted_at,"
    " pass_expires_at, ended_at";
  return {
    sqlite_only("create table queue_entries_v6 ("
                " event_id bigint not null references events (id),"
                " id bigint not null,"
                " customer_id bigint not null,"
                " secret text not null,"
                " joined_at bigint not null,"
                " state text not null check (state in (" + std::string(entry_states_v6) + ")),"
                " line_rank bigint not null,"
                " admitted_at bigint not null,"
                " pass_expires_at bigint not null,"
                " ended_at bigint not null,"
                " primary key (event_id, id))"),
    sqlite_only("insert into queue_entries_v6 (" + columns + ") select " + columns
                + " from queue_entries"),
    sqlite_only("drop table queue_entries"),
    sqlite_only("alter table queue_entries_v6 rename to queue_entries"),
    sqlite_only("create index queue_entries_by_customer on queue_entries (event_id, customer_id)"),
    // PostgreSQL names a column's check <table>_<column>_check.
    {"", "alter table queue_entries drop constraint queue_entries_state_check,"
         " add constraint queue_entries_state_check check (state in ("
           + std::string(entry_states_v6) + "))"},
  };
}
// --- end of migration 6 -------------------------------------------------------

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

void apply_one(soci::session& sql, backend kind, const migration& m) {
  for (const auto& statement : m.statements) {
    const auto& text = kind == backend::postgresql ? statement.postgresql : statement.sqlite;
    if (!text.empty())  // empty: nothing to do on this backend
      execute_sql(sql, text);
  }
  execute_sql(sql, "insert into schema_migrations (version, applied_at) values ("
                     + std::to_string(m.version) + ", " + std::to_string(system_clock_ms()) + ")");
}

} // namespace

const std::vector<migration>& migrations() {
  static const std::vector<migration> all = {
    {1, "events, sections, holds, orders, tickets", schema_v1()},
    {2, "accounts, refresh tokens, idempotency keys, event search", schema_v2()},
    {3, "cancelled tickets kept, one live ticket per seat", schema_v3()},
    {4, "idempotency answers committed with their change", schema_v4()},
    {5, "waiting room: queue settings and entries", schema_v5()},
    {6, "waiting room: away and abandoned entries stored as such", schema_v6()},
  };
  return all;
}

int schema_version() {
  return migrations().back().version;
}

int database_version(soci::session& sql, backend kind) {
  return has_migrations_table(sql, kind) ? recorded_version(sql) : 0;
}

migration_report migrate(soci::session& sql, backend kind, int version) {
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
    if (current >= version) {
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
