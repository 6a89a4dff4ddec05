#include "cluster/fence.h"

#include "cluster/membership_store.h"

#include "persistence/connection.h"
#include "persistence/database.h"

#include <soci/soci.h>

#include <algorithm>
#include <map>
#include <string>

namespace boxoffice::cluster {

namespace {

// A PostgreSQL array literal of the event ids, bound as one text parameter:
// one round trip however many events the batch holds.
std::string id_array(const std::vector<held_epoch>& held) {
  std::string text = "{";
  for (const auto& h : held)
    text += (text.size() > 1 ? "," : "") + std::to_string(h.event);
  return text + "}";
}

std::vector<uint64_t> all_events(const std::vector<held_epoch>& held) {
  std::vector<uint64_t> out;
  for (const auto& h : held)
    out.push_back(h.event);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

} // namespace

std::vector<uint64_t> fenced_events(soci::session& sql, const node_incarnation& self,
                                    const std::vector<held_epoch>& held) {
  if (held.empty())
    return {};
  // The member row is not locked: the lease only narrows when this node
  // may commit; what orders commits against takeovers is the event rows'
  // lock below.
  if (!holds_live_lease(sql, self, lease_use::commit))
    return all_events(held);
  // Ordered by id, the rows are locked in one order by every committer, so
  // two batches never deadlock on each other.
  const auto rows = query_rows(sql,
                               "select event_id, epoch from event_owners"
                               " where event_id = any(cast(:ids as bigint[]))"
                               " and owner_node = :node and owner_incarnation = :inc"
                               " order by event_id for share",
                               {{"ids", id_array(held)},
                                {"node", self.node_id},
                                {"inc", static_cast<long long>(self.incarnation)}},
                               {sql_type::bigint, sql_type::bigint});
  std::map<uint64_t, int64_t> current;
  for (const auto& row : rows)
    current[static_cast<uint64_t>(row[0].number)] = row[1].number;
  std::vector<uint64_t> fenced;
  for (const auto& h : held) {
    const auto found = current.find(h.event);
    if (found == current.end() || found->second != h.epoch)
      fenced.push_back(h.event);
  }
  std::sort(fenced.begin(), fenced.end());
  fenced.erase(std::unique(fenced.begin(), fenced.end()), fenced.end());
  return fenced;
}

commit_fence journal_fence(std::string node_id) {
  return [node_id](soci::session& sql, const std::vector<fence_claim>& claims) {
    std::map<int64_t, std::vector<held_epoch>> by_incarnation;
    for (const auto& c : claims)
      by_incarnation[c.owner.incarnation].push_back({c.event, c.owner.epoch});
    std::vector<event_id> fenced;
    for (const auto& [incarnation, held] : by_incarnation) {
      auto lost = fenced_events(sql, {node_id, incarnation}, held);
      fenced.insert(fenced.end(), lost.begin(), lost.end());
    }
    std::sort(fenced.begin(), fenced.end());
    fenced.erase(std::unique(fenced.begin(), fenced.end()), fenced.end());
    return fenced;
  };
}

} // namespace boxoffice::cluster
