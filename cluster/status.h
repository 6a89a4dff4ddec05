// What GET /v1/cluster and `boxoffice cluster status` show, read from the
// database: the live members with their states, incarnations, addresses,
// leases and how many events each owns; and, for one event, its owner, its
// epoch and where placement puts it. Blocking: the membership worker or the
// CLI calls it, never an actor.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>

namespace soci {
class session;
}

namespace boxoffice::cluster {

// {"version", "members": [{"node_id", "incarnation", "state", "http_address",
//  "node_address", "lease_left_ms", "owned_events"}]}
nlohmann::json read_status_json(soci::session& sql);

// {"event_id", "owned": bool, "owner_node", "owner_incarnation", "epoch",
//  "owner_live", "owner_http_address", "placement"}
nlohmann::json read_event_owner_json(soci::session& sql, uint64_t event);

} // namespace boxoffice::cluster
