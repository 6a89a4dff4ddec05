// The event actor: admits requests against the event's rules (sale window,
// per-customer limits across sections) and passes them to the right section
// actor, which answers the client directly. Admitting a hold reserves the
// customer's quota; the section gives it back, as a customer delta, whenever
// the hold ends without becoming an order.
// Control-plane changes (sale status, new sections) are rare: they are
// committed before they take effect, and the event pauses for the commit.
#pragma once

#include "actors/admission_pass.h"
#include "actors/limits.h"
#include "actors/waiting_room.h"
#include "actors/protocol.h"

namespace boxoffice {

struct event_context {
  journal_actor journal;
  reservation_limits limits;
  // The epoch this node holds the event at (cluster mode; zero on a single
  // node): every write of the event and its sections carries it, so that a
  // node that lost the event cannot commit (docs/cluster.md, "Fencing").
  ownership held;
  waiting_room_limits room_limits;
  std::shared_ptr<const pass_keys> passes;  // null: a key made up for this event
};

// Spawns an event, and its sections, from a snapshot (a new event has an
// info and no sections).
event_actor spawn_event(caf::actor_system& sys, event_snapshot snapshot, event_context context);

} // namespace boxoffice
