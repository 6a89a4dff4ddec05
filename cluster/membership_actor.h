// The membership as actors. The worker is a detached actor that owns one
// database connection and runs every blocking store call; the agent is an
// ordinary (non-blocking) actor that keeps this node in the membership: it
// joins, renews the lease every heartbeat, polls the member list (declaring
// expired members dead), and tells its owner what changed. Answers come back
// as messages; no actor waits on the database.
//
// What the agent sends its owner:
//   (joined_atom, node_incarnation)          joined as this incarnation
//   (membership_view)                        the members, on every new version
//   (lease_until_atom, int64_t ns)           the lease was renewed: serve
//       until this moment of the actor clock at most
//   (dead_atom, node_incarnation, end_reason) this incarnation was declared
//       dead: stop serving now. The agent rejoins as a new incarnation,
//       unless end_reason::replaced (another process has this node id):
//       then it quits after telling its owner, rather than replace it back.
// What it accepts from its owner:
//   (state_atom, member_state to) -> bool    move this incarnation on
//       (joining -> active once linked to every peer; -> leaving; -> dead)
//   (serving_atom) -> bool                   may this node serve now: it is
//       active or leaving and its lease, counted on this node's steady
//       clock from before the renewal was sent, has not run out. A node
//       paused past its lease serves nothing when it resumes.
#pragma once

#include "cluster/messages.h"

#include <caf/all.hpp>

#include <string>

namespace boxoffice::cluster {

// A detached worker with its own connection to `database_url` (PostgreSQL);
// migrates the cluster schema on first use.
membership_worker spawn_membership_worker(caf::actor_system& sys,
                                          const std::string& database_url,
                                          uint32_t take_lock_timeout_ms = 500);

struct agent_settings {
  std::string node_id;
  member_addresses addresses;
  uint32_t lease_ms = 3000;
  uint32_t heartbeat_ms = 1000;
  uint32_t poll_ms = 1000;
};

// REQUIRES: heartbeat_ms * 3 <= lease_ms and poll_ms < lease_ms (config
// validation checks it, cluster.* keys).
caf::actor spawn_membership_agent(caf::actor_system& sys, membership_worker worker,
                                  caf::actor owner, agent_settings settings);

} // namespace boxoffice::cluster
