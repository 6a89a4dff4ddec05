// The JSON face of the domain: how events, sections, seat maps, holds,
// orders and accounts look on the wire, how public ids and times are
// written, and how request bodies are read with an error that names the
// field. Plain functions; no actors, no I/O.
//
// Wire conventions (http/openapi.json, the OpenAPI document, says the same):
// - times are RFC 3339 in UTC with milliseconds: "2026-12-01T20:00:00.000Z";
// - hold and order ids are "<event>-<section>-<number>" strings: a hold
//   lives in its section, so its id says where;
// - money is integer cents.
#pragma once

#include "accounts/account.h"
#include "actors/protocol.h"
#include "http/problem.h"
#include "persistence/query_store.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace boxoffice::http {

using json = nlohmann::json;

// --- Times and ids ------------------------------------------------------------

std::string format_time(timestamp_ms t);
// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)"; nullopt otherwise.
std::optional<timestamp_ms> parse_time(std::string_view text);

std::string hold_public_id(const hold_ref& ref);
std::string order_public_id(const order_ref& ref);
// Strict: three decimal numbers without signs or leading zeros.
std::optional<hold_ref> parse_hold_id(std::string_view text);
std::optional<order_ref> parse_order_id(std::string_view text);
// A decimal id > 0 without sign or leading zero (path parameters).
std::optional<uint64_t> parse_id(std::string_view text);

// --- Responses ------------------------------------------------------------------

json section_json(const section_info& s, const section_stats* stats);
// Sections only when the view has them (GET one event); a list has none.
json event_json(const event_info& e, const std::vector<section_stats>* stats);
json event_page_json(const event_page& page, uint32_t page_number, uint32_t page_size);
// Rows as strings of seat states, one character per seat ('f' free, 'h'
// held, 's' sold), so a 1,000-seat map is about 1.5 KB.
json order_json(const order_info& o);
json stored_order_json(const stored_order& o);
json account_json(const account& a);

// The response body text; invalid UTF-8 from storage is replaced, never thrown.
std::string dump(const json& j);

// A seat map and a hold, written straight into one string (keys sorted, as
// dump() writes them): these answer the hot routes, where building a json
// tree and freeing it cost more than the rest of the request (perf: 45 % of
// the seat map's server CPU). tests/http/json_codec_test.cpp holds them to
// the tree form byte for byte.
std::string seat_map_body(const seat_map& map);
std::string hold_body(const hold_info& h);

// --- Requests ------------------------------------------------------------------

// A parsed JSON object body whose fields are read by name. Every read names
// the field in its error: wrong type 400 (invalid_field), a value out of
// range 422 (invalid_value). finish() refuses fields nobody read (400), so a
// misspelled field is an error, not silently ignored.
class body_reader {
public:
  // Throws refusal: not JSON (400 malformed_json, also bad UTF-8), or not an
  // object (400 invalid_field). An empty body is an empty object when
  // empty_is_object.
  explicit body_reader(std::string_view body, bool empty_is_object = false);

  bool has(const char* field) const;
  std::string text(const char* field, size_t max_bytes, bool allow_empty = false);
  std::optional<std::string> optional_text(const char* field, size_t max_bytes,
                                           bool allow_empty = true);
  uint64_t number(const char* field, uint64_t min, uint64_t max);
  std::optional<uint64_t> optional_number(const char* field, uint64_t min, uint64_t max);
  int64_t money(const char* field, int64_t max);  // cents, 0..max
  timestamp_ms time(const char* field);
  std::optional<timestamp_ms> optional_time(const char* field);
  std::optional<bool> optional_flag(const char* field);
  std::vector<std::string> text_list(const char* field, size_t max_items, size_t max_bytes);
  void finish();

private:
  const json& get(const char* field);
  // nullopt (the field counted as read) when absent or null; read() otherwise.
  template <class Read>
  auto optional(const char* field, Read read) -> std::optional<decltype(read())> {
    if (!has(field)) {
      read_.emplace_back(field);
      return std::nullopt;
    }
    return read();
  }
  json object_;
  std::vector<std::string> read_;
};

problem invalid_field(std::string_view field, std::string_view what);  // 400
problem invalid_value(std::string_view field, std::string_view what);  // 422

} // namespace boxoffice::http
