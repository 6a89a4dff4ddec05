#include "cluster/ownership_store.h"

#include "cluster/membership_store.h"

#include "persistence/connection.h"
#include "persistence/database.h"

#include <soci/soci.h>

#include <algorithm>
#include <stdexcept>

namespace boxoffice::cluster {

namespace {

constexpr const char* owner_columns = "select event_id, owner_node, owner_incarnation, epoch"
                                      " from event_owners";

std::vector<event_owner> owners(const std::vector<std::vector<sql_value>>& r) {
  std::vector<event_owner> out;
  for (const auto& row : r)
    out.push_back({static_cast<uint64_t>(row[0].number), {row[1].text, row[2].number},
                   row[3].number});
  return out;
}

std::vector<event_owner> query_owners(soci::session& sql, const std::string& where,
                                      const std::vector<sql_param>& params) {
  return owners(query_rows(sql, owner_columns + (" " + where), params,
                           {sql_type::bigint, sql_type::text, sql_type::bigint,
                            sql_type::bigint}));
}

// Exactly one row for a compare-and-set that won, none for one that lost.
long long compare_and_set(soci::session& sql, const node_incarnation& self, uint64_t event,
                          int64_t expected_epoch) {
  std::vector<sql_param> params = {{"event", i64(event)},
                                   {"node", self.node_id},
                                   {"inc", static_cast<long long>(self.incarnation)}};
  if (expected_epoch == 0)
    return execute_statement(sql,
                             "insert into event_owners (event_id, owner_node, owner_incarnation,"
                             " epoch) values (:event, :node, :inc, 1)"
                             " on conflict (event_id) do nothing",
                             params);
  params.emplace_back("expected", static_cast<long long>(expected_epoch));
  return execute_statement(sql,
                           "update event_owners set epoch = epoch + 1, owner_node = :node,"
                           " owner_incarnation = :inc, acquired_at = now()"
                           " where event_id = :event and epoch = :expected",
                           params);
}

// The audit row of every change of owner, in the same transaction.
void log_owner(soci::session& sql, uint64_t event, int64_t epoch, const node_incarnation& owner) {
  execute_statement(sql,
                    "insert into ownership_log (event_id, epoch, owner_node, owner_incarnation)"
                    " values (:event, :epoch, :node, :inc)",
                    {{"event", i64(event)},
                     {"epoch", static_cast<long long>(epoch)},
                     {"node", owner.node_id},
                     {"inc", static_cast<long long>(owner.incarnation)}});
}

} // namespace

std::optional<event_owner> read_owner(soci::session& sql, uint64_t event) {
  auto found = query_owners(sql, "where event_id = :event", {{"event", i64(event)}});
  if (found.empty())
    return std::nullopt;
  return found.front();
}

std::vector<event_owner> events_owned_by(soci::session& sql, const node_incarnation& owner) {
  return query_owners(sql,
                      "where owner_node = :node and owner_incarnation = :inc order by event_id",
                      {{"node", owner.node_id},
                       {"inc", static_cast<long long>(owner.incarnation)}});
}

std::vector<event_owner> orphaned_events(soci::session& sql) {
  return owners(query_rows(sql,
                           "select o.event_id, o.owner_node, o.owner_incarnation, o.epoch"
                           " from event_owners o left join cluster_members m"
                           " on m.node_id = o.owner_node and m.incarnation = o.owner_incarnation"
                           " where m.state is null or m.state = 'dead' order by o.event_id",
                           {},
                           {sql_type::bigint, sql_type::text, sql_type::bigint,
                            sql_type::bigint}));
}

namespace {

take_result take(soci::session& sql, const node_incarnation& self, uint64_t event,
                 int64_t expected_epoch, uint32_t lock_timeout_ms, bool must_exist) {
  sql_transaction tx(sql, backend::postgresql);
  execute_statement(sql, "set local lock_timeout = " + std::to_string(lock_timeout_ms), {});
  take_result out;
  if (!holds_live_lease(sql, self, lease_use::take)) {
    out.owner = read_owner(sql, event);
    return out;
  }
  if (must_exist
      && query_rows(sql, "select 1 from events where id = :event", {{"event", i64(event)}},
                    {sql_type::bigint})
           .empty()) {
    out.outcome = take_outcome::no_event;
    out.owner = read_owner(sql, event);
    return out;
  }
  if (compare_and_set(sql, self, event, expected_epoch) != 1) {
    out.outcome = take_outcome::epoch_moved;
    out.owner = read_owner(sql, event);  // read committed: the winner's row
    return out;
  }
  log_owner(sql, event, expected_epoch + 1, self);
  tx.commit();
  out.outcome = take_outcome::taken;
  out.owner = event_owner{event, self, expected_epoch + 1};
  return out;
}

} // namespace

take_result take_event(soci::session& sql, const node_incarnation& self, uint64_t event,
                       int64_t expected_epoch, uint32_t lock_timeout_ms) {
  return take(sql, self, event, expected_epoch, lock_timeout_ms, false);
}

take_result take_existing_event(soci::session& sql, const node_incarnation& self,
                                uint64_t event, int64_t expected_epoch,
                                uint32_t lock_timeout_ms) {
  return take(sql, self, event, expected_epoch, lock_timeout_ms, true);
}

bool hand_over_event(soci::session& sql, const node_incarnation& self, uint64_t event,
                     int64_t epoch, const node_incarnation& to, uint32_t lock_timeout_ms) {
  sql_transaction tx(sql, backend::postgresql);
  execute_statement(sql, "set local lock_timeout = " + std::to_string(lock_timeout_ms), {});
  if (!holds_live_lease(sql, to, lease_use::take))
    return false;
  const auto moved = execute_statement(
    sql,
    "update event_owners set epoch = epoch + 1, owner_node = :to, owner_incarnation = :to_inc,"
    " acquired_at = now() where event_id = :event and owner_node = :node"
    " and owner_incarnation = :inc and epoch = :epoch",
    {{"to", to.node_id},
     {"to_inc", static_cast<long long>(to.incarnation)},
     {"event", i64(event)},
     {"node", self.node_id},
     {"inc", static_cast<long long>(self.incarnation)},
     {"epoch", static_cast<long long>(epoch)}});
  if (moved != 1)
    return false;
  log_owner(sql, event, epoch + 1, to);
  tx.commit();
  return true;
}

std::optional<uint64_t> claim_new_event(soci::session& sql, const node_incarnation& self,
                                        uint64_t at_least) {
  const auto top = query_rows(sql, "select coalesce(max(event_id), 0) from event_owners", {},
                              {sql_type::bigint});
  auto candidate = std::max<uint64_t>(at_least, static_cast<uint64_t>(top[0][0].number) + 1);
  // A race with another creator loses one id per round; bounded all the same.
  for (int round = 0; round < 64; ++round, ++candidate) {
    const auto took = take_event(sql, self, candidate, 0);
    if (took.outcome == take_outcome::taken)
      return candidate;
    if (took.outcome == take_outcome::not_active)
      return std::nullopt;
  }
  throw std::runtime_error("cluster: no free event id after 64 tries");
}

} // namespace boxoffice::cluster
