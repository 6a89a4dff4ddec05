// The section actor: a thin shell around section_state. For each message it
// ends the holds that are due, applies the rule, reports what changed for a
// customer to its event, and replies. One timer, armed for the earliest
// deadline, makes holds expire with no client action.
#pragma once

#include "actors/limits.h"
#include "actors/protocol.h"

namespace boxoffice {

// Spawns a section of `event` from a snapshot (a new section has no holds or
// orders). Customer deltas go to `owner` (the event actor, or any actor that
// wants them). Holds past their deadline in the snapshot expire at once.
section_actor spawn_section(caf::local_actor* parent, event_id event, section_snapshot snapshot,
                            delta_sink owner, const reservation_limits& limits);

} // namespace boxoffice
