// The waiting room's JSON (issue 15): entries, the operator's view of a
// room, and the Server-Sent Events of a stream. An entry's public id is
// "<event>-<entry>-<secret>": whoever knows it may read, stream or leave the
// entry, so a browser's EventSource (which sends no Authorization) works.
#pragma once

#include "actors/protocol.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace boxoffice::http {

std::string queue_public_id(const queue_ref& ref);
std::optional<queue_ref> parse_queue_id(const std::string& text);

nlohmann::json queue_settings_json(const queue_settings& s);
nlohmann::json queue_status_json(const queue_status& s);
nlohmann::json queue_room_json(const queue_room_status& s);
// An event with its sections and its waiting room's settings.
nlohmann::json event_view_json(const event_view& v);

// One Server-Sent Event for `s`: its name (position, admitted, sold_out,
// closed) and its id, which names what the client has seen, so that a
// reconnect with Last-Event-ID gets only what changed.
struct sse_event {
  std::string name;
  std::string id;
  std::string text;  // the whole event, "event: ...\nid: ...\ndata: ...\n\n"
  bool last = false; // nothing follows it: the stream ends
};
sse_event queue_sse_event(const queue_status& s, uint32_t retry_ms);

} // namespace boxoffice::http
