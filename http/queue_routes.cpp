// The waiting room's routes (issue 15). Customers join with their token and
// then use the entry's id (a capability, see queue_codec.h) to poll, stream
// and leave; admins read and change an event's room. Everything is answered
// by the event's actor, through the directory.
#include "http/api.h"
#include "http/json_codec.h"
#include "http/queue_codec.h"
#include "http/queue_stream.h"

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

queue_ref entry_param(const Rest::Request& req) {
  auto ref = parse_queue_id(req.param(":entry_id").as<std::string>());
  if (!ref)
    throw refusal{problem_for(errc::queue_entry_not_found, "No queue entry has this id")};
  return *ref;
}

reply status_reply(uint16_t status, const queue_status& s) {
  auto location = status == 201 ? "/v1/queue/" + queue_public_id({s.event, s.entry.id,
                                                                   s.entry.secret})
                                : std::string{};
  // The body carries the pass: no cache may keep it.
  return not_stored(json_reply(status, dump(queue_status_json(s)), location));
}

void join_queue(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::account);
  if (!req.body().empty()) {
    require_json(req);
    body_reader{req.body()}.finish();
  }
  queue_join_request msg{event_param(req), who.id, {}};
  // One place per account: a repeated join answers 200 with the same entry.
  submit_write<queue_status>(api, req, w, who, std::move(msg), [](const queue_status& s) {
    return status_reply(s.fresh ? 201 : 200, s);
  });
}

void get_entry(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  queue_status_request msg{entry_param(req)};
  api.gate->submit(w, ask_directory<queue_status>(
                        api, msg, [](const queue_status& s) { return status_reply(200, s); }));
}

void leave_queue(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  queue_leave_request msg{entry_param(req)};
  api.gate->submit(w, ask_directory<queue_status>(
                        api, msg, [](const queue_status& s) { return status_reply(200, s); }));
}

reply room_reply(const queue_room_status& s) {
  return not_stored(json_reply(200, dump(queue_room_json(s))));
}

void get_room(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  authenticate(req, api, access::admin);
  queue_settings_query msg{event_param(req)};
  api.gate->submit(w, ask_directory<queue_room_status>(api, msg, room_reply));
}

void configure_room(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::admin);
  require_json(req);
  body_reader body{req.body()};
  queue_settings_request msg;
  msg.event = event_param(req);
  auto& s = msg.settings;
  if (auto mode = body.optional_text("mode", 16)) {
    if (!parse_queue_mode(*mode, s.mode))
      throw refusal{invalid_value("mode", "must be off, queue or safety_net")};
    msg.fields |= queue_mode_field;
  }
  if (auto t = body.optional_time("prequeue_at")) {
    s.prequeue_at = *t;
    msg.fields |= queue_prequeue_at_field;
  }
  if (auto t = body.optional_time("opens_at")) {
    s.opens_at = *t;
    msg.fields |= queue_opens_at_field;
  }
  auto number = [&](const char* field, uint32_t& into, uint32_t bit) {
    if (auto n = body.optional_number(field, 1, UINT32_MAX)) {
      into = static_cast<uint32_t>(*n);
      msg.fields |= bit;
    }
  };
  number("rate_per_s", s.rate_per_s, queue_rate_field);
  number("active_max", s.active_max, queue_active_max_field);
  number("pass_ttl_s", s.pass_ttl_s, queue_pass_ttl_field);
  number("queue_length_max", s.queue_length_max, queue_length_max_field);
  if (auto paused = body.optional_flag("paused")) {
    s.paused = *paused;
    msg.fields |= queue_paused_field;
  }
  body.finish();
  submit_write<queue_room_status>(api, req, w, who, std::move(msg), room_reply);
}

} // namespace

void add_queue_routes(std::vector<route>& routes, std::shared_ptr<api_context> api) {
  auto bind = [api](api_handler h) { return bind_api(api, h); };
  routes.push_back({Http::Method::Post, "/v1/events/:event_id/queue", bind(join_queue)});
  routes.push_back({Http::Method::Get, "/v1/events/:event_id/queue", bind(get_room)});
  routes.push_back({Http::Method::Patch, "/v1/events/:event_id/queue", bind(configure_room)});
  routes.push_back({Http::Method::Get, "/v1/queue/:entry_id", bind(get_entry)});
  routes.push_back({Http::Method::Delete, "/v1/queue/:entry_id", bind(leave_queue)});
  routes.push_back({Http::Method::Get, "/v1/queue/:entry_id/stream",
                    [api](const Rest::Request& req, Http::ResponseWriter& w) {
                      open_queue_stream(*api, entry_param(req), req, w);
                    }});
}

} // namespace boxoffice::http
