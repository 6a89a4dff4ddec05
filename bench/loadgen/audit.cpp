#include "bench/loadgen/audit.h"

#include "actors/seat_labels.h"
#include "persistence/connection.h"
#include "persistence/database.h"

#include <soci/soci.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace boxoffice::loadgen {

using nlohmann::json;

namespace {

constexpr std::size_t violations_listed_max = 100;
constexpr int count_attempts_max = 10;  // API vs database, while late commits land

struct db_section {
  uint32_t id = 0;
  section_layout layout;
};

struct db_hold {
  uint32_t section = 0;
  std::string status;
  uint32_t quantity = 0;
  std::vector<uint32_t> seats;
  long long expires_at_ms = 0;
};

struct db_order {
  uint32_t section = 0;
  std::string hold_id;  // public form
  std::string status;
  uint32_t quantity = 0;
  std::vector<long long> seats;  // one per ticket; -1 for general admission
};

struct db_sale {
  std::map<uint32_t, db_section> sections;
  std::unordered_map<std::string, db_hold> holds;    // by public id
  std::unordered_map<std::string, db_order> orders;  // by public id
};

class violations {
public:
  void add(std::string what) {
    ++total_;
    if (list_.size() < violations_listed_max)
      list_.push_back(std::move(what));
  }
  std::vector<std::string> finish() && {
    if (total_ > list_.size())
      list_.push_back("... and " + std::to_string(total_ - list_.size()) + " more violations");
    return std::move(list_);
  }

private:
  std::vector<std::string> list_;
  std::size_t total_ = 0;
};

std::string public_id(uint64_t event, long long section, long long n) {
  return std::to_string(event) + "-" + std::to_string(section) + "-" + std::to_string(n);
}

std::vector<uint32_t> parse_indices(const std::string& text) {
  std::vector<uint32_t> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto comma = text.find(',', pos);
    auto part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (!part.empty())
      out.push_back(static_cast<uint32_t>(std::stoul(part)));
    pos = comma == std::string::npos ? text.size() : comma + 1;
  }
  return out;
}

db_sale read_sale(soci::session& sql, uint64_t event) {
  db_sale s;
  std::vector<sql_param> e{{"e", static_cast<long long>(event)}};
  using t = sql_type;
  for (const auto& r : query_rows(sql, "select id, kind, row_count, seats_per_row, capacity"
                                       " from sections where event_id = :e",
                                  e, {t::bigint, t::text, t::bigint, t::bigint, t::bigint})) {
    db_section d;
    d.id = static_cast<uint32_t>(r[0].number);
    d.layout = r[1].text == "reserved"
                 ? reserved_layout(static_cast<uint32_t>(r[2].number),
                                   static_cast<uint32_t>(r[3].number))
                 : general_layout(static_cast<uint32_t>(r[4].number));
    s.sections[d.id] = d;
  }
  for (const auto& r : query_rows(sql, "select section_id, id, status, quantity, seats, expires_at"
                                       " from holds where event_id = :e",
                                  e, {t::bigint, t::bigint, t::text, t::bigint, t::text,
                                      t::bigint})) {
    auto& h = s.holds[public_id(event, r[0].number, r[1].number)];
    h.section = static_cast<uint32_t>(r[0].number);
    h.status = r[2].text;
    h.quantity = static_cast<uint32_t>(r[3].number);
    h.seats = parse_indices(r[4].text);
    h.expires_at_ms = r[5].number;
  }
  for (const auto& r : query_rows(sql, "select section_id, id, hold_id, status, quantity"
                                       " from orders where event_id = :e",
                                  e, {t::bigint, t::bigint, t::bigint, t::text, t::bigint})) {
    auto& o = s.orders[public_id(event, r[0].number, r[1].number)];
    o.section = static_cast<uint32_t>(r[0].number);
    o.hold_id = public_id(event, r[0].number, r[2].number);
    o.status = r[3].text;
    o.quantity = static_cast<uint32_t>(r[4].number);
  }
  for (const auto& r : query_rows(sql, "select section_id, order_id, seat from tickets"
                                       " where event_id = :e",
                                  e, {t::bigint, t::bigint, t::bigint})) {
    auto& o = s.orders[public_id(event, r[0].number, r[1].number)];
    o.seats.push_back(r[2].is_null ? -1 : r[2].number);
  }
  return s;
}

long long now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

bool live(const db_hold& h, long long now) {
  return h.status == "live" && h.expires_at_ms > now;
}

