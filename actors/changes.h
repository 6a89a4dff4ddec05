// What the journal writes: one record per acknowledged change, produced by
// the event and section actors and committed in batches. Plain C++; the SQL
// that stores them lives in persistence/.
#pragma once

#include "actors/domain.h"

#include <variant>
#include <vector>

namespace boxoffice {

// An event was created or its metadata or sale status changed. Sections are
// not part of it (see section_added).
struct event_saved {
  event_info info;
};

struct section_added {
  event_id event = 0;
  section_info section;
};

struct hold_placed {
  event_id event = 0;
  section_id section = 0;
  hold_record hold;
};

struct hold_extended {
  event_id event = 0;
  section_id section = 0;
  hold_id hold = 0;
  timestamp_ms expires_at = 0;
};

// Released or expired; a purchased hold ends through order_placed.
struct hold_ended {
  event_id event = 0;
  section_id section = 0;
  hold_id hold = 0;
  hold_end why = hold_end::released;
  timestamp_ms at = 0;
};

// Ends order.from_hold as purchased and issues one ticket per seat (per unit
// of quantity in general admission).
struct order_placed {
  event_id event = 0;
  section_id section = 0;
  order_record order;
  int64_t total_cents = 0;
};

// Returns the order's tickets (their seats may be sold again).
struct order_cancelled {
  event_id event = 0;
  section_id section = 0;
  order_id order = 0;
  timestamp_ms at = 0;
};

using change = std::variant<event_saved, section_added, hold_placed, hold_extended, hold_ended,
                            order_placed, order_cancelled>;

} // namespace boxoffice
