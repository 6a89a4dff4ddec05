// The directory: the one way to reach an event. Every request names its event
// and the directory passes it to that event's actor, so nothing else holds
// actor handles and events can move without their clients noticing.
//
// An event is running, moving (being loaded or handing over), or only
// stored. A request for a stored event loads it from the database (through
// the loader) and waits meanwhile; an event with no traffic for
// event_idle_stop_s stops once its commits are done and is loaded again on
// its next request. Waiting requests are bounded (event_backlog_max) and are
// refused with `overloaded` past it. The directory monitors events: one that
// dies is loaded again from its stored state on its next request.
//
// Cluster mode (a gate is set): the directory runs an event only once the
// gate granted it an ownership (an epoch), which every write of the event
// carries for the journal's fence; a refusal (not_owner, with where the
// event lives) goes to the request's client. It serves only within the
// lease the cluster last told it (lease_atom), and drops every event when
// told (drop_atom): a node that lost its membership serves nothing.
#pragma once

#include "actors/admission_pass.h"
#include "actors/limits.h"
#include "actors/waiting_room.h"
#include "actors/protocol.h"

#include <vector>

namespace boxoffice {

struct directory_settings {
  reservation_limits limits;
  uint32_t event_idle_stop_s = 1800;  // 0: never stop an event
  uint32_t event_backlog_max = 1024;
  journal_actor journal;
  loader_actor loader;
  std::vector<event_id> stored_events;  // what the database holds at start
  ownership_gate gate;                  // cluster mode; null: a single node
  waiting_room_limits room_limits;
  std::shared_ptr<const pass_keys> passes;  // signs and checks admission passes; null: made up
};

directory_actor spawn_directory(caf::actor_system& sys, const directory_settings& settings);

} // namespace boxoffice
