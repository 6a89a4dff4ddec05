#include "cluster/ownership_store.h"

#include "cluster/membership_store.h"

#include "persistence/connection.h"
#include "persistence/database.h"

#include <soci/soci.h>

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

take_result take_event(soci::session& sql, const node_incarnation& self, uint64_t event,
                       int64_t expected_epoch) {
  sql_transaction tx(sql, backend::postgresql);
  take_result out;
  if (!holds_live_lease(sql, self, lease_use::take)) {
    out.owner = read_owner(sql, event);
    return out;
  }
  if (compare_and_set(sql, self, event, expected_epoch) != 1) {
    out.outcome = take_outcome::epoch_moved;
    out.owner = read_owner(sql, event);  // read committed: the winner's row
    return out;
  }
  execute_statement(sql,
                    "insert into ownership_log (event_id, epoch, owner_node, owner_incarnation)"
                    " values (:event, :epoch, :node, :inc)",
                    {{"event", i64(event)},
                     {"epoch", static_cast<long long>(expected_epoch + 1)},
                     {"node", self.node_id},
                     {"inc", static_cast<long long>(self.incarnation)}});
  tx.commit();
  out.outcome = take_outcome::taken;
  out.owner = event_owner{event, self, expected_epoch + 1};
  return out;
}

} // namespace boxoffice::cluster
