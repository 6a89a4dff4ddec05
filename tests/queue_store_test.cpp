// The waiting room's entries in the database, on both backends (see
// tests/db_fixture.h): migration 6 lets away and abandoned be stored as
// themselves, keeps the rows written before it, and the store loads every
// state back as it was written.
#include "persistence/database.h"
#include "persistence/migrations.h"
#include "persistence/sql_store.h"
#include "tests/change_fixture.h"
#include "tests/db_fixture.h"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <soci/soci.h>

#include <string>

namespace {

using namespace boxoffice;
using test::backends;
using test::scratch_database;
namespace data = boost::unit_test::data;

constexpr timestamp_ms t0 = test::sale_t0;
constexpr event_id ev = test::sale_event;

std::string insert_entry(int id, const char* state, long long ended_at) {
  return "insert into queue_entries (event_id, id, customer_id, secret, joined_at, state,"
         " line_rank, admitted_at, pass_expires_at, ended_at) values (42, "
         + std::to_string(id) + ", " + std::to_string(100 + id) + ", 'ab', 1, '" + state + "', "
         + std::to_string(id) + ", 0, 0, " + std::to_string(ended_at) + ")";
}

bool refused(soci::session& sql, const std::string& statement) {
  try {
    execute_sql(sql, statement);
    return false;
  } catch (const std::exception& e) {
    BOOST_TEST_MESSAGE("refused: " << e.what());
    return true;
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(queue_store)

// A database of version 5 with entries in it: before the migration the
// schema refuses away; after it the old rows load as they were, and away
// and abandoned are stored, but still nothing else.
BOOST_DATA_TEST_CASE(migration_6_stores_away_and_abandoned_and_keeps_old_rows,
                     data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  auto sql = open_session(db.url());
  migrate(*sql, db.kind(), 5);
  execute_sql(*sql, "insert into events (id, title, description, venue, starts_at,"
                    " max_tickets_per_customer, status) values (42, 'Concert', '', 'Arena', 0,"
                    " 6, 'on_sale')");
  execute_sql(*sql, insert_entry(1, "waiting", 0));
  execute_sql(*sql, insert_entry(2, "left", 7));
  BOOST_TEST(refused(*sql, insert_entry(3, "away", 5)));

  auto report = migrate(*sql, db.kind());
  BOOST_TEST(report.from_version == 5);
  BOOST_TEST(report.to_version == schema_version());
  execute_sql(*sql, insert_entry(3, "away", 5));
  execute_sql(*sql, insert_entry(4, "abandoned", 9));
  BOOST_TEST(refused(*sql, insert_entry(5, "gone", 0)));
  // The index by customer came back with the rebuilt table (SQLite).
  BOOST_TEST(refused(*sql, "create index queue_entries_by_customer on queue_entries (id)"));

  boxoffice::sql_store store{db.url()};
  auto snap = store.load_event(42);
  BOOST_REQUIRE(snap);
  const auto& got = snap->queue_entries;
  BOOST_REQUIRE_EQUAL(got.size(), 4u);
  BOOST_TEST((got[0].state == entry_state::waiting));
  BOOST_TEST((got[1].state == entry_state::left));
  BOOST_TEST(got[1].ended_at == 7);
  BOOST_TEST((got[2].state == entry_state::away));
  BOOST_TEST(got[2].ended_at == 5);  // the skip
  BOOST_TEST((got[3].state == entry_state::abandoned));
  BOOST_TEST(got[3].customer == 104u);
}

// What the journal writes for an entry that is skipped, then abandoned, is
// what the store loads: each state as itself.
BOOST_DATA_TEST_CASE(away_then_abandoned_entries_load_as_written, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(test::stalls_on_sale());
  queue_settings q;
  q.mode = queue_mode::queue;
  queue_entry away{1, 11, "00ff", t0, entry_state::away, 1, 0, 0, t0 + 60'000};
  queue_entry waiting{2, 12, "ee01", t0 + 5, entry_state::waiting, 2, 0, 0, 0};
  store.apply({queue_saved{ev, q}, queue_entry_saved{ev, away}, queue_entry_saved{ev, waiting}});
  auto first = store.load_event(ev);
  BOOST_REQUIRE(first);
  BOOST_REQUIRE_EQUAL(first->queue_entries.size(), 2u);
  BOOST_TEST((first->queue_entries[0].state == entry_state::away));
  BOOST_TEST(first->queue_entries[0].ended_at == t0 + 60'000);
  BOOST_TEST(first->queue_entries[0].rank == 1u);
  away.state = entry_state::abandoned;
  away.ended_at = t0 + 400'000;
  store.apply({queue_entry_saved{ev, away}});
  auto second = store.load_event(ev);
  BOOST_REQUIRE(second);
  BOOST_TEST((second->queue_entries[0].state == entry_state::abandoned));
  BOOST_TEST(second->queue_entries[0].ended_at == t0 + 400'000);
  BOOST_TEST((second->queue_entries[1].state == entry_state::waiting));
}

BOOST_AUTO_TEST_SUITE_END()
