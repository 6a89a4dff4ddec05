// The value types of the reservation domain: ids, layouts, holds, orders.
// Plain C++ with no CAF in it, shared by the state classes and the protocol.
// Times are milliseconds since the Unix epoch so that a hold's expiry means
// the same thing after a restart or on another node.
#pragma once

#include "actors/queue_domain.h"

#include <cstdint>
#include <string>
#include <vector>

namespace boxoffice {

using event_id = uint64_t;
using section_id = uint32_t;  // unique within its event
using hold_id = uint64_t;     // unique within its section
using order_id = uint64_t;    // unique within its section
using customer_id = uint64_t;
using timestamp_ms = int64_t;

enum class section_kind : uint8_t { reserved, general };
enum class seat_status : uint8_t { free, held, sold };
enum class sale_status : uint8_t { draft, on_sale, closed };
// Why a hold no longer exists.
enum class hold_end : uint8_t { released, expired, purchased };

const char* to_string(section_kind x);
const char* to_string(seat_status x);
const char* to_string(sale_status x);
const char* to_string(hold_end x);

// Reserved: rows x seats_per_row numbered seats. General admission: only a
// capacity; its holds and orders carry a quantity and no seats.
struct section_layout {
  section_kind kind = section_kind::reserved;
  uint32_t rows = 0;
  uint32_t seats_per_row = 0;
  uint32_t capacity = 0;  // for reserved sections: rows * seats_per_row
};

section_layout reserved_layout(uint32_t rows, uint32_t seats_per_row);
section_layout general_layout(uint32_t capacity);

struct section_info {
  section_id id = 0;
  std::string name;
  section_layout layout;
  int64_t price_cents = 0;
};

struct event_info {
  event_id id = 0;
  std::string title;
  std::string description;
  std::string venue;
  timestamp_ms starts_at = 0;
  uint32_t max_tickets_per_customer = 0;
  sale_status status = sale_status::draft;
  std::vector<section_info> sections;
};

// Seats are indices into the row-major grid of a reserved section
// (row * seats_per_row + seat number - 1); empty for general admission.
struct hold_record {
  hold_id id = 0;
  customer_id customer = 0;
  std::vector<uint32_t> seats;
  uint32_t quantity = 0;  // == seats.size() for reserved sections
  timestamp_ms created_at = 0;
  timestamp_ms expires_at = 0;
};

struct order_record {
  order_id id = 0;
  customer_id customer = 0;
  hold_id from_hold = 0;
  std::vector<uint32_t> seats;
  uint32_t quantity = 0;
  timestamp_ms created_at = 0;
};

// Everything a section needs to be rebuilt elsewhere or later: what the
// directory keeps for a stopped event, and what recovery reads back.
struct section_snapshot {
  section_info info;
  std::vector<hold_record> holds;
  std::vector<order_record> orders;
  // Cancelled orders, seats left out (given back): who owned each, so that a
  // repeated cancel is told apart from an unknown order.
  std::vector<order_record> cancelled_orders;
  hold_id next_hold_id = 1;
  order_id next_order_id = 1;
};

struct event_snapshot {
  event_info info;
  std::vector<section_snapshot> sections;
  // The waiting room: its settings and every entry it keeps.
  queue_settings queue;
  std::vector<queue_entry> queue_entries;
};

// A change in what one customer has in one event, reported by a section to
// its event so that per-customer limits hold across sections.
struct customer_delta {
  customer_id customer = 0;
  int32_t holds = 0;
  int32_t tickets = 0;
};

struct section_stats {
  section_id section = 0;
  uint32_t capacity = 0;
  uint32_t free = 0;
  uint32_t held = 0;
  uint32_t sold = 0;
  uint32_t live_holds = 0;
  uint32_t orders = 0;
  // Live holds whose deadline falls within the next 60 s.
  uint32_t holds_expiring_60s = 0;
};

} // namespace boxoffice
