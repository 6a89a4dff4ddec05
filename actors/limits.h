// The bounds every reservation rule is checked against. Plain values, filled
// from config/ at start; the domain never reads configuration itself.
#pragma once

#include <cstdint>

namespace boxoffice {

struct reservation_limits {
  // How long a hold lives without client action.
  uint32_t hold_ttl_s = 600;
  // An extended hold never lives longer than this from its creation.
  uint32_t hold_max_lifetime_s = 1800;
  uint32_t max_seats_per_hold = 10;
  // Live holds one customer may have in one event at once.
  uint32_t max_holds_per_customer = 4;
  // Default for events that do not set their own limit (holds + orders).
  uint32_t max_tickets_per_customer = 8;
  uint32_t max_sections_per_event = 64;
  // Reserved sections: rows x seats_per_row; general admission: capacity.
  uint32_t max_seats_per_section = 100000;
  // Ended holds remembered so that a late purchase gets "expired" or
  // "released" instead of "not found"; the oldest are forgotten first.
  uint32_t ended_holds_kept_max = 10000;
};

} // namespace boxoffice
