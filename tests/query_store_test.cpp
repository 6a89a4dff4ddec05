// Tests for query_store on both backends (see tests/db_fixture.h): event
// search (ranking, whole words, pagination, drafts, hostile text, renamed
// events, events stored before the search index existed) and a customer's
// orders. Events and orders are written through sql_store::apply, as the
// journal writes them.
#include "persistence/query_store.h"

#include "persistence/migrations.h"
#include "persistence/sql_store.h"
#include "tests/db_fixture.h"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <soci/soci.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace boxoffice;
using test::backends;
using test::scratch_database;
using test::seat_list;
namespace data = boost::unit_test::data;

constexpr timestamp_ms t0 = 1'700'000'000'000;
constexpr timestamp_ms day_ms = 86'400'000;

event_info show(event_id id, std::string title, std::string description, std::string venue,
                timestamp_ms starts_at, sale_status status = sale_status::on_sale) {
  return {id, std::move(title), std::move(description), std::move(venue), starts_at, 4, status,
          {}};
}

// Four events; "jazz" is in the title of 1, the description of 2 and the
// venue of 3, and the title match starts last.
std::vector<change> jazz_events() {
  return {event_saved{show(1, "Jazz Night", "An evening of music", "Blue Hall", t0 + 3 * day_ms)},
          event_saved{show(2, "Park Concert", "Jazz in the park", "Green Park", t0 + day_ms)},
          event_saved{show(3, "Blues Evening", "Guitars", "Jazz Club", t0 + 2 * day_ms)},
          event_saved{show(4, "Rock and Roll", "Loud guitars", "Arena", t0)}};
}

event_page find(boxoffice::query_store& q, const std::string& text, bool include_drafts = false,
                uint32_t page = 1, uint32_t page_size = 10) {
  return q.search_events({text, include_drafts, page, page_size});
}

// "total: id,id,..." of a page.
std::string ids(const event_page& p) {
  std::string out = std::to_string(p.total) + ":";
  for (std::size_t i = 0; i < p.events.size(); ++i)
    out += (i ? "," : "") + std::to_string(p.events[i].id);
  return out;
}

// An order as one line, so that a failed comparison shows both sides.
std::string describe(const stored_order& o) {
  std::ostringstream out;
  out << o.event << "/" << o.section << "/" << o.order.id << " c" << o.order.customer << " h"
      << o.order.from_hold << " [" << seat_list(o.order.seats) << "]q" << o.order.quantity << "@"
      << o.order.created_at - t0 << " $" << o.total_cents << " " << to_string(o.layout.kind)
      << " " << o.layout.rows << "x" << o.layout.seats_per_row << "/" << o.layout.capacity;
  if (o.cancelled)
    out << " cancelled@" << o.cancelled_at - t0;
  return out.str();
}

std::vector<std::string> describe(const std::vector<stored_order>& orders) {
  std::vector<std::string> out;
  for (const auto& o : orders)
    out.push_back(describe(o));
  return out;
}

// One hold of `seats` (or of `quantity` in general admission) bought at once.
std::vector<change> sale(event_id e, section_id s, uint64_t id, customer_id who,
                         std::vector<uint32_t> seats, uint32_t quantity, timestamp_ms at) {
  hold_record h{id, who, seats, quantity, at - 500, at + 600'000};
  order_record o{id, who, id, std::move(seats), quantity, at};
  return {hold_placed{e, s, h}, order_placed{e, s, o, 4500 * quantity}};
}

} // namespace

BOOST_AUTO_TEST_SUITE(query_store)

