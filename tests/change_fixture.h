// The changes the store suites build their sales from: event 42 on sale
// with one reserved section (Stalls, 10 x 20 at 45.00), holds of customer 7
// in it, and their purchases, as the section actors would journal them.
#pragma once

#include "actors/changes.h"

#include <utility>
#include <vector>

namespace boxoffice::test {

constexpr timestamp_ms sale_t0 = 1'700'000'000'000;
constexpr event_id sale_event = 42;

inline std::vector<change> stalls_on_sale() {
  return {event_saved{{sale_event, "Concert", "", "Arena", sale_t0, 6, sale_status::on_sale, {}}},
          section_added{sale_event, {1, "Stalls", reserved_layout(10, 20), 4500}}};
}

inline hold_placed stalls_hold(hold_id id, std::vector<uint32_t> seats) {
  auto count = static_cast<uint32_t>(seats.size());
  return {sale_event, 1, {id, 7, std::move(seats), count, sale_t0, sale_t0 + 600'000}};
}

inline order_placed stalls_purchase(const hold_placed& h, order_id id) {
  const auto& r = h.hold;
  return {sale_event, 1, {id, r.customer, r.id, r.seats, r.quantity, sale_t0 + 1000},
          4500 * r.quantity};
}

} // namespace boxoffice::test
