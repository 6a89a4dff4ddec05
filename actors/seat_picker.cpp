#include "actors/seat_picker.h"

#include <algorithm>
#include <cstdlib>

namespace boxoffice {

namespace {

struct row_choice {
  std::optional<uint32_t> clean;     // best start leaving no orphan
  std::optional<uint32_t> orphaning; // best start that strands one seat
};

// Twice the distance between the block's centre and the row's centre, so
// that it stays an integer.
int64_t off_centre(uint32_t start, uint32_t quantity, uint32_t seats_per_row) {
  return std::llabs(2 * static_cast<int64_t>(start) + quantity - seats_per_row);
}

void consider(std::optional<uint32_t>& best, uint32_t start, uint32_t quantity,
              uint32_t seats_per_row) {
  // Starts arrive left to right, so a strict '<' keeps ties on the left.
  if (!best || off_centre(start, quantity, seats_per_row)
                 < off_centre(*best, quantity, seats_per_row))
    best = start;
}

// The best starts for a party in the free run [begin, end): the distance to
// the centre is convex in the start, and at most two starts (begin + 1 and
// end - quantity - 1) strand a seat, so the best clean start is among the
// clamped ideal, its two neighbours each side, and the run's two ends.
void choose_in_run(row_choice& choice, uint32_t begin, uint32_t end, uint32_t quantity,
                   uint32_t seats_per_row) {
  const uint32_t first = begin;
  const uint32_t last = end - quantity;
  const int64_t ideal = (static_cast<int64_t>(seats_per_row) - quantity) / 2;
  const int64_t centre = std::clamp<int64_t>(ideal, first, last);
  auto strands = [&](uint32_t start) {
    return start - begin == 1 || end - (start + quantity) == 1;
  };
  // Ascending order, so that among equals the left one is kept.
  const int64_t candidates[] = {first, centre - 2, centre - 1, centre, centre + 1, centre + 2,
                                last};
  for (auto c : candidates) {
    if (c < first || c > last)
      continue;
    auto start = static_cast<uint32_t>(c);
    consider(strands(start) ? choice.orphaning : choice.clean, start, quantity, seats_per_row);
  }
}

row_choice choose_in_row(const seat_status* row, uint32_t seats_per_row, uint32_t quantity) {
  row_choice choice;
  uint32_t i = 0;
  while (i < seats_per_row) {
    if (row[i] != seat_status::free) {
      ++i;
      continue;
    }
    auto run_begin = i;
    while (i < seats_per_row && row[i] == seat_status::free)
      ++i;
    if (i - run_begin >= quantity)
      choose_in_run(choice, run_begin, i, quantity, seats_per_row);
  }
  return choice;
}

} // namespace

std::optional<seat_block> pick_best_available(const std::vector<seat_status>& seats,
                                              const std::vector<uint32_t>& free_per_row,
                                              uint32_t seats_per_row, uint32_t quantity) {
  std::optional<seat_block> fallback;  // front-most block that strands a seat
  for (uint32_t row = 0; row < free_per_row.size(); ++row) {
    if (free_per_row[row] < quantity)
      continue;
    auto choice = choose_in_row(seats.data() + static_cast<size_t>(row) * seats_per_row,
                                seats_per_row, quantity);
    if (choice.clean)
      return seat_block{row, *choice.clean};
    if (choice.orphaning && !fallback)
      fallback = seat_block{row, *choice.orphaning};
  }
  return fallback;
}

} // namespace boxoffice