BOOST_DATA_TEST_CASE(a_title_match_ranks_above_description_and_venue, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(jazz_events());
  boxoffice::query_store q{db.url()};
  auto jazz = find(q, "jazz");
  BOOST_TEST_REQUIRE(jazz.events.size() == 3u);
  BOOST_TEST(jazz.total == 3u);
  BOOST_TEST(jazz.events[0].title == "Jazz Night");
  BOOST_TEST(jazz.events[0].description == "An evening of music");
  BOOST_TEST(jazz.events[0].venue == "Blue Hall");
  BOOST_TEST(jazz.events[0].starts_at == t0 + 3 * day_ms);
  BOOST_TEST(jazz.events[0].max_tickets_per_customer == 4u);
  BOOST_TEST((jazz.events[0].status == sale_status::on_sale));
  BOOST_TEST(jazz.events[0].sections.empty());
  auto rest = std::vector<event_id>{jazz.events[1].id, jazz.events[2].id};
  std::sort(rest.begin(), rest.end());
  BOOST_TEST(rest == (std::vector<event_id>{2, 3}));
  // Every word must match, in any case, as a whole word.
  BOOST_TEST(ids(find(q, "NIGHT jazz")) == "1:1");
  BOOST_TEST(ids(find(q, "jaz")) == "0:");
  BOOST_TEST(ids(find(q, "jazz rock")) == "0:");
  BOOST_TEST(ids(find(q, "rock and roll")) == "1:4");
  BOOST_TEST(find(q, "guitars").total == 2u);
}

BOOST_DATA_TEST_CASE(equal_matches_page_by_start_then_id, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  std::vector<change> batch;
  std::vector<std::pair<timestamp_ms, event_id>> order;
  for (event_id id = 1; id <= 25; ++id) {
    auto starts_at = t0 + static_cast<timestamp_ms>((id * 7) % 5) * 1000;
    batch.push_back(event_saved{show(id, "Summer Show", "Outdoors", "Park", starts_at)});
    order.emplace_back(starts_at, id);
  }
  batch.push_back(event_saved{show(26, "Winter Ball", "Indoors", "Hall", t0 - 1)});
  store.apply(batch);
  std::sort(order.begin(), order.end());
  auto expected = [&](std::size_t from, std::size_t to) {
    std::string out = "25:";
    for (auto i = from; i < to; ++i)
      out += (i > from ? "," : "") + std::to_string(order[i].second);
    return out;
  };
  boxoffice::query_store q{db.url()};
  BOOST_TEST(ids(find(q, "summer", false, 1)) == expected(0, 10));
  BOOST_TEST(ids(find(q, "summer", false, 0)) == expected(0, 10));  // page 0 is page 1
  BOOST_TEST(ids(find(q, "summer", false, 3)) == expected(20, 25));
  BOOST_TEST(ids(find(q, "summer show", false, 2, 7)) == expected(7, 14));
  BOOST_TEST(ids(find(q, "summer", false, 4)) == "25:");
  BOOST_TEST(ids(find(q, "summer", false, 1, 0)) == "25:");
  // No words: every event, by start.
  auto all = find(q, "", false, 1, 3);
  BOOST_TEST(all.total == 26u);
  BOOST_TEST_REQUIRE(all.events.size() == 3u);
  BOOST_TEST(all.events[0].id == 26u);
  BOOST_TEST(all.events[1].id == order[0].second);
  BOOST_TEST(all.events[2].id == order[1].second);
}

BOOST_DATA_TEST_CASE(drafts_are_found_only_when_asked_for, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(jazz_events());
  store.apply({event_saved{show(5, "Secret Jazz Gig", "", "", t0 + 4 * day_ms,
                                sale_status::draft)},
               event_saved{show(6, "Closed Jazz", "", "", t0 + 5 * day_ms, sale_status::closed)}});
  boxoffice::query_store q{db.url()};
  BOOST_TEST(ids(find(q, "secret")) == "0:");
  BOOST_TEST(ids(find(q, "secret", true)) == "1:5");
  BOOST_TEST(find(q, "jazz").total == 4u);
  BOOST_TEST(find(q, "jazz", true).total == 5u);
  BOOST_TEST(ids(find(q, "")) == "5:4,2,3,1,6");
  BOOST_TEST(ids(find(q, "", true)) == "6:4,2,3,1,5,6");
  // Published: found like any other.
  store.apply({event_saved{show(5, "Secret Jazz Gig", "", "", t0 + 4 * day_ms)}});
  BOOST_TEST(ids(find(q, "secret")) == "1:5");
}

