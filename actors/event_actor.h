// The event actor: admits requests against the event's rules (sale window,
// per-customer limits across sections) and passes them to the right section
// actor, which answers the client directly. Only a hold waits for its
// section's answer, to keep or give back the customer's reserved quota.
#pragma once

#include "actors/limits.h"
#include "actors/protocol.h"

namespace boxoffice {

// Spawns an event, and its sections, from a snapshot (a new event has an
// info and no sections). The event and its sections are linked to `parent`.
event_actor spawn_event(caf::local_actor* parent, event_snapshot snapshot,
                        const reservation_limits& limits);

} // namespace boxoffice
