#include "persistence/batch_writer.h"

#include "persistence/account_store.h"
#include "persistence/write_keys.h"

#include <soci/soci.h>

#include <algorithm>
#include <functional>
#include <unordered_map>
#include <type_traits>
#include <utility>

namespace boxoffice {

namespace {

constexpr auto bigint = sql_type::bigint;
constexpr auto text = sql_type::text;

std::string seats_text(const std::vector<uint32_t>& seats) {
  std::string out;
  for (auto seat : seats)
    out += (out.empty() ? "" : ",") + std::to_string(seat);
  return out;
}

[[noreturn]] void refuse(const std::string& what) {
  throw store_error(store_error::kind::conflict, what);
}

// A change's place in the write order: changes that touch the same hold,
// order, section or event (the same key, write_keys.h) keep their batch
// order; everything else may share a level, and each level writes one
// statement per kind. Under a flash sale a batch interleaves holds and
// purchases of many customers, so grouping only consecutive runs of one
// kind would save little.
class write_plan {
public:
  // Levels of every change, in batch order.
  std::vector<int> levels(const std::vector<change>& batch) {
    std::vector<int> out;
    out.reserve(batch.size());
    for (const auto& c : batch)
      out.push_back(place(keys_of(c)));
    return out;
  }

private:
  struct use {
    int last_write = -1;
    int last_read = -1;
  };

  // Reads come after the last write of a key; writes after its last read or write.
  int place(const change_keys& k) {
    int level = 0;
    for (uint8_t i = 0; i < k.read_count; ++i)
      level = std::max(level, uses_[k.reads[i]].last_write + 1);
    for (uint8_t i = 0; i < k.write_count; ++i) {
      const auto& u = uses_[k.writes[i]];
      level = std::max({level, u.last_write + 1, u.last_read + 1});
    }
    for (uint8_t i = 0; i < k.read_count; ++i) {
      auto& u = uses_[k.reads[i]];
      u.last_read = std::max(u.last_read, level);
    }
    for (uint8_t i = 0; i < k.write_count; ++i)
      uses_[k.writes[i]].last_write = level;
    return level;
  }

  std::unordered_map<row_key, use, row_key_hash> uses_;
};

// Writes a batch by levels (see write_plan), one statement per kind per
// level: on PostgreSQL one round trip each, whatever the number of rows.
class batch_writer {
public:
  batch_writer(soci::session& sql, backend kind) : sql_(sql), kind_(kind) {}

  void write(const std::vector<change>& batch) {
    auto levels = write_plan{}.levels(batch);
    std::vector<std::size_t> order(batch.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return std::make_pair(levels[a], batch[a].index())
             < std::make_pair(levels[b], batch[b].index());
    });
    for (std::size_t begin = 0; begin < order.size();) {
      auto end = begin + 1;
      auto same = [&](std::size_t a, std::size_t b) {
        return levels[a] == levels[b] && batch[a].index() == batch[b].index();
      };
      while (end < order.size() && same(order[begin], order[end]))
        ++end;
      std::visit(
        [&](const auto& first) {
          using kind = std::decay_t<decltype(first)>;
          std::vector<const kind*> run;
          for (auto i = begin; i < end; ++i)
            run.push_back(&std::get<kind>(batch[order[i]]));
          write_run(run);
        },
        batch[order[begin]]);
      begin = end;
    }
  }

private:
  long long run(const dialect_sql& statement, row_set& rows) {
    return execute_rows(sql_, kind_, statement, rows);
  }

  void write_run(const std::vector<const event_saved*>& changes) {
    row_set rows{{"id", bigint},    {"title", text},      {"description", text},
                 {"venue", text},   {"starts_at", bigint}, {"max_tickets_per_customer", bigint},
                 {"status", text}};
    for (const auto* c : changes) {
      const auto& e = c->info;
      rows.add({i64(e.id), e.title, e.description, e.venue, e.starts_at,
                i64(e.max_tickets_per_customer), to_string(e.status)});
    }
    run(insert_rows_sql("events", rows,
                        "on conflict (id) do update set title = excluded.title,"
                        " description = excluded.description, venue = excluded.venue,"
                        " starts_at = excluded.starts_at,"
                        " max_tickets_per_customer = excluded.max_tickets_per_customer,"
                        " status = excluded.status"),
        rows);
  }