// The text is bound, never spliced into SQL, and its words reach FTS5 only
// as quoted strings: its syntax characters are separators like any other.
BOOST_DATA_TEST_CASE(search_syntax_in_the_text_is_just_text, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(jazz_events());
  boxoffice::query_store q{db.url()};
  const std::vector<std::string> hostile{
    "\"", "\"\"", "jazz\"", "\"jazz", "jazz*", "*", "NEAR(jazz night, 2)", "jazz NEAR night",
    "-jazz", "title:jazz", "{title description}: jazz", "jazz AND", "OR", "NOT jazz", "(", ")",
    "^jazz", "jazz +", "'; drop table events; --", "\\", "%_", ":query", "$1", "a:b:c",
    "jazz OR rock", "\xff\xfe", "caf\xc3", std::string("jazz\0night", 11)};
  for (const auto& text : hostile) {
    BOOST_TEST_CONTEXT("text: " << text) {
      BOOST_CHECK_NO_THROW(find(q, text));
    }
  }
  BOOST_TEST(ids(find(q, "jazz*")).substr(0, 4) == "3:1,");
  BOOST_TEST(ids(find(q, "\"jazz\" -night")) == "1:1");
  BOOST_TEST(find(q, "\xffjazz\xc3").total == 3u);  // malformed UTF-8 separates words
  // A word the index does not see as one (a dash) is left out, alone or not.
  BOOST_TEST(ids(find(q, "jazz \xe2\x80\x94 night")) == "1:1");
  BOOST_TEST(ids(find(q, "\xe2\x80\x94")) == "0:");
  BOOST_TEST(ids(find(q, "NEAR(jazz night, 2)")) == "0:");  // "near" and "2" are words too
  BOOST_TEST(ids(find(q, "'; drop table events; --")) == "0:");
  BOOST_TEST(ids(find(q, "rock AND roll")) == "1:4");
  BOOST_TEST(ids(find(q, std::string("jazz\0night", 11))) == "1:1");
  // No words at all: every event.
  BOOST_TEST(ids(find(q, " !!! -- * \" ")) == "4:4,2,3,1");
  BOOST_TEST(find(q, "jazz").total == 3u);  // the table survived
}

BOOST_DATA_TEST_CASE(a_renamed_event_is_found_by_its_new_title_only, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(jazz_events());
  boxoffice::query_store q{db.url()};
  BOOST_TEST(ids(find(q, "night")) == "1:1");
  auto renamed = show(1, "Swing Party", "An evening of music", "Blue Hall", t0 + 3 * day_ms);
  store.apply({event_saved{renamed}});
  BOOST_TEST(ids(find(q, "night")) == "0:");
  BOOST_TEST(ids(find(q, "swing party")) == "1:1");
  BOOST_TEST(find(q, "jazz").total == 2u);
  // Two saves of one event in one batch: the last one counts.
  auto once = renamed, twice = renamed;
  once.title = "Tango Matinee";
  twice.title = "Salsa Matinee";
  store.apply({event_saved{once}, event_saved{twice}});
  BOOST_TEST(ids(find(q, "tango")) == "0:");
  BOOST_TEST(ids(find(q, "matinee")) == "1:1");
  BOOST_TEST(ids(find(q, "swing")) == "0:");
  // Words outside ASCII are words.
  auto accents = show(7, "Caf\xc3\xa9 M\xc3\xbcller", "", "", t0);
  store.apply({event_saved{accents}});
  BOOST_TEST(ids(find(q, "M\xc3\xbcller")) == "1:7");
  BOOST_TEST(ids(find(q, "caf\xc3\xa9")) == "1:7");
  // The external-content index agrees with the events table.
  if (db.kind() == backend::sqlite)
    execute_sql(*open_session(db.url()),
                "insert into events_fts (events_fts) values ('integrity-check')");
}

