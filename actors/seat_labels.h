// Seat labels of reserved sections: "<row>-<number>", rows lettered like
// spreadsheet columns (A..Z, AA, AB, ...), seats numbered from 1. A label is
// a view of a seat index (row * seats_per_row + number - 1), never stored.
#pragma once

#include "actors/domain.h"

#include <optional>
#include <string>
#include <string_view>

namespace boxoffice {

std::string row_name(uint32_t row);

// REQUIRES: layout is reserved and index < layout.capacity.
std::string seat_label(const section_layout& layout, uint32_t index);

// The seat index of a label, or nullopt if the label is malformed or names
// no seat of this layout. Strict: no spaces, no leading zeros, upper case.
std::optional<uint32_t> parse_seat_label(const section_layout& layout, std::string_view label);

} // namespace boxoffice
