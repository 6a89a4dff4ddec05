#include "http/queue_codec.h"

#include "http/json_codec.h"

#include <charconv>

namespace boxoffice::http {

using nlohmann::json;

namespace {

json time_or_null(timestamp_ms t) {
  return t ? json(format_time(t)) : json(nullptr);
}

} // namespace

std::string queue_public_id(const queue_ref& ref) {
  return std::to_string(ref.event) + "-" + std::to_string(ref.entry) + "-" + ref.secret;
}

std::optional<queue_ref> parse_queue_id(const std::string& text) {
  auto first = text.find('-');
  auto second = first == std::string::npos ? first : text.find('-', first + 1);
  if (second == std::string::npos || text.size() > 80)
    return std::nullopt;
  auto event = parse_id(text.substr(0, first));
  auto entry = parse_id(text.substr(first + 1, second - first - 1));
  auto secret = text.substr(second + 1);
  if (!event || !entry || secret.empty()
      || secret.find_first_not_of("0123456789abcdef") != std::string::npos)
    return std::nullopt;
  return queue_ref{*event, *entry, secret};
}

json queue_settings_json(const queue_settings& s) {
  return json{{"mode", to_string(s.mode)},
              {"prequeue_at", time_or_null(s.prequeue_at)},
              {"opens_at", time_or_null(s.opens_at)},
              {"rate_per_s", s.rate_per_s},
              {"active_max", s.active_max},
              {"pass_ttl_s", s.pass_ttl_s},
              {"queue_length_max", s.queue_length_max},
              {"paused", s.paused},
              // The commitment is public from the start; the seed once drawn.
              {"lottery",
               s.seed_hash.empty()
                 ? json(nullptr)
                 : json{{"seed_sha256", s.seed_hash},
                        {"seed", s.drawn ? json(s.seed) : json(nullptr)},
                        {"drawn", s.drawn},
                        {"order", "entries sorted by hex SHA-256 of \"<seed>:<entry number>\""}}}};
}

json queue_status_json(const queue_status& s) {
  const auto& e = s.entry;
  bool in_line = e.state == entry_state::waiting || e.state == entry_state::pre_queue;
  json j{{"id", queue_public_id({s.event, e.id, e.secret})},
         {"event_id", std::to_string(s.event)},
         {"state", s.sold_out ? "sold_out" : to_string(e.state)},
         {"position", e.state == entry_state::waiting ? json(s.position) : json(nullptr)},
         {"people_ahead", e.state == entry_state::waiting ? json(s.ahead) : json(nullptr)},
         {"estimated_wait_s", in_line ? json(s.eta_s) : json(nullptr)},
         {"joined_at", format_time(e.joined_at)},
         {"refresh_after_s", s.refresh_after_s}};
  if (e.state == entry_state::admitted)
    j["pass"] = json{{"token", s.pass}, {"expires_at", format_time(e.pass_expires_at)}};
  return j;
}

json queue_room_json(const queue_room_status& s) {
  return json{{"event_id", std::to_string(s.event)},
              {"settings", queue_settings_json(s.settings)},
              {"pre_queue", s.pre_queue},
              {"waiting", s.waiting},
              {"admitted", s.admitted},
              {"admitted_total", s.admitted_total},
              {"sold_out", s.sold_out}};
}

json event_view_json(const event_view& v) {
  auto j = event_json(v.info, &v.sections);
  j["waiting_room"] = queue_settings_json(v.queue);
  return j;
}

sse_event queue_sse_event(const queue_status& s, uint32_t retry_ms) {
  sse_event ev;
  const auto& e = s.entry;
  switch (e.state) {
    case entry_state::admitted:
      ev.name = "admitted";
      ev.id = "admitted-" + std::to_string(e.pass_expires_at);
      break;
    case entry_state::pre_queue:
    case entry_state::waiting:
      // A new estimate is a new event too: the 20 % rule of the estimate
      // (waiting_room.h) holds between what the waiter is shown.
      ev.name = s.sold_out ? "sold_out" : "position";
      ev.id = s.sold_out ? "sold_out"
                         : "position-" + std::to_string(s.position) + "-" + std::to_string(s.eta_s);
      break;
    case entry_state::away:  // skipped; its stream's next poll brings it back
      ev.name = "position";
      ev.id = "away";
      break;
    default:  // used, left, expired, closed, abandoned: the wait is over
      ev.name = "closed";
      ev.id = std::string("closed-") + to_string(e.state);
      ev.last = true;
  }
  auto data = queue_status_json(s);
  ev.text = "event: " + ev.name + "\nid: " + ev.id + "\nretry: " + std::to_string(retry_ms)
            + "\ndata: " + data.dump() + "\n\n";
  return ev;
}

} // namespace boxoffice::http