// Migration 2 indexes the events that version 1 stored.
BOOST_DATA_TEST_CASE(events_stored_before_the_index_are_found, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  {
    auto sql = open_session(db.url());
    execute_sql(*sql, "create table schema_migrations ("
                      " version bigint primary key, applied_at bigint not null)");
    const auto& v1 = migrations().at(0);
    BOOST_TEST_REQUIRE(v1.version == 1);
    for (const auto& statement : v1.statements)
      execute_sql(*sql, db.kind() == backend::postgresql ? statement.postgresql : statement.sqlite);
    execute_sql(*sql, "insert into schema_migrations values (1, 0)");
    execute_sql(*sql, "insert into events values (9, 'Opera Gala', 'Arias', 'Old House', 5, 2,"
                      " 'on_sale')");
  }
  boxoffice::query_store q{db.url()};
  BOOST_TEST(ids(find(q, "opera")) == "1:9");
  BOOST_TEST(ids(find(q, "arias house")) == "1:9");
  boxoffice::sql_store store{db.url()};
  store.apply({event_saved{show(9, "Ballet Gala", "Arias", "Old House", 5)}});
  BOOST_TEST(ids(find(q, "opera")) == "0:");
  BOOST_TEST(ids(find(q, "ballet")) == "1:9");
}

BOOST_DATA_TEST_CASE(a_customer_sees_their_orders_with_seats, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply({event_saved{show(42, "Concert", "", "", t0)},
               section_added{42, {1, "Stalls", reserved_layout(10, 20), 4500}},
               section_added{42, {2, "Standing", general_layout(500), 3000}},
               event_saved{show(43, "Recital", "", "", t0)},
               section_added{43, {1, "Balcony", reserved_layout(5, 5), 4500}}});
  for (auto batch : {sale(42, 1, 1, 7, {12, 10, 11}, 3, t0 + 1000),
                     sale(42, 1, 2, 8, {50}, 1, t0 + 1500),
                     sale(42, 2, 1, 7, {}, 3, t0 + 2000),
                     sale(43, 1, 1, 7, {3, 4}, 2, t0 + 3000)})
    store.apply(batch);
  store.apply({order_cancelled{43, 1, 1, t0 + 4000}});

  boxoffice::query_store q{db.url()};
  // Newest first; a cancelled order keeps its seats.
  std::vector<std::string> mine{"43/1/1 c7 h1 [3,4]q2@3000 $9000 reserved 5x5/25 cancelled@4000",
                                "42/2/1 c7 h1 []q3@2000 $13500 general 0x0/500",
                                "42/1/1 c7 h1 [12,10,11]q3@1000 $13500 reserved 10x20/200"};
  BOOST_TEST(describe(q.orders_of(7, 10, 0)) == mine, boost::test_tools::per_element());
  BOOST_TEST(describe(q.orders_of(7, 2, 1)) == (std::vector<std::string>{mine[1], mine[2]}),
             boost::test_tools::per_element());
  BOOST_TEST(q.orders_of(7, 0, 0).empty());
  BOOST_TEST(q.orders_of(7, 10, 3).empty());
  BOOST_TEST(q.order_count(7) == 3u);
  BOOST_TEST(q.order_count(8) == 1u);
  BOOST_TEST(q.order_count(9) == 0u);
  BOOST_TEST(describe(q.orders_of(8, 10, 0))
             == std::vector<std::string>{"42/1/2 c8 h2 [50]q1@1500 $4500 reserved 10x20/200"},
             boost::test_tools::per_element());

  auto found = q.find_order(7, 42, 1, 1);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(describe(*found) == mine[2]);
  BOOST_TEST(describe(q.find_order(7, 43, 1, 1).value()) == mine[0]);
  BOOST_TEST(!q.find_order(7, 42, 1, 2).has_value());  // customer 8's
  BOOST_TEST(q.find_order(8, 42, 1, 2).has_value());
  BOOST_TEST(!q.find_order(7, 42, 1, 3).has_value());
  BOOST_TEST(!q.find_order(7, 44, 1, 1).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
