// The directory: the one way to reach an event. Every request names its event
// and the directory passes it to that event's actor, so nothing else holds
// actor handles and events can move (stop here, come back here or on another
// node) without their clients noticing. An event with no traffic for
// event_idle_stop_s hands itself over as a snapshot and stops; its next
// request brings it back. Requests that arrive meanwhile wait in a bounded
// backlog (event_backlog_max) and are refused with `overloaded` past it.
#pragma once

#include "actors/limits.h"
#include "actors/protocol.h"

namespace boxoffice {

struct directory_settings {
  reservation_limits limits;
  uint32_t event_idle_stop_s = 1800;  // 0: never stop an event
  uint32_t event_backlog_max = 1024;
};

directory_actor spawn_directory(caf::actor_system& sys, const directory_settings& settings);

} // namespace boxoffice