// Seat indices of labels; false if one is not a seat of the section.
bool indices_of(const db_sale& db, uint32_t section, const std::vector<std::string>& labels,
                std::vector<long long>& out) {
  auto s = db.sections.find(section);
  if (s == db.sections.end())
    return false;
  for (const auto& label : labels) {
    auto i = parse_seat_label(s->second.layout, label);
    if (!i)
      return false;
    out.push_back(*i);
  }
  std::sort(out.begin(), out.end());
  return true;
}

void check_seats(const db_sale& db, violations& v, json& facts) {
  std::map<uint32_t, uint64_t> sold;
  std::set<std::pair<uint32_t, long long>> sold_seats, held_seats;
  for (const auto& [id, o] : db.orders) {
    if (o.status != "sold")
      continue;
    sold[o.section] += o.seats.size();
    for (auto seat : o.seats)
      if (seat >= 0 && !sold_seats.insert({o.section, seat}).second)
        v.add("seat " + std::to_string(seat) + " of section " + std::to_string(o.section)
              + " is in two live orders (one is " + id + ")");
  }
  auto now = now_ms();
  for (const auto& [id, h] : db.holds) {
    if (!live(h, now))
      continue;
    for (auto seat : h.seats) {
      std::pair<uint32_t, long long> key{h.section, seat};
      if (sold_seats.count(key))
        v.add("seat " + std::to_string(seat) + " of section " + std::to_string(h.section)
              + " is sold and in live hold " + id);
      if (!held_seats.insert(key).second)
        v.add("seat " + std::to_string(seat) + " of section " + std::to_string(h.section)
              + " is in two live holds (one is " + id + ")");
    }
  }
  uint64_t total = 0;
  for (const auto& [section, n] : sold) {
    total += n;
    auto s = db.sections.find(section);
    if (s == db.sections.end() || n > s->second.layout.capacity)
      v.add("section " + std::to_string(section) + ": " + std::to_string(n)
            + " tickets sold, more than its capacity");
  }
  facts["db_tickets_sold"] = total;
}

void check_orders(const db_sale& db, const sale_record& seen, violations& v, json& facts) {
  std::unordered_set<std::string> acknowledged;
  for (const auto& a : seen.orders) {
    acknowledged.insert(a.id);
    auto o = db.orders.find(a.id);
    if (o == db.orders.end()) {
      v.add("order " + a.id + " was acknowledged (2xx) but is not in the database");
      continue;
    }
    std::vector<long long> expected;
    auto seats = o->second.seats;
    std::sort(seats.begin(), seats.end());
    if (o->second.status != "sold")
      v.add("order " + a.id + " is " + o->second.status + " in the database, not sold");
    if (o->second.quantity != a.quantity || seats.size() != a.quantity)
      v.add("order " + a.id + ": " + std::to_string(a.quantity) + " tickets acknowledged, "
            + std::to_string(seats.size()) + " in the database");
    else if (!indices_of(db, a.section, a.seats, expected) || expected != seats)
      v.add("order " + a.id + ": its tickets are not on the seats acknowledged");
    if (o->second.hold_id != a.hold_id)
      v.add("order " + a.id + " comes from hold " + o->second.hold_id + ", not " + a.hold_id);
  }
  std::unordered_set<std::string> unknown(seen.unknown_purchases.begin(),
                                          seen.unknown_purchases.end());
  uint64_t unknown_committed = 0;
  for (const auto& [id, o] : db.orders) {
    if (acknowledged.count(id))
      continue;
    if (unknown.count(o.hold_id))
      ++unknown_committed;
    else
      v.add("order " + id + " (from hold " + o.hold_id + ") is in the database, but no purchase"
            " of it was acknowledged");
  }
  facts["orders_acknowledged"] = seen.orders.size();
  facts["db_orders"] = db.orders.size();
  facts["purchases_unknown_outcome"] = seen.unknown_purchases.size();
  facts["purchases_unknown_outcome_committed"] = unknown_committed;
}

