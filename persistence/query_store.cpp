#include "persistence/query_store.h"

#include "persistence/connection.h"

#include <soci/soci.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <tuple>

namespace boxoffice {

namespace {

using row = std::vector<sql_value>;
constexpr auto bigint = sql_type::bigint;
constexpr auto text = sql_type::text;

// The length of the well-formed UTF-8 character of two or more bytes at
// `at`, or 0 (an ASCII byte, or not UTF-8: PostgreSQL would refuse it).
std::size_t utf8_length(const std::string& input, std::size_t at) {
  auto byte = [&](std::size_t i) {
    return i < input.size() ? static_cast<unsigned char>(input[i]) : 0u;
  };
  auto lead = byte(at);
  std::size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                       : lead >= 0xE0 && lead <= 0xEF ? 3
                       : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                      : 0;
  if (length == 0)
    return 0;
  // The second byte's range excludes overlong forms, surrogates and > U+10FFFF.
  unsigned low = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
  unsigned high = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
  if (byte(at + 1) < low || byte(at + 1) > high)
    return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (byte(at + i) < 0x80 || byte(at + i) > 0xBF)
      return 0;
  return length;
}

// The words of a search text: runs of ASCII letters and digits and of
// non-ASCII characters (the index's tokenizer decides what those are).
// Everything else, malformed UTF-8 included, separates words and is never
// passed on.
std::vector<std::string> search_words(const std::string& input) {
  std::vector<std::string> words;
  std::string word;
  for (std::size_t i = 0; i < input.size();) {
    auto length = utf8_length(input, i);
    if (length == 0 && std::isalnum(static_cast<unsigned char>(input[i])))
      length = 1;
    if (length > 0) {
      word += input.substr(i, length);
      i += length;
      continue;
    }
    if (!word.empty())
      words.push_back(std::move(word));
    word.clear();
    ++i;
  }
  if (!word.empty())
    words.push_back(std::move(word));
  return words;
}

// SQLite: every word as an FTS5 string ("word"), all of them required.
// Quoted, a word is only ever a token to look up, never FTS5 syntax (NEAR,
// AND, *, ^, column filters); it cannot contain a '"' itself.
std::string fts5_query(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "\"" : " \"") + w + "\"";
  return out;
}

// PostgreSQL: plainto_tsquery of the words joins them with & itself.
std::string words_text(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words)
    out += (out.empty() ? "" : " ") + w;
  return out;
}

sale_status parse_sale_status(const std::string& s) {
  return s == "on_sale" ? sale_status::on_sale : s == "closed" ? sale_status::closed
                                                               : sale_status::draft;
}

constexpr const char* event_columns =
  "events.id, events.title, events.description, events.venue, events.starts_at,"
  " events.max_tickets_per_customer, events.status";

event_info to_event(const row& r) {
  return {static_cast<event_id>(r.at(0).number), r.at(1).text, r.at(2).text, r.at(3).text,
          r.at(4).number, static_cast<uint32_t>(r.at(5).number), parse_sale_status(r.at(6).text),
          {}};
}

// The from-and-where of a search and its order; the text binds as :query.
struct search_sql {
  std::string from_where;
  std::string order_by;
};

search_sql search_statement(backend kind, bool has_words, bool include_drafts) {
  std::string drafts = include_drafts ? "" : " and events.status <> 'draft'";
  if (!has_words)
    return {include_drafts ? "from events" : "from events where events.status <> 'draft'",
            "events.starts_at, events.id"};
  if (kind == backend::postgresql)
    return {"from events cross join plainto_tsquery('simple', :query) as query"
            " where events.search_vector @@ query" + drafts,
            "ts_rank(events.search_vector, query) desc, events.starts_at, events.id"};
  // bm25 is lower for better matches; a title word weighs ten times more.
  return {"from events_fts join events on events.id = events_fts.rowid"
          " where events_fts match :query" + drafts,
          "bm25(events_fts, 10.0, 1.0, 1.0), events.starts_at, events.id"};
}

// Orders with their section's layout; `filter` (where, order by, limit)
// refers to orders as o.
constexpr const char* order_columns =
  "select o.event_id, o.section_id, o.id, o.customer_id, o.hold_id, o.quantity, o.created_at,"
  " o.total_cents, o.status, o.cancelled_at, s.kind, s.row_count, s.seats_per_row, s.capacity"
  " from orders o join sections s on s.event_id = o.event_id and s.id = o.section_id ";

constexpr const char* newest_first =
  " order by o.created_at desc, o.event_id desc, o.section_id desc, o.id desc";

stored_order to_order(const row& r) {
  stored_order s;
  s.event = static_cast<event_id>(r.at(0).number);
  s.section = static_cast<section_id>(r.at(1).number);
  s.order.id = static_cast<order_id>(r.at(2).number);
  s.order.customer = static_cast<customer_id>(r.at(3).number);
  s.order.from_hold = static_cast<hold_id>(r.at(4).number);
  s.order.quantity = static_cast<uint32_t>(r.at(5).number);
  s.order.created_at = r.at(6).number;
  s.total_cents = r.at(7).number;
  s.cancelled = r.at(8).text == "cancelled";
  s.cancelled_at = s.cancelled ? r.at(9).number : 0;
  s.layout = {r.at(10).text == "general" ? section_kind::general : section_kind::reserved,
              static_cast<uint32_t>(r.at(11).number), static_cast<uint32_t>(r.at(12).number),
              static_cast<uint32_t>(r.at(13).number)};
  return s;
}

