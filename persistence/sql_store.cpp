#include "persistence/sql_store.h"

#include "persistence/batch_writer.h"
#include "persistence/connection.h"

#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

namespace boxoffice {

namespace {

// holds.seats ("3,4,5", as batch_writer.cpp writes it) as seat indices.
std::vector<uint32_t> parse_seats(const std::string& text) {
  std::vector<uint32_t> seats;
  for (std::size_t begin = 0; begin < text.size();) {
    auto end = std::min(text.find(',', begin), text.size());
    seats.push_back(static_cast<uint32_t>(std::stoul(text.substr(begin, end - begin))));
    begin = end + 1;
  }
  return seats;
}

constexpr std::size_t rows_per_fetch = 4096;

// Runs a select with one bigint parameter (if given) and calls on_row with
// each row's values, fetching rows_per_fetch rows at a time into vectors.
template <class... T, class F>
void for_each_row(soci::session& sql, const std::string& query, std::optional<long long> param,
                  F&& on_row) {
  std::tuple<std::vector<T>...> columns{std::vector<T>(rows_per_fetch)...};
  long long value = param.value_or(0);
  soci::statement st(sql);
  std::apply([&](auto&... c) { (st.exchange(soci::into(c)), ...); }, columns);
  if (param)
    st.exchange(soci::use(value));
  st.alloc();
  st.prepare(query, soci::details::st_one_time_query);
  st.define_and_bind();
  st.execute(false);
  while (st.fetch()) {
    std::apply(
      [&](auto&... c) {
        auto rows = std::get<0>(columns).size();
        for (std::size_t i = 0; i < rows; ++i)
          on_row(c[i]...);
        (c.resize(rows_per_fetch), ...);
      },
      columns);
  }
}

sale_status parse_sale_status(const std::string& s) {
  return s == "on_sale" ? sale_status::on_sale : s == "closed" ? sale_status::closed
                                                               : sale_status::draft;
}

// The event row and its sections; nullopt when there is no such event.
std::optional<event_snapshot> load_info(soci::session& sql, long long id) {
  event_snapshot snap;
  auto& info = snap.info;
  bool found = false;
  for_each_row<std::string, std::string, std::string, long long, long long, std::string>(
    sql,
    "select title, description, venue, starts_at, max_tickets_per_customer, status"
    " from events where id = :id",
    id, [&](auto& title, auto& description, auto& venue, long long starts_at,
            long long max_tickets, auto& status) {
      info = {static_cast<event_id>(id), std::move(title), std::move(description),
              std::move(venue), starts_at, static_cast<uint32_t>(max_tickets),
              parse_sale_status(status), {}};
      found = true;
    });
  if (!found)
    return std::nullopt;
  for_each_row<long long, std::string, std::string, long long, long long, long long, long long>(
    sql,
    "select id, name, kind, row_count, seats_per_row, capacity, price_cents"
    " from sections where event_id = :e order by id",
    id, [&](long long sid, auto& name, auto& kind, long long rows, long long per_row,
            long long capacity, long long price) {
      section_info s;
      s.id = static_cast<section_id>(sid);
      s.name = std::move(name);
      s.layout = {kind == "general" ? section_kind::general : section_kind::reserved,
                  static_cast<uint32_t>(rows), static_cast<uint32_t>(per_row),
                  static_cast<uint32_t>(capacity)};
      s.price_cents = price;
      info.sections.push_back(s);
      snap.sections.push_back(section_snapshot{s, {}, {}, {}, 1, 1});
    });
  return snap;
}

// A section's orders and the seats of their live tickets, one section at a
// time: the PostgreSQL client holds a query's whole result in memory, so a
// million-seat event is never read in one result (issue 17: it took 37 MB
// at once, kept by the allocator afterwards). Sold orders and their tickets
// come in the same order and are walked together, without an index.
void load_orders(soci::session& sql, long long id, section_snapshot& s) {
  const auto where = " where event_id = " + std::to_string(id)
                     + " and section_id = " + std::to_string(s.info.id);
  for_each_row<long long, long long, long long, long long, long long, std::string>(
    sql, "select id, customer_id, hold_id, quantity, created_at, status from orders" + where
           + " order by id",
    std::nullopt, [&](long long oid, long long customer, long long hid, long long quantity,
                      long long created_at, const std::string& status) {
      auto& into = status == "sold" ? s.orders : s.cancelled_orders;
      into.push_back({static_cast<order_id>(oid), static_cast<customer_id>(customer),
                      static_cast<hold_id>(hid), {}, static_cast<uint32_t>(quantity),
                      created_at});
    });
  // Only sold orders have live tickets; a cancelled order's are kept, marked.
  auto next = s.orders.begin();
  for_each_row<long long, long long>(
    sql, "select order_id, seat from tickets" + where
           + " and status = 'live' and seat is not null order by order_id, number",
    std::nullopt, [&](long long oid, long long seat) {
      while (next != s.orders.end() && i64(next->id) < oid)
        ++next;
      if (next == s.orders.end() || i64(next->id) != oid)
        return;
      if (next->seats.empty())
        next->seats.reserve(next->quantity);
      next->seats.push_back(static_cast<uint32_t>(seat));
    });
}

// Live holds, sold orders with their seats, cancelled orders (without: their
// seats are given back), and the next ids of every section.
void load_sections(soci::session& sql, long long id, event_snapshot& snap) {
  std::map<long long, section_snapshot*> by_id;
  for (auto& s : snap.sections)
    by_id[s.info.id] = &s;
  auto section = [&](long long sid) {
    auto found = by_id.find(sid);
    return found == by_id.end() ? nullptr : found->second;
  };
  for_each_row<long long, long long, long long, std::string, long long, long long, long long>(
    sql,
    "select section_id, id, customer_id, seats, quantity, created_at, expires_at"
    " from holds where event_id = :e and status = 'live' order by section_id, id",
    id, [&](long long sid, long long hid, long long customer, auto& seats, long long quantity,
            long long created_at, long long expires_at) {
      if (auto* s = section(sid))
        s->holds.push_back({static_cast<hold_id>(hid), static_cast<customer_id>(customer),
                            parse_seats(seats), static_cast<uint32_t>(quantity), created_at,
                            expires_at});
    });
  for (auto& s : snap.sections)
    load_orders(sql, id, s);
  // Ids are never reused, so ended holds and cancelled orders count too.
  for_each_row<long long, long long>(
    sql, "select section_id, max(id) from holds where event_id = :e group by section_id", id,
    [&](long long sid, long long max_id) {
      if (auto* s = section(sid))
        s->next_hold_id = static_cast<hold_id>(max_id) + 1;
    });
  for_each_row<long long, long long>(
    sql, "select section_id, max(id) from orders where event_id = :e group by section_id", id,
    [&](long long sid, long long max_id) {
      if (auto* s = section(sid))
        s->next_order_id = static_cast<order_id>(max_id) + 1;
    });
}

// The waiting room of the event (migration 5): its settings, if it ever had
// any, and its entries.
void load_queue(soci::session& sql, long long id, event_snapshot& snap) {
  for_each_row<std::string, long long, long long, long long, long long, long long, long long,
               long long, std::string, std::string, long long>(
    sql,
    "select mode, prequeue_at, opens_at, rate_per_s, active_max, pass_ttl_s, queue_length_max,"
    " paused, seed, seed_hash, drawn from queue_settings where event_id = :e",
    id, [&](auto& mode, long long prequeue_at, long long opens_at, long long rate,
            long long active_max, long long ttl, long long length_max, long long paused,
            auto& seed, auto& seed_hash, long long drawn) {
      auto& q = snap.queue;
      parse_queue_mode(mode, q.mode);
      q.prequeue_at = prequeue_at;
      q.opens_at = opens_at;
      q.rate_per_s = static_cast<uint32_t>(rate);
      q.active_max = static_cast<uint32_t>(active_max);
      q.pass_ttl_s = static_cast<uint32_t>(ttl);
      q.queue_length_max = static_cast<uint32_t>(length_max);
      q.paused = paused != 0;
      q.seed = std::move(seed);
      q.seed_hash = std::move(seed_hash);
      q.drawn = drawn != 0;
    });
  for_each_row<long long, long long, std::string, long long, std::string, long long, long long,
               long long, long long>(
    sql,
    "select id, customer_id, secret, joined_at, state, line_rank, admitted_at, pass_expires_at,"
    " ended_at from queue_entries where event_id = :e order by id",
    id, [&](long long eid, long long customer, auto& secret, long long joined_at, auto& state,
            long long rank, long long admitted_at, long long pass_expires_at,
            long long ended_at) {
      queue_entry e;
      e.id = static_cast<uint64_t>(eid);
      e.customer = static_cast<uint64_t>(customer);
      e.secret = std::move(secret);
      e.joined_at = joined_at;
      parse_entry_state(state, e.state);
      e.rank = static_cast<uint64_t>(rank);
      e.admitted_at = admitted_at;
      e.pass_expires_at = pass_expires_at;
      e.ended_at = ended_at;
      snap.queue_entries.push_back(std::move(e));
    });
}

} // namespace

sql_store::sql_store(const std::string& database_url, commit_fence fence,
                     uint32_t idle_in_transaction_ms)
  : db_(std::make_unique<sql_connection>(database_url)),
    fence_(std::move(fence)),
    idle_in_transaction_ms_(idle_in_transaction_ms) {}

sql_store::~sql_store() = default;

backend sql_store::kind() const {
  return db_->kind();
}

void sql_store::apply(const std::vector<change>& batch) {
  if (batch.empty())
    return;
  db_->guarded("apply", [&](soci::session& sql, bool& sent) {
    sql_transaction tx(sql, kind());
    sent = true;
    write_batch(sql, kind(), batch);
    tx.commit();
  });
}

std::vector<event_id> sql_store::apply_fenced(const std::vector<journal_write>& writes) {
  if (!fence_)
    return store::apply_fenced(writes);
  // Every write is claimed: one made under no ownership (epoch 0) matches
  // no epoch and is refused, as a write of a lost event is.
  std::vector<fence_claim> claims;
  for (const auto& w : writes)
    claims.push_back({w.event, w.owner});
  std::vector<event_id> fenced;
  db_->guarded("apply", [&](soci::session& sql, bool& sent) {
    sql_transaction tx(sql, kind());
    sent = true;
    // SET LOCAL: it holds for this transaction only, and so survives
    // reconnects without any bookkeeping.
    execute_statement(sql,
                      "set local idle_in_transaction_session_timeout = "
                        + std::to_string(idle_in_transaction_ms_),
                      {});
    fenced = fence_(sql, claims);
    std::vector<change> kept;
    for (const auto& w : writes)
      if (!std::binary_search(fenced.begin(), fenced.end(), w.event))
        kept.insert(kept.end(), w.changes.begin(), w.changes.end());
    if (!kept.empty())
      write_batch(sql, kind(), kept);
    tx.commit();
  });
  return fenced;
}

std::vector<event_id> sql_store::event_ids() {
  std::vector<event_id> ids;
  db_->guarded("event_ids", [&](soci::session& sql, bool&) {
    ids.clear();
    for_each_row<long long>(sql, "select id from events", std::nullopt,
                            [&](long long id) { ids.push_back(static_cast<event_id>(id)); });
  });
  std::sort(ids.begin(), ids.end());
  return ids;
}

std::optional<event_snapshot> sql_store::load_event(event_id id) {
  std::optional<event_snapshot> snap;
  db_->guarded("load_event", [&](soci::session& sql, bool&) {
    // One snapshot: the tables agree with each other.
    sql_transaction tx(sql, kind(), sql_transaction::mode::snapshot_read);
    snap = load_info(sql, static_cast<long long>(id));
    if (snap) {
      load_sections(sql, static_cast<long long>(id), *snap);
      load_queue(sql, static_cast<long long>(id), *snap);
    }
    tx.commit();
  });
  return snap;
}

} // namespace boxoffice
