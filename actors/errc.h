// The one error type of the domain. Every refusal carries one of these codes;
// its name (to_string) is the stable code clients see. outcome<T> is what a
// state operation returns: a value or the reason it was refused.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>

namespace boxoffice {

enum class errc : uint8_t {
  invalid_request = 1,    // malformed: seats and quantity both given, a seat twice
  invalid_quantity,       // zero or negative
  too_many_seats,         // over max_seats_per_hold
  unknown_seat,           // no such label in this section
  seat_unavailable,       // a named seat is held or sold
  not_enough_seats,       // no block (or capacity) for the quantity asked
  hold_not_found,         // no such hold, or not the caller's
  hold_expired,
  hold_released,
  hold_purchased,
  hold_lifetime_exceeded, // extend past hold_max_lifetime_s
  order_not_found,        // no such order, or not the caller's
  limit_exceeded,         // max_tickets_per_customer
  too_many_holds,         // max_holds_per_customer
  sale_not_open,
  event_not_found,
  section_not_found,
  invalid_transition,     // sale status cannot go that way
  too_many_sections,      // max_sections_per_event
  invalid_section,        // empty or over max_seats_per_section
  overloaded,             // a bounded queue is full; retry later
  storage_unavailable,    // the database cannot be reached; nothing changed
  storage_conflict,       // the database refused the change (last-line guard)
  // Accounts and access.
  invalid_email,          // not an email address
  weak_password,          // shorter than the minimum length
  email_taken,            // an account with this email exists
  invalid_credentials,    // wrong email or password (never says which)
  invalid_refresh_token,  // unknown, expired or revoked
  refresh_token_reused,   // a rotated token came back: its family is revoked
  // Idempotency-Key
  idempotency_key_in_use,  // the first request with this key is still running
  idempotency_key_reused,  // the same key came with a different request
  // Appended, so that the codes before keep their numbers.
  order_cancelled,         // cancelling an order the caller already cancelled
  // The cluster (docs/cluster.md): routing answers, never a domain refusal.
  not_owner,               // this node does not own the event; carries the owner (not_owner_hint)
  owner_unreachable,       // the owner's node is down or not linked; nothing was done there
  // The waiting room (issue 15).
  invalid_queue_settings,  // a waiting-room setting out of its bounds
  queue_off,               // the event's waiting room is off
  queue_not_open,          // before prequeue_at
  queue_full,              // queue_length_max entries wait; retry later
  queue_closed,            // the sale is over
  queue_entry_not_found,   // no such entry, or a wrong secret
  queue_pass_missing,      // the room is on and the hold has no pass
  queue_pass_forged,       // bad signature, unknown key id, malformed
  queue_pass_other_customer,
  queue_pass_other_event,
  queue_pass_expired,
  queue_pass_used,         // its holder bought, left, or the room closed
};
// The last code: tests walk them all, from invalid_request to this one.
constexpr errc last_errc = errc::queue_pass_used;

// The stable snake_case name of the code ("seat_unavailable").
const char* to_string(errc x);

template <class T>
class outcome {
public:
  outcome(T value) : value_(std::move(value)) {}
  outcome(errc error) : error_(error) {}

  explicit operator bool() const { return value_.has_value(); }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  // REQUIRES: !*this
  errc error() const { return error_; }

private:
  std::optional<T> value_;
  errc error_ = errc::invalid_request;
};

} // namespace boxoffice
