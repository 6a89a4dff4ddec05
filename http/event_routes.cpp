// Events and sections: search, read, create and edit (admins), seat maps.
#include "http/api.h"
#include "http/json_codec.h"
#include "http/queue_codec.h"
#include "persistence/query_service.h"

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

constexpr size_t title_bytes_max = 200;
constexpr size_t description_bytes_max = 10000;
constexpr size_t venue_bytes_max = 200;
constexpr size_t name_bytes_max = 100;
constexpr size_t search_bytes_max = 200;
constexpr uint32_t page_size_default = 10;
constexpr uint32_t page_size_max = 100;
constexpr int64_t price_cents_max = 100'000'000'00;  // a hundred million

section_id section_param(const Rest::Request& req) {
  auto id = parse_id(req.param(":section_id").as<std::string>());
  if (!id || *id > UINT32_MAX)
    throw refusal{problem_for(errc::section_not_found, "No section has this id")};
  return static_cast<section_id>(*id);
}

std::string event_location(event_id id) {
  return "/v1/events/" + std::to_string(id);
}

std::optional<sale_status> parse_status(const std::string& text) {
  for (auto s : {sale_status::draft, sale_status::on_sale, sale_status::closed})
    if (text == to_string(s))
      return s;
  return std::nullopt;
}

// The request's If-None-Match, for conditional_reply (read here: the
// request is gone by the time the answer comes).
std::string if_none_match(const Rest::Request& req) {
  auto raw = req.headers().tryGetRaw("If-None-Match");
  return raw ? raw->value() : std::string();
}

void search_events(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::anyone);
  event_search q;
  q.text = req.query().get("q").value_or("");
  if (q.text.size() > search_bytes_max)
    throw refusal{invalid_value("q", "must be at most " + std::to_string(search_bytes_max)
                                       + " bytes")};
  q.include_drafts = who.is_admin();
  q.page = query_count(req, "page", 1, 1'000'000);
  q.page_size = query_count(req, "page_size", page_size_default, page_size_max);
  api.gate->submit(w, ask_worker<event_page>(api.queries, api.gate->timeout(), q,
                                             [q, inm = if_none_match(req)](const event_page& page) {
                                               return conditional_reply(
                                                 json_reply(200, dump(event_page_json(
                                                                   page, q.page, q.page_size))),
                                                 inm);
                                             }));
}

void create_event(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::admin);
  require_json(req);
  body_reader body{req.body()};
  create_event_request msg;
  msg.title = body.text("title", title_bytes_max);
  msg.description = body.optional_text("description", description_bytes_max).value_or("");
  msg.venue = body.optional_text("venue", venue_bytes_max).value_or("");
  msg.starts_at = body.time("starts_at");
  msg.max_tickets_per_customer = static_cast<uint32_t>(
    body.optional_number("max_tickets_per_customer", 1, 10000).value_or(0));
  body.finish();
  submit_write<event_info>(api, req, w, who, std::move(msg), [](const event_info& e) {
    std::vector<section_stats> none;
    return json_reply(201, dump(event_json(e, &none)), event_location(e.id));
  });
}

void get_event(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::anyone);
  event_request msg{event_param(req), who.is_admin()};
  api.gate->submit(w, ask_directory<event_view>(api, msg,
                                                [inm = if_none_match(req)](const event_view& v) {
                                                  return conditional_reply(
                                                    json_reply(200, dump(event_view_json(v))),
                                                    inm);
                                                }));
}

void edit_event(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::admin);
  require_json(req);
  edit_event_request msg;
  msg.event = event_param(req);
  body_reader body{req.body()};
  if (auto v = body.optional_text("title", title_bytes_max, false)) {
    msg.fields |= edit_title;
    msg.title = *v;
  }
  if (auto v = body.optional_text("description", description_bytes_max)) {
    msg.fields |= edit_description;
    msg.description = *v;
  }
  if (auto v = body.optional_text("venue", venue_bytes_max)) {
    msg.fields |= edit_venue;
    msg.venue = *v;
  }
  if (auto v = body.optional_time("starts_at")) {
    msg.fields |= edit_starts_at;
    msg.starts_at = *v;
  }
  if (auto v = body.optional_number("max_tickets_per_customer", 1, 10000)) {
    msg.fields |= edit_max_tickets;
    msg.max_tickets_per_customer = static_cast<uint32_t>(*v);
  }
  if (auto v = body.optional_text("status", 16)) {
    auto status = parse_status(*v);
    if (!status)
      throw refusal{invalid_value("status", "must be draft, on_sale or closed")};
    msg.fields |= edit_status;
    msg.status = *status;
  }
  body.finish();
  if (msg.fields == 0)
    throw refusal{invalid_value("(body)", "names no field to change")};
  submit_write<event_info>(api, req, w, who, std::move(msg), [](const event_info& e) {
    return json_reply(200, dump(event_json(e, nullptr)));
  });
}

void add_section(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::admin);
  require_json(req);
  add_section_request msg;
  msg.event = event_param(req);
  body_reader body{req.body()};
  msg.name = body.text("name", name_bytes_max);
  auto kind = body.text("kind", 16);
  const uint64_t seats_max = api.limits.max_seats_per_section;
  if (kind == "reserved") {
    auto rows = body.number("rows", 1, seats_max);
    auto per_row = body.number("seats_per_row", 1, seats_max);
    if (rows * per_row > seats_max)
      throw refusal{invalid_value("rows", "rows x seats_per_row must be at most "
                                            + std::to_string(seats_max))};
    msg.layout = reserved_layout(static_cast<uint32_t>(rows), static_cast<uint32_t>(per_row));
  } else if (kind == "general") {
    msg.layout = general_layout(static_cast<uint32_t>(body.number("capacity", 1, seats_max)));
  } else {
    throw refusal{invalid_value("kind", "must be reserved or general")};
  }
  msg.price_cents = body.money("price_cents", price_cents_max);
  body.finish();
  auto location = event_location(msg.event);
  submit_write<section_info>(api, req, w, who, std::move(msg), [location](const section_info& s) {
    return json_reply(201, dump(section_json(s, nullptr)),
                      location + "/sections/" + std::to_string(s.id) + "/seats");
  });
}

void get_seat_map(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::anyone);
  seat_map_request msg{event_param(req), section_param(req), who.is_admin()};
  api.gate->submit(w, ask_directory<seat_map>(api, msg,
                                              [inm = if_none_match(req)](const seat_map& m) {
                                                return conditional_reply(
                                                  json_reply(200, seat_map_body(m)), inm);
                                              }));
}

} // namespace

void add_event_routes(std::vector<route>& routes, std::shared_ptr<api_context> api) {
  auto bind = [api](api_handler h) { return bind_api(api, h); };
  routes.push_back({Http::Method::Get, "/v1/events", bind(search_events)});
  routes.push_back({Http::Method::Post, "/v1/events", bind(create_event)});
  routes.push_back({Http::Method::Get, "/v1/events/:event_id", bind(get_event)});
  routes.push_back({Http::Method::Patch, "/v1/events/:event_id", bind(edit_event)});
  routes.push_back({Http::Method::Post, "/v1/events/:event_id/sections", bind(add_section)});
  routes.push_back({Http::Method::Get, "/v1/events/:event_id/sections/:section_id/seats",
                    bind(get_seat_map)});
}

} // namespace boxoffice::http
