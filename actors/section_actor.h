// The section actor: a thin shell around section_state. For each message it
// ends the holds that are due, applies the rule, and replies once the change
// is durable: it sends the change to the journal and goes on with the next
// message while the commit is in flight; the reply (and any customer delta
// for its event) waits for the commit, and a failed commit is undone
// (docs/durability.md). One timer, armed for the earliest deadline, makes
// holds expire with no client action.
#pragma once

#include "actors/limits.h"
#include "actors/protocol.h"

namespace boxoffice {

struct section_context {
  event_id event = 0;
  delta_sink owner;       // the event: customer deltas go here
  journal_actor journal;  // where changes become durable
  reservation_limits limits;
  ownership held;         // what the journal fences this section's writes with
};

// Spawns a section from a snapshot (a new section has no holds or orders),
// linked to `parent`. Holds past their deadline in the snapshot expire at
// once and are reported.
section_actor spawn_section(caf::local_actor* parent, section_snapshot snapshot,
                            section_context context);

} // namespace boxoffice