// The orders `filter` selects, in its order, with their seats. Run inside
// one snapshot so that both statements see the same orders.
std::vector<stored_order> load_orders(soci::session& sql, const std::string& filter,
                                      const std::vector<sql_param>& params) {
  std::vector<stored_order> orders;
  std::map<std::tuple<long long, long long, long long>, stored_order*> by_key;
  for (const auto& r :
       query_rows(sql, order_columns + filter, params,
                  {bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, text, bigint,
                   text, bigint, bigint, bigint}))
    orders.push_back(to_order(r));
  for (auto& o : orders)
    by_key[{i64(o.event), i64(o.section), i64(o.order.id)}] = &o;
  // A cancelled order keeps its tickets (status 'cancelled'), so its seats too.
  auto tickets = query_rows(
    sql,
    "select t.event_id, t.section_id, t.order_id, t.seat from tickets t"
    " join (select o.event_id, o.section_id, o.id from orders o " + filter + ") p"
    " on t.event_id = p.event_id and t.section_id = p.section_id and t.order_id = p.id"
    " where t.seat is not null order by t.event_id, t.section_id, t.order_id, t.number",
    params, {bigint, bigint, bigint, bigint});
  for (const auto& t : tickets) {
    auto found = by_key.find({t[0].number, t[1].number, t[2].number});
    if (found != by_key.end())
      found->second->order.seats.push_back(static_cast<uint32_t>(t[3].number));
  }
  return orders;
}

} // namespace

query_store::query_store(const std::string& database_url)
  : db_(std::make_unique<sql_connection>(database_url)) {}

query_store::~query_store() = default;

event_page query_store::search_events(const event_search& search) {
  auto words = search_words(search.text);
  auto kind = db_->kind();
  auto statement = search_statement(kind, !words.empty(), search.include_drafts);
  std::vector<sql_param> params;
  if (!words.empty())
    params.push_back({"query", kind == backend::postgresql ? words_text(words)
                                                           : fts5_query(words)});
  auto page = std::max<uint64_t>(search.page, 1);
  auto offset = (page - 1) * search.page_size;
  event_page result;
  db_->guarded("search_events", [&](soci::session& sql, bool&) {
    // One snapshot: the total agrees with the page.
    sql_transaction tx(sql, kind, sql_transaction::mode::snapshot_read);
    result = {};
    auto total = query_rows(sql, "select count(*) " + statement.from_where, params, {bigint});
    result.total = static_cast<uint64_t>(total.at(0).at(0).number);
    if (search.page_size > 0 && offset < result.total) {
      auto paged = params;
      paged.push_back({"page_size", i64(search.page_size)});
      paged.push_back({"page_offset", i64(offset)});
      auto rows = query_rows(sql,
                             std::string("select ") + event_columns + " " + statement.from_where
                               + " order by " + statement.order_by
                               + " limit :page_size offset :page_offset",
                             paged, {bigint, text, text, text, bigint, bigint, text});
      for (const auto& r : rows)
        result.events.push_back(to_event(r));
    }
    tx.commit();
  });
  return result;
}

std::vector<stored_order> query_store::orders_of(customer_id customer, uint32_t limit,
                                                 uint32_t offset) {
  std::vector<stored_order> orders;
  if (limit == 0)
    return orders;
  db_->guarded("orders_of", [&](soci::session& sql, bool&) {
    sql_transaction tx(sql, db_->kind(), sql_transaction::mode::snapshot_read);
    orders = load_orders(sql,
                         std::string("where o.customer_id = :customer") + newest_first
                           + " limit :page_size offset :page_offset",
                         {{"customer", i64(customer)},
                          {"page_size", i64(limit)},
                          {"page_offset", i64(offset)}});
    tx.commit();
  });
  return orders;
}

uint64_t query_store::order_count(customer_id customer) {
  uint64_t count = 0;
  db_->guarded("order_count", [&](soci::session& sql, bool&) {
    auto rows = query_rows(sql, "select count(*) from orders where customer_id = :customer",
                           {{"customer", i64(customer)}}, {bigint});
    count = static_cast<uint64_t>(rows.at(0).at(0).number);
  });
  return count;
}

std::optional<stored_order> query_store::find_order(customer_id customer, event_id event,
                                                    section_id section, order_id order) {
  std::optional<stored_order> found;
  db_->guarded("find_order", [&](soci::session& sql, bool&) {
    sql_transaction tx(sql, db_->kind(), sql_transaction::mode::snapshot_read);
    auto orders = load_orders(sql,
                              "where o.customer_id = :customer and o.event_id = :event"
                              " and o.section_id = :section and o.id = :order_id",
                              {{"customer", i64(customer)},
                               {"event", i64(event)},
                               {"section", i64(section)},
                               {"order_id", i64(order)}});
    tx.commit();
    found.reset();
    if (!orders.empty())
      found = std::move(orders.front());
  });
  return found;
}

} // namespace boxoffice