void check_holds(const db_sale& db, const sale_record& seen, violations& v, json& facts) {
  std::unordered_set<std::string> granted, bought;
  for (const auto& a : seen.orders)
    bought.insert(a.hold_id);
  for (const auto& h : seen.unknown_purchases)
    bought.insert(h);  // may be purchased, or still live
  for (const auto& a : seen.holds) {
    granted.insert(a.id);
    auto h = db.holds.find(a.id);
    if (h == db.holds.end()) {
      v.add("hold " + a.id + " was granted (2xx) but is not in the database");
      continue;
    }
    std::vector<long long> expected;
    std::vector<long long> stored(h->second.seats.begin(), h->second.seats.end());
    std::sort(stored.begin(), stored.end());
    if (h->second.quantity != a.quantity || !indices_of(db, a.section, a.seats, expected)
        || expected != stored)
      v.add("hold " + a.id + ": the database holds other seats than were granted");
    const auto& status = h->second.status;
    if (status == "purchased" && !bought.count(a.id))
      v.add("hold " + a.id + " is purchased in the database, but no purchase was acknowledged");
    if (status == "released")
      v.add("hold " + a.id + " is released in the database; the run released nothing");
  }
  uint64_t unexplained = 0, seats_held = 0;
  auto now = now_ms();
  std::string example;
  for (const auto& [id, h] : db.holds) {
    if (live(h, now))
      seats_held += h.quantity;
    if (!granted.count(id)) {
      ++unexplained;
      example = id;
    }
  }
  if (unexplained > seen.unknown_holds)
    v.add(std::to_string(unexplained) + " holds in the database were never granted to the run "
          "(e.g. " + example + "), more than its " + std::to_string(seen.unknown_holds)
          + " holds with an unknown outcome");
  facts["holds_granted"] = seen.holds.size();
  facts["db_holds"] = db.holds.size();
  facts["db_seats_held"] = seats_held;
  facts["holds_unknown_outcome"] = seen.unknown_holds;
  facts["holds_unknown_outcome_committed"] = unexplained;
}

struct counts {
  long long free = 0, held = 0, sold = 0;
  bool operator==(const counts& o) const {
    return free == o.free && held == o.held && sold == o.sold;
  }
};

std::string to_text(const counts& c) {
  return "free " + std::to_string(c.free) + ", held " + std::to_string(c.held) + ", sold "
         + std::to_string(c.sold);
}

std::map<uint32_t, counts> db_counts(const db_sale& db) {
  std::map<uint32_t, counts> c;
  auto now = now_ms();
  for (const auto& [id, s] : db.sections)
    c[id].free = s.layout.capacity;
  for (const auto& [id, o] : db.orders)
    if (o.status == "sold")
      c[o.section].sold += static_cast<long long>(o.seats.size());
  for (const auto& [id, h] : db.holds)
    if (live(h, now))
      c[h.section].held += h.quantity;
  for (auto& [id, x] : c)
    x.free -= x.held + x.sold;
  return c;
}

std::map<uint32_t, counts> api_counts(const options& o, const sale& s) {
  auto a = http_call(o, "GET", "/v1/events/" + std::to_string(s.event_id));
  if (a.status != 200)
    throw setup_error("GET the event for the audit: HTTP " + std::to_string(a.status));
  std::map<uint32_t, counts> c;
  auto event = json::parse(a.body);
  for (const auto& section : event.at("sections"))
    c[section.at("id").get<uint32_t>()] = {section.at("free").get<long long>(),
                                           section.at("held").get<long long>(),
                                           section.at("sold").get<long long>()};
  return c;
}

// The API and the database may differ for a moment while the commits of
// unknown-outcome requests land; they must agree within a few tries.
void check_counts(const options& o, const sale& s, soci::session& sql, db_sale& db,
                  violations& v, json& facts) {
  for (int attempt = 1;; ++attempt) {
    auto api = api_counts(o, s);
    auto mine = db_counts(db);
    if (api == mine) {
      facts["api_counts_agree_after_tries"] = attempt;
      return;
    }
    if (attempt == count_attempts_max) {
      for (const auto& [id, c] : mine) {
        auto a = api.find(id);
        if (a == api.end() || !(a->second == c))
          v.add("section " + std::to_string(id) + ": the API says "
                + (a == api.end() ? std::string{"nothing"} : to_text(a->second))
                + ", the database " + to_text(c));
      }
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    db = read_sale(sql, s.event_id);
  }
}

} // namespace

audit_result audit_sale(const options& o, const sale& s, const sale_record& seen) {
  audit_result result;
  auto sql = open_session(o.db_url);
  auto db = read_sale(*sql, s.event_id);
  violations v;
  if (db.sections.size() != s.section_ids.size())
    v.add("the database has " + std::to_string(db.sections.size()) + " sections of event "
          + std::to_string(s.event_id) + ", the run made " + std::to_string(s.section_ids.size()));
  check_counts(o, s, *sql, db, v, result.facts);
  check_seats(db, v, result.facts);
  check_orders(db, seen, v, result.facts);
  check_holds(db, seen, v, result.facts);
  result.violations = std::move(v).finish();
  return result;
}

} // namespace boxoffice::loadgen
