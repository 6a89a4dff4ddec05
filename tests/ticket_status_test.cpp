// Tickets with a status, on both backends (see tests/db_fixture.h): the
// database itself keeps a seat to one live ticket, a cancelled order keeps
// its tickets, and migration 3 gives the orders cancelled before it their
// tickets back from their holds.
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
constexpr auto setup = test::stalls_on_sale;
constexpr auto hold = test::stalls_hold;
constexpr auto purchase = test::stalls_purchase;

long long count(soci::session& sql, const std::string& query) {
  return query_number(sql, query).value_or(-1);
}

// Runs `statement`; "ok", or how the database refused it.
std::string outcome_of(soci::session& sql, const std::string& statement) {
  try {
    execute_sql(sql, statement);
    return "ok";
  } catch (const std::exception& e) {
    BOOST_TEST_MESSAGE("refused: " << e.what());
    return classify_failure(e) == store_error::kind::conflict ? "conflict" : "other";
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(ticket_status)

BOOST_DATA_TEST_CASE(a_seat_has_at_most_one_live_ticket, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(setup());
  auto first = hold(1, {5, 6});
  store.apply({first, purchase(first, 1)});
  auto sql = open_session(db.url());
  // Straight into the table, past every rule of the actors and the store.
  auto second_ticket = [](const char* status) {
    return std::string{"insert into tickets (event_id, section_id, order_id, number, seat, status)"
                       " values (42, 1, 1, 9, 5, '"}
           + status + "')";
  };
  BOOST_TEST(outcome_of(*sql, second_ticket("live")) == "conflict");
  BOOST_TEST(outcome_of(*sql, second_ticket("sold")) == "other");  // not a ticket status

  // Cancelled, the order keeps its tickets, and the seats sell again.
  store.apply({order_cancelled{ev, 1, 1, t0 + 2000}});
  auto again = hold(2, {5});
  store.apply({again, purchase(again, 2)});
  BOOST_TEST(count(*sql, "select count(*) from tickets where seat = 5") == 2);
  BOOST_TEST(count(*sql, "select order_id from tickets where seat = 5 and status = 'live'") == 2);
  BOOST_TEST(count(*sql, "select count(*) from tickets where order_id = 1"
                         " and status = 'cancelled'") == 2);
  // And still only once live.
  BOOST_TEST(outcome_of(*sql, second_ticket("live")) == "conflict");
  BOOST_TEST(outcome_of(*sql, second_ticket("cancelled")) == "ok");
}

// A database of version 2, where cancelling deleted the tickets: the
// migration rebuilds them from each order's hold, in seat order, cancelled.
BOOST_DATA_TEST_CASE(migration_3_gives_cancelled_orders_their_seats_back, data::make(backends),
                     name) {
  scratch_database db{name};
  if (!db.available())
    return;
  auto sql = open_session(db.url());
  migrate(*sql, db.kind(), 2);
  for (const char* statement : {
         "insert into events (id, title, description, venue, starts_at,"
         " max_tickets_per_customer, status) values (42, 'Concert', '', 'Arena', 0, 6, 'on_sale')",
         "insert into sections (event_id, id, name, kind, row_count, seats_per_row, capacity,"
         " price_cents) values (42, 1, 'Stalls', 'reserved', 10, 20, 200, 4500),"
         " (42, 2, 'Standing', 'general', 0, 0, 500, 3000)",
         "insert into holds (event_id, section_id, id, customer_id, seats, quantity, created_at,"
         " expires_at, status, ended_at) values (42, 1, 1, 7, '12,3,4', 3, 0, 1, 'purchased', 1),"
         " (42, 1, 2, 8, '7', 1, 0, 1, 'purchased', 1), (42, 2, 1, 7, '', 2, 0, 1, 'purchased', 1)",
         "insert into orders (event_id, section_id, id, customer_id, hold_id, quantity, total_cents,"
         " created_at, status, cancelled_at) values (42, 1, 1, 7, 1, 3, 13500, 1, 'cancelled', 2),"
         " (42, 1, 2, 8, 2, 1, 4500, 1, 'sold', null), (42, 2, 1, 7, 1, 2, 6000, 1, 'cancelled', 2)",
         "insert into tickets (event_id, section_id, order_id, number, seat)"
         " values (42, 1, 2, 0, 7)"})
    execute_sql(*sql, statement);

  auto report = migrate(*sql, db.kind());
  BOOST_TEST(report.from_version == 2);
  BOOST_TEST(report.to_version == schema_version());
  auto seat = [&](int number) {
    return count(*sql, "select seat from tickets where section_id = 1 and order_id = 1"
                       " and status = 'cancelled' and number = " + std::to_string(number));
  };
  BOOST_TEST(seat(0) == 12);
  BOOST_TEST(seat(1) == 3);
  BOOST_TEST(seat(2) == 4);
  BOOST_TEST(count(*sql, "select count(*) from tickets where section_id = 2 and order_id = 1"
                         " and status = 'cancelled' and seat is null") == 2);
  BOOST_TEST(count(*sql, "select count(*) from tickets where status = 'live'") == 1);
  BOOST_TEST(count(*sql, "select count(*) from tickets") == 6);

  // The cancelled seats sell again; the sold one does not.
  boxoffice::sql_store store{db.url()};
  auto again = hold(3, {3, 12});
  store.apply({again, purchase(again, 3)});
  auto taken = hold(4, {7});
  store.apply({taken});
  try {
    store.apply({purchase(taken, 4)});
    BOOST_FAIL("seat 7 was sold twice");
  } catch (const store_error& e) {
    BOOST_TEST((e.why == store_error::kind::conflict));
  }
}

BOOST_AUTO_TEST_SUITE_END()
