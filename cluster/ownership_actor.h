// The node's side of ownership: which events this node serves, at which
// epoch. It is the membership agent's owner and the directory's gate
// (actors/protocol.h, ownership_gate), and it never blocks: every database
// call goes to its own detached worker, answers come back as messages.
//
// - acquire (the directory's first request for an event): granted at the
//   epoch this node holds, or taken by compare-and-set if the event has no
//   live owner and placement over the active members names this node;
//   otherwise not_owner with the owner's (or the placed node's) address.
// - A membership view with members gone: the events of dead members
//   (orphaned_events) whose placement now names this node are taken with
//   new epochs and handed to the directory (adopt_atom), which recovers
//   them from the database; live holds keep their deadlines.
// - Lease renewals become the directory's serving deadline; a dead
//   incarnation drops every event at once (the agent rejoins).
// - Planned moves: on every view (and every rebalance_ms), each owned
//   event whose placement names another active member moves there
//   (move_out: the directory drains and holds it, one transaction records
//   the new owner at the next epoch, the held requests go there).
// - leave_atom (SIGTERM): active -> leaving, then (step 2) every event
//   moves away, then, once the caller has drained the journal, -> dead
//   (left). A drained node (the row set to leaving by `boxoffice cluster
//   drain`) moves its events away the same way and keeps serving.
// - cluster_atom: what /v1/cluster shows.
//
// joining -> active once linked to every active member, when given the
// link manager ((links_atom, manager)); without one, at once.
#pragma once

#include "actors/protocol.h"
#include "cluster/membership_actor.h"
#include "cluster/messages.h"

#include <caf/all.hpp>

#include <string>

namespace boxoffice::cluster {

struct ownership_settings {
  std::string node_id;
  std::string http_address;  // how other nodes' clients reach this node
  uint32_t rebalance_ms = 1000;  // how often moves put off (busy event) are tried again
  uint32_t moves_in_flight_max = 16;
};

struct cluster_node {
  caf::actor ownership;  // the gate, as a dynamically typed handle
  caf::actor agent;
};

// Spawns the ownership actor and its membership agent (which joins at
// once). `ownership_worker` runs the ownership calls, a worker apart from
// the agent's so that takes never delay a heartbeat. The directory, spawned
// with gate_of(node) as its gate, is then attached with
// anon_send(node.ownership, attach_atom::value, actor_cast<caf::actor>(dir)) (in
// cluster mode, the router: it passes them on and learns the moves); it gets
// lease_atom, adopt_atom, drop_atom, handover_atom, moved_atom, and a read
// (event_request) that brings a moved event up on its new owner. Asking
// (leave_atom, uint8_t step): step 0 moves to leaving, step 2 answers once
// every event moved away (false: nowhere to go), step 1 to dead (left).
// (cluster_atom) answers GET /v1/cluster's JSON (cluster/status.h, and
// this node's own view under "self"); (cluster_atom, event_id) an event's
// owner.
cluster_node start_cluster_node(caf::actor_system& sys, membership_worker agent_worker,
                                membership_worker ownership_worker,
                                ownership_settings settings, agent_settings agent);

// The gate the directory asks.
ownership_gate gate_of(const cluster_node& node);

} // namespace boxoffice::cluster