  void write_run(const std::vector<const section_added*>& changes) {
    row_set rows{{"event_id", bigint}, {"id", bigint},       {"name", text},
                 {"kind", text},       {"row_count", bigint}, {"seats_per_row", bigint},
                 {"capacity", bigint}, {"price_cents", bigint}};
    for (const auto* c : changes) {
      const auto& s = c->section;
      rows.add({i64(c->event), i64(s.id), s.name, to_string(s.layout.kind), i64(s.layout.rows),
                i64(s.layout.seats_per_row), i64(s.layout.capacity), s.price_cents});
    }
    run(insert_rows_sql("sections", rows), rows);
  }

  void write_run(const std::vector<const hold_placed*>& changes) {
    row_set rows{{"event_id", bigint},   {"section_id", bigint}, {"id", bigint},
                 {"customer_id", bigint}, {"seats", text},       {"quantity", bigint},
                 {"created_at", bigint}, {"expires_at", bigint}, {"status", text}};
    for (const auto* c : changes) {
      const auto& h = c->hold;
      rows.add({i64(c->event), i64(c->section), i64(h.id), i64(h.customer), seats_text(h.seats),
                i64(h.quantity), h.created_at, h.expires_at, "live"});
    }
    run(insert_rows_sql("holds", rows), rows);
  }

  // A level holds each hold at most once (write_plan), so counts are exact.
  void write_run(const std::vector<const hold_extended*>& changes) {
    row_set rows{{"event_id", bigint}, {"section_id", bigint}, {"id", bigint},
                 {"expires_at", bigint}};
    for (const auto* c : changes)
      rows.add({i64(c->event), i64(c->section), i64(c->hold), c->expires_at});
    auto changed =
      run(update_rows_sql("holds", rows, {"expires_at"}, "holds.status = 'live'"), rows);
    if (changed != i64(rows.size()))
      refuse("hold_extended: a hold to extend is not live");
  }

  void write_run(const std::vector<const hold_ended*>& changes) {
    row_set rows{{"event_id", bigint}, {"section_id", bigint}, {"id", bigint},
                 {"status", text},     {"ended_at", bigint}};
    for (const auto* c : changes)
      rows.add({i64(c->event), i64(c->section), i64(c->hold), to_string(c->why), c->at});
    run(update_rows_sql("holds", rows, {"status", "ended_at"}, "holds.status = 'live'"), rows);
  }

  void write_run(const std::vector<const order_placed*>& changes) {
    row_set holds{{"event_id", bigint}, {"section_id", bigint}, {"id", bigint},
                  {"status", text},     {"ended_at", bigint}};
    row_set orders{{"event_id", bigint},   {"section_id", bigint}, {"id", bigint},
                   {"customer_id", bigint}, {"hold_id", bigint},   {"quantity", bigint},
                   {"total_cents", bigint}, {"created_at", bigint}, {"status", text}};
    row_set tickets{{"event_id", bigint}, {"section_id", bigint}, {"order_id", bigint},
                    {"number", bigint},   {"seat", bigint},       {"status", text}};
    for (const auto* c : changes) {
      const auto& o = c->order;
      holds.add({i64(c->event), i64(c->section), i64(o.from_hold), "purchased", o.created_at});
      orders.add({i64(c->event), i64(c->section), i64(o.id), i64(o.customer), i64(o.from_hold),
                  i64(o.quantity), c->total_cents, o.created_at, "sold"});
      // One ticket per seat; in general admission one per unit, seat NULL.
      auto count = o.seats.empty() ? o.quantity : o.seats.size();
      for (std::size_t n = 0; n < count; ++n)
        tickets.add({i64(c->event), i64(c->section), i64(o.id), i64(n),
                     o.seats.empty() ? sql_value{} : sql_value{i64(o.seats[n])}, "live"});
    }
    auto purchased =
      run(update_rows_sql("holds", holds, {"status", "ended_at"}, "holds.status = 'live'"), holds);
    if (purchased != i64(holds.size()))
      refuse("order_placed: the hold of an order is not live");
    run(insert_rows_sql("orders", orders), orders);
    run(insert_rows_sql("tickets", tickets), tickets);
  }

