#include "http/problem.h"

#include <nlohmann/json.hpp>

#include <array>

namespace boxoffice::http {

namespace {

struct mapping {
  errc code;
  uint16_t status;
  const char* title;
};

// Why each status: see the header.
constexpr std::array<mapping, 46> table{{
  {errc::invalid_request, 422, "The request is not valid"},
  {errc::invalid_quantity, 422, "The quantity must be positive"},
  {errc::too_many_seats, 422, "Too many seats in one hold"},
  {errc::unknown_seat, 422, "No such seat in this section"},
  {errc::seat_unavailable, 409, "A requested seat is not available"},
  {errc::not_enough_seats, 409, "Not enough seats available"},
  {errc::hold_not_found, 404, "Hold not found"},
  {errc::hold_expired, 410, "The hold has expired"},
  {errc::hold_released, 410, "The hold was released"},
  {errc::hold_purchased, 409, "The hold was already purchased"},
  {errc::hold_lifetime_exceeded, 422, "The hold cannot be extended further"},
  {errc::order_not_found, 404, "Order not found"},
  {errc::order_cancelled, 409, "The order was already cancelled"},
  {errc::invalid_queue_settings, 422, "The waiting-room settings are not valid"},
  {errc::queue_off, 409, "This event has no waiting room"},
  {errc::queue_not_open, 409, "The waiting room is not open yet"},
  {errc::queue_full, 503, "The waiting room is full"},
  {errc::queue_closed, 409, "The waiting room is closed"},
  {errc::queue_entry_not_found, 404, "Queue entry not found"},
  {errc::queue_pass_missing, 403, "An admission pass is required"},
  {errc::queue_pass_forged, 403, "The admission pass is not valid"},
  {errc::queue_pass_other_customer, 403, "The admission pass belongs to another customer"},
  {errc::queue_pass_other_event, 403, "The admission pass is for another event"},
  {errc::queue_pass_expired, 403, "The admission pass has expired"},
  {errc::queue_pass_used, 403, "The admission pass was already used"},
  {errc::limit_exceeded, 409, "Ticket limit per customer reached"},
  {errc::too_many_holds, 409, "Hold limit per customer reached"},
  {errc::sale_not_open, 409, "The sale is not open"},
  {errc::event_not_found, 404, "Event not found"},
  {errc::section_not_found, 404, "Section not found"},
  {errc::invalid_transition, 409, "The sale status cannot change that way"},
  {errc::too_many_sections, 422, "Too many sections in this event"},
  {errc::invalid_section, 422, "The section is not valid"},
  {errc::overloaded, 503, "The server is busy"},
  {errc::storage_unavailable, 503, "Storage is unavailable; nothing was changed"},
  {errc::storage_conflict, 409, "Storage refused the change"},
  {errc::not_owner, 503, "Another node serves this event; nothing was changed"},
  {errc::invalid_email, 422, "The email address is not valid"},
  {errc::weak_password, 422, "The password is too short"},
  {errc::email_taken, 409, "An account with this email exists"},
  {errc::invalid_credentials, 401, "Wrong email or password"},
  {errc::invalid_refresh_token, 401, "The refresh token is not valid"},
  {errc::refresh_token_reused, 401, "The refresh token was already used; every session it "
                                    "belongs to is signed out"},
  {errc::idempotency_key_in_use, 409, "A request with this Idempotency-Key is still running"},
  {errc::idempotency_key_reused, 422, "This Idempotency-Key was used for another request"},
  {errc::owner_unreachable, 503, "The node that owns this event cannot be reached; retry"},
}};

const mapping* find(errc e) {
  for (const auto& m : table)
    if (m.code == e)
      return &m;
  return nullptr;
}

problem make(uint16_t status, std::string code, std::string title, std::string detail) {
  problem p;
  p.status = status;
  p.code = std::move(code);
  p.title = std::move(title);
  p.detail = detail.empty() ? p.title : std::move(detail);
  return p;
}

} // namespace

std::string problem_type(std::string_view code) {
  return "/problems/" + std::string{code};
}

bool has_mapping(errc e) {
  return find(e) != nullptr;
}

problem problem_for(errc e, std::string detail) {
  const auto* m = find(e);
  if (m == nullptr)
    return internal_error();
  auto p = make(m->status, to_string(e), m->title, std::move(detail));
  if (e == errc::overloaded)
    p.retry_after_s = retry_after_overloaded_s;
  else if (e == errc::storage_unavailable)
    p.retry_after_s = retry_after_storage_s;
  else if (e == errc::not_owner || e == errc::owner_unreachable)
    p.retry_after_s = retry_after_overloaded_s;  // a takeover is due within a lease
  else if (e == errc::idempotency_key_in_use)
    p.retry_after_s = retry_after_overloaded_s;  // the first attempt may still commit
  else if (e == errc::queue_full)
    p.retry_after_s = retry_after_overloaded_s;
  return p;
}

problem malformed_json(std::string_view field, std::string_view what) {
  std::string detail = field.empty() ? "The body is not valid JSON: " + std::string{what}
                                     : "Field '" + std::string{field} + "': " + std::string{what};
  return make(400, "malformed_json", "The request body is malformed", std::move(detail));
}

problem not_found() {
  return make(404, "not_found", "No such resource", "");
}

problem method_not_allowed(std::string allow) {
  auto p = make(405, "method_not_allowed", "Method not allowed",
                "This resource accepts: " + allow);
  p.allow = std::move(allow);
  return p;
}

problem body_too_large(uint32_t max_body_bytes) {
  return make(413, "body_too_large", "The request body is too large",
              "The body must not exceed " + std::to_string(max_body_bytes) + " bytes");
}

problem unsupported_media_type(std::string_view expected) {
  return make(415, "unsupported_media_type", "Unsupported media type",
              "The body must be " + std::string{expected});
}

problem internal_error() {
  return make(500, "internal_error", "Internal server error", "");
}

problem malformed_request(std::string detail) {
  return make(400, "malformed_request", "The request is not valid HTTP/1.1", std::move(detail));
}

problem client_timeout() {
  return make(408, "client_timeout", "The request did not arrive in time",
              "The request's head and body must arrive within the header and body timeouts");
}

problem target_too_long(uint32_t target_bytes_max) {
  return make(414, "target_too_long", "The request target is too long",
              "The path and query must not exceed " + std::to_string(target_bytes_max)
                + " bytes");
}

problem headers_too_large(uint32_t head_bytes_max) {
  return make(431, "headers_too_large", "The request's headers are too large",
              "The request line and headers must not exceed " + std::to_string(head_bytes_max)
                + " bytes");
}

problem method_not_implemented() {
  return make(501, "method_not_implemented", "Unknown method",
              "boxoffice answers GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS");
}

problem version_not_supported() {
  return make(505, "http_version_not_supported", "HTTP version not supported",
              "boxoffice speaks HTTP/1.1 and HTTP/1.0");
}

problem too_many_pipelined(uint32_t queued_max) {
  auto p = make(503, "too_many_pipelined_requests", "Too many requests sent ahead",
                "At most " + std::to_string(queued_max)
                  + " pipelined requests wait on one connection; send the rest again");
  p.retry_after_s = retry_after_overloaded_s;
  return p;
}

std::string problem_body(const problem& p) {
  nlohmann::json j{{"type", problem_type(p.code)},
                   {"title", p.title},
                   {"status", p.status},
                   {"detail", p.detail},
                   {"code", p.code}};
  if (!p.owner_node.empty())
    j["owner_node"] = p.owner_node;
  if (!p.owner_address.empty())
    j["owner_address"] = p.owner_address;
  // Client text (a field name) may be bad UTF-8: replace it rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace boxoffice::http
