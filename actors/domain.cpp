#include "actors/domain.h"
#include "actors/errc.h"

namespace boxoffice {

const char* to_string(section_kind x) {
  return x == section_kind::reserved ? "reserved" : "general";
}

const char* to_string(seat_status x) {
  switch (x) {
    case seat_status::free: return "free";
    case seat_status::held: return "held";
    case seat_status::sold: return "sold";
  }
  return "?";
}

const char* to_string(sale_status x) {
  switch (x) {
    case sale_status::draft: return "draft";
    case sale_status::on_sale: return "on_sale";
    case sale_status::closed: return "closed";
  }
  return "?";
}

const char* to_string(hold_end x) {
  switch (x) {
    case hold_end::released: return "released";
    case hold_end::expired: return "expired";
    case hold_end::purchased: return "purchased";
  }
  return "?";
}

section_layout reserved_layout(uint32_t rows, uint32_t seats_per_row) {
  // 64-bit product: a layout over 2^32 seats must fail validation, not wrap.
  auto capacity = static_cast<uint64_t>(rows) * seats_per_row;
  return {section_kind::reserved, rows, seats_per_row,
          capacity > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(capacity)};
}

section_layout general_layout(uint32_t capacity) {
  return {section_kind::general, 0, 0, capacity};
}

const char* to_string(errc x) {
  switch (x) {
    case errc::invalid_request: return "invalid_request";
    case errc::invalid_quantity: return "invalid_quantity";
    case errc::too_many_seats: return "too_many_seats";
    case errc::unknown_seat: return "unknown_seat";
    case errc::seat_unavailable: return "seat_unavailable";
    case errc::not_enough_seats: return "not_enough_seats";
    case errc::hold_not_found: return "hold_not_found";
    case errc::hold_expired: return "hold_expired";
    case errc::hold_released: return "hold_released";
    case errc::hold_purchased: return "hold_purchased";
    case errc::hold_lifetime_exceeded: return "hold_lifetime_exceeded";
    case errc::order_not_found: return "order_not_found";
    case errc::limit_exceeded: return "limit_exceeded";
    case errc::too_many_holds: return "too_many_holds";
    case errc::sale_not_open: return "sale_not_open";
    case errc::event_not_found: return "event_not_found";
    case errc::section_not_found: return "section_not_found";
    case errc::invalid_transition: return "invalid_transition";
    case errc::too_many_sections: return "too_many_sections";
    case errc::invalid_section: return "invalid_section";
    case errc::overloaded: return "overloaded";
    case errc::storage_unavailable: return "storage_unavailable";
    case errc::storage_conflict: return "storage_conflict";
    case errc::invalid_email: return "invalid_email";
    case errc::weak_password: return "weak_password";
    case errc::email_taken: return "email_taken";
    case errc::invalid_credentials: return "invalid_credentials";
    case errc::invalid_refresh_token: return "invalid_refresh_token";
    case errc::refresh_token_reused: return "refresh_token_reused";
    case errc::idempotency_key_in_use: return "idempotency_key_in_use";
    case errc::idempotency_key_reused: return "idempotency_key_reused";
    case errc::order_cancelled: return "order_cancelled";
    case errc::not_owner: return "not_owner";
    case errc::owner_unreachable: return "owner_unreachable";
    case errc::invalid_queue_settings: return "invalid_queue_settings";
    case errc::queue_off: return "queue_off";
    case errc::queue_not_open: return "queue_not_open";
    case errc::queue_full: return "queue_full";
    case errc::queue_closed: return "queue_closed";
    case errc::queue_entry_not_found: return "queue_entry_not_found";
    case errc::queue_pass_missing: return "queue_pass_missing";
    case errc::queue_pass_forged: return "queue_pass_forged";
    case errc::queue_pass_other_customer: return "queue_pass_other_customer";
    case errc::queue_pass_other_event: return "queue_pass_other_event";
    case errc::queue_pass_expired: return "queue_pass_expired";
    case errc::queue_pass_used: return "queue_pass_used";
  }
  return "unknown_error";
}

} // namespace boxoffice
