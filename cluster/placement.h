// Where an event should live: rendezvous (highest random weight) hashing of
// the event id over the active members' node ids. Every node computes the
// same answer from the same member list, with no coordination; when a node
// joins, only the events it now wins move (about 1/(n+1) of them), and when
// one leaves, only its own events move. Node ids, not incarnations, are
// hashed, so a restarted node wins back the events it had.
// Plain C++, no CAF and no database: the hash is fixed here (not std::hash)
// so that every build and platform agrees.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace boxoffice::cluster {

// The weight of `node_id` for `event`: a 64-bit mix of both.
uint64_t placement_weight(uint64_t event, const std::string& node_id);

// The node with the highest weight for `event` among `node_ids` (ties, which
// need a 64-bit collision, go to the smaller id); the order of `node_ids`
// does not matter. nullopt when there is no node.
std::optional<std::string> place_event(uint64_t event, const std::vector<std::string>& node_ids);

} // namespace boxoffice::cluster
