#include "cluster/status.h"

#include "cluster/membership_store.h"
#include "cluster/ownership_store.h"
#include "cluster/placement.h"
#include "persistence/connection.h"

#include <map>

namespace boxoffice::cluster {

namespace {

std::map<node_incarnation, int64_t> owned_counts(soci::session& sql) {
  std::map<node_incarnation, int64_t> out;
  for (const auto& row : query_rows(sql,
                                    "select owner_node, owner_incarnation, count(*)"
                                    " from event_owners group by owner_node, owner_incarnation",
                                    {}, {sql_type::text, sql_type::bigint, sql_type::bigint}))
    out[{row[0].text, row[1].number}] = row[2].number;
  return out;
}

} // namespace

nlohmann::json read_status_json(soci::session& sql) {
  const auto view = read_membership(sql);
  const auto counts = owned_counts(sql);
  auto members = nlohmann::json::array();
  for (const auto& m : view.members) {
    const auto found = counts.find(m.id);
    members.push_back({{"node_id", m.id.node_id},
                       {"incarnation", m.id.incarnation},
                       {"state", to_string(m.state)},
                       {"http_address", m.addresses.http_address},
                       {"node_address", m.addresses.node_address},
                       {"lease_left_ms", m.lease_left_ms},
                       {"owned_events", found == counts.end() ? 0 : found->second}});
  }
  return {{"version", view.version}, {"members", members}};
}

nlohmann::json read_event_owner_json(soci::session& sql, uint64_t event) {
  const auto view = read_membership(sql);
  std::vector<std::string> active;
  for (const auto& m : view.members)
    if (m.state == member_state::active)
      active.push_back(m.id.node_id);
  const auto where = place_event(event, active);
  nlohmann::json out{{"event_id", event},
                     {"placement", where ? nlohmann::json(*where) : nlohmann::json()}};
  const auto owner = read_owner(sql, event);
  out["owned"] = owner.has_value();
  if (!owner)
    return out;
  out["owner_node"] = owner->owner.node_id;
  out["owner_incarnation"] = owner->owner.incarnation;
  out["epoch"] = owner->epoch;
  out["owner_live"] = false;
  for (const auto& m : view.members)
    if (m.id == owner->owner) {
      out["owner_live"] = true;
      out["owner_http_address"] = m.addresses.http_address;
    }
  return out;
}

} // namespace boxoffice::cluster