  void write_run(const std::vector<const order_cancelled*>& changes) {
    row_set orders{{"event_id", bigint}, {"section_id", bigint}, {"id", bigint},
                   {"status", text},     {"cancelled_at", bigint}};
    row_set tickets{{"event_id", bigint}, {"section_id", bigint}, {"order_id", bigint},
                    {"status", text}};
    for (const auto* c : changes) {
      orders.add({i64(c->event), i64(c->section), i64(c->order), "cancelled", c->at});
      tickets.add({i64(c->event), i64(c->section), i64(c->order), "cancelled"});
    }
    auto cancelled =
      run(update_rows_sql("orders", orders, {"status", "cancelled_at"}, "orders.status = 'sold'"),
          orders);
    if (cancelled != i64(orders.size()))
      refuse("order_cancelled: an order to cancel is not sold");
    // The tickets stay, with the order's seats; only live ones hold a seat
    // (the unique index tickets_one_live_per_seat).
    run(update_rows_sql("tickets", tickets, {"status"}, "tickets.status = 'live'"), tickets);
  }

  // A key with another answer already committed refuses the write: two
  // attempts of one keyed request (a retry after the client's 503 while the
  // first was still here) never both commit. The HTTP layer deletes a record
  // past idempotency.ttl_s before it runs a request again.
  void write_run(const std::vector<const answer_saved*>& changes) {
    row_set rows{{"scope", bigint},  {"key", text},      {"fingerprint", text},
                 {"status", bigint}, {"content_type", text}, {"location", text},
                 {"body", text},     {"answer", text},   {"created_at", bigint}};
    for (const auto* c : changes)
      rows.add({i64(c->key.scope), c->key.key, c->key.fingerprint, 0LL, "", "", "", c->reply,
                c->at});
    if (run(insert_rows_sql("idempotency_keys", rows, idempotency_insert_once), rows) !=
        i64(changes.size()))
      refuse("answer_saved: the Idempotency-Key has another answer");
  }

  void write_run(const std::vector<const queue_saved*>& changes) {
    row_set rows{{"event_id", bigint},   {"mode", text},         {"prequeue_at", bigint},
                 {"opens_at", bigint},   {"rate_per_s", bigint}, {"active_max", bigint},
                 {"pass_ttl_s", bigint}, {"queue_length_max", bigint}, {"paused", bigint},
                 {"seed", text},         {"seed_hash", text},    {"drawn", bigint}};
    for (const auto* c : changes) {
      const auto& q = c->settings;
      rows.add({i64(c->event), to_string(q.mode), q.prequeue_at, q.opens_at, i64(q.rate_per_s),
                i64(q.active_max), i64(q.pass_ttl_s), i64(q.queue_length_max),
                i64(q.paused ? 1 : 0), q.seed, q.seed_hash, i64(q.drawn ? 1 : 0)});
    }
    run(insert_rows_sql("queue_settings", rows,
                        "on conflict (event_id) do update set mode = excluded.mode,"
                        " prequeue_at = excluded.prequeue_at, opens_at = excluded.opens_at,"
                        " rate_per_s = excluded.rate_per_s, active_max = excluded.active_max,"
                        " pass_ttl_s = excluded.pass_ttl_s,"
                        " queue_length_max = excluded.queue_length_max,"
                        " paused = excluded.paused, seed = excluded.seed,"
                        " seed_hash = excluded.seed_hash, drawn = excluded.drawn"),
        rows);
  }

  void write_run(const std::vector<const queue_entry_saved*>& changes) {
    row_set rows{{"event_id", bigint},    {"id", bigint},          {"customer_id", bigint},
                 {"secret", text},        {"joined_at", bigint},   {"state", text},
                 {"line_rank", bigint},        {"admitted_at", bigint}, {"pass_expires_at", bigint},
                 {"ended_at", bigint}};
    for (const auto* c : changes) {
      const auto& e = c->entry;
      rows.add({i64(c->event), i64(e.id), i64(e.customer), e.secret, e.joined_at,
                to_string(e.state), i64(e.rank), e.admitted_at, e.pass_expires_at, e.ended_at});
    }
    run(insert_rows_sql("queue_entries", rows,
                        "on conflict (event_id, id) do update set state = excluded.state,"
                        " line_rank = excluded.line_rank, admitted_at = excluded.admitted_at,"
                        " pass_expires_at = excluded.pass_expires_at,"
                        " ended_at = excluded.ended_at"),
        rows);
  }

  soci::session& sql_;
  backend kind_;
};

} // namespace

void write_batch(soci::session& sql, backend kind, const std::vector<change>& batch) {
  batch_writer(sql, kind).write(batch);
}

} // namespace boxoffice
