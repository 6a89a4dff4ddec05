// Best available: where a party of N sits in a reserved section.
// Rules, in order of weight:
//   1. all N seats adjacent in one row;
//   2. never leave a single free seat stranded between taken seats (or
//      between a taken seat and the row's end) when any choice avoids it;
//   3. the front-most row that can take the party;
//   4. within that row, the block whose centre is nearest the row's centre
//      (ties go to the left).
#pragma once

#include "actors/domain.h"

#include <optional>
#include <vector>

namespace boxoffice {

struct seat_block {
  uint32_t row = 0;
  uint32_t first = 0;  // offset of the first seat within the row (0-based)
};

// seats: row-major statuses; free_per_row: free seats in each row (lets a
// full row be skipped without scanning it).
// REQUIRES: quantity > 0, seats.size() == rows * seats_per_row.
std::optional<seat_block> pick_best_available(const std::vector<seat_status>& seats,
                                              const std::vector<uint32_t>& free_per_row,
                                              uint32_t seats_per_row, uint32_t quantity);

} // namespace boxoffice
