// RFC 9457 problem details: the one shape of every error the HTTP API sends.
// A problem is an HTTP status, a stable snake_case code (an errc name such as
// "seat_unavailable", or an HTTP-level code such as "not_found"), a title,
// a detail for the client, and the headers it implies (Allow, Retry-After).
//
// type URIs are relative: "/problems/<code>". They need no host we do not own
// and resolve against the server that sent them (RFC 9457 §3.1.1 allows it).
//
// Status choices for the domain codes (problem.cpp holds the table):
//   404  hold/order/event/section_not_found (also another customer's ids)
//   409  the request is fine but the current state refuses it, and the same
//        request may succeed later or elsewhere: seat_unavailable,
//        not_enough_seats, hold_purchased (a retried purchase), sale_not_open,
//        limit_exceeded and too_many_holds (free up when the customer
//        releases), invalid_transition, storage_conflict
//   410  hold_expired, hold_released: the hold is gone for good; retrying
//        cannot help, a new hold is needed
//   422  the request itself is wrong: invalid_request, invalid_quantity,
//        too_many_seats, unknown_seat, hold_lifetime_exceeded,
//        too_many_sections, invalid_section
//   401  invalid_credentials, invalid_refresh_token, refresh_token_reused
//   409  also email_taken, idempotency_key_in_use (retry later),
//        order_cancelled
//   422  also invalid_email, weak_password, idempotency_key_reused
//   503  overloaded, storage_unavailable, not_owner (cluster: the event is
//        served by another node, or moved before the change committed),
//        all with Retry-After
// Details never carry internals (exception texts, SQL, paths).
#pragma once

#include "actors/errc.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace boxoffice::http {

struct problem {
  uint16_t status = 500;
  std::string code;                       // stable, snake_case
  std::string title;                      // short, the same for every instance of code
  std::string detail;                     // this occurrence, for humans
  std::string allow;                      // 405 only: "GET, POST"
  std::optional<uint32_t> retry_after_s;  // 429/503
  // not_owner (cluster mode): the node that serves the event, and its HTTP
  // address (host:port) if known; members "owner_node"/"owner_address".
  std::string owner_node;
  std::string owner_address;
};

// Seconds a client is told to wait after overloaded/storage_unavailable.
constexpr uint32_t retry_after_overloaded_s = 1;
constexpr uint32_t retry_after_storage_s = 5;

// Thrown by request parsing and checks on the reactor thread, before the
// writer is handed off; the server answers `why`.
struct refusal {
  problem why;
};

// "/problems/<code>"
std::string problem_type(std::string_view code);

// The problem for a domain refusal; detail defaults to the title.
// A code with no entry in the table (a new errc not mapped yet) gives
// internal_error, which the unit test forbids.
problem problem_for(errc e, std::string detail = {});

// True when e has an entry in the status table.
bool has_mapping(errc e);

// HTTP-level problems.
problem malformed_json(std::string_view field, std::string_view what);  // 400
problem not_found();                                                  // 404, unknown route
problem method_not_allowed(std::string allow);                        // 405
problem body_too_large(uint32_t max_body_bytes);                      // 413
problem unsupported_media_type(std::string_view expected);            // 415
problem internal_error();                                             // 500, no internals

// Refusals of the request's framing, before any route runs (request_framer.h);
// the connection is closed after each: what follows cannot be trusted.
problem malformed_request(std::string detail);        // 400 malformed_request
problem client_timeout();                             // 408 client_timeout
problem target_too_long(uint32_t target_bytes_max);   // 414 target_too_long
problem headers_too_large(uint32_t head_bytes_max);   // 431 headers_too_large
problem method_not_implemented();                     // 501 method_not_implemented
problem version_not_supported();                      // 505 http_version_not_supported
problem too_many_pipelined(uint32_t queued_max);      // 503 too_many_pipelined_requests

// The application/problem+json body: {type, title, status, detail, code}.
std::string problem_body(const problem& p);

} // namespace boxoffice::http
