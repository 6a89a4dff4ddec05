// Holds and orders: the caller's own, always. Another customer's hold or
// order answers 404 like one that does not exist, so ids cannot be probed.
#include "http/api.h"
#include "http/json_codec.h"
#include "persistence/query_service.h"

#include <type_traits>

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

constexpr size_t label_bytes_max = 16;
constexpr uint32_t page_size_default = 10;
constexpr uint32_t page_size_max = 100;

hold_ref hold_param(const Rest::Request& req) {
  auto ref = parse_hold_id(req.param(":hold_id").as<std::string>());
  if (!ref)
    throw refusal{problem_for(errc::hold_not_found, "No hold has this id")};
  return *ref;
}

order_ref order_param(const Rest::Request& req) {
  auto ref = parse_order_id(req.param(":order_id").as<std::string>());
  if (!ref)
    throw refusal{problem_for(errc::order_not_found, "No order has this id")};
  return *ref;
}

std::string hold_location(const hold_ref& ref) {
  return "/v1/holds/" + hold_public_id(ref);
}

std::string order_location(const order_ref& ref) {
  return "/v1/orders/" + order_public_id(ref);
}

reply hold_reply(uint16_t status, const hold_info& h) {
  return json_reply(status, hold_body(h), status == 201 ? hold_location(h.ref) : "");
}

// Bodiless POST and DELETE routes accept no body but an empty object.
void no_body(const Rest::Request& req) {
  if (req.body().empty())
    return;
  require_json(req);
  body_reader{req.body()}.finish();
}

void place_hold(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::account);
  require_json(req);
  body_reader body{req.body()};
  hold_request msg;
  msg.event = event_param(req);
  msg.customer = who.id;
  msg.section = static_cast<section_id>(body.number("section_id", 1, UINT32_MAX));
  const auto seats_max = api.limits.max_seats_per_hold;
  bool by_label = body.has("seats");
  bool by_quantity = body.has("quantity");
  if (by_label == by_quantity)
    throw refusal{invalid_field(by_label ? "quantity" : "seats",
                                "give either seats (labels) or quantity, not both")};
  // The other field is absent or null; reading it as optional marks it read.
  if (by_label) {
    msg.seats = body.text_list("seats", seats_max, label_bytes_max);
    if (msg.seats.empty())
      throw refusal{invalid_value("seats", "must name at least one seat")};
    body.optional_number("quantity", 0, 0);
  } else {
    msg.quantity = static_cast<int32_t>(body.number("quantity", 1, seats_max));
    body.optional_text("seats", 0);
  }
  body.finish();
  // While the event's waiting room is on, its actor refuses a hold without
  // a valid admission pass (403 queue_pass_*).
  if (auto pass = req.headers().tryGetRaw("Queue-Pass"))
    msg.pass = pass->value();
  submit_write<hold_info>(api, req, w, who, std::move(msg),
                          [](const hold_info& h) { return hold_reply(201, h); });
}

// GET a hold, or one of the bodiless writes on it (extend, release).
template <class Msg>
void hold_action(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::account);
  auto ref = hold_param(req);
  auto render = [](const hold_info& h) { return hold_reply(200, h); };
  if constexpr (std::is_same_v<Msg, hold_query>) {
    api.gate->submit(w, ask_directory<hold_info>(api, Msg{ref, who.id}, render));
  } else {
    no_body(req);
    submit_write<hold_info>(api, req, w, who, Msg{ref, who.id, {}}, render);
  }
}

void get_hold(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  hold_action<hold_query>(api, req, w);
}

void extend_hold(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  hold_action<extend_request>(api, req, w);
}

void release_hold(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  hold_action<release_request>(api, req, w);
}

void purchase_hold(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::account);
  no_body(req);
  purchase_request msg{hold_param(req), who.id, {}};
  submit_write<order_info>(api, req, w, who, msg, [](const order_info& o) {
    return json_reply(201, dump(order_json(o)), order_location(o.ref));
  });
}

void cancel_order(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::account);
  no_body(req);
  cancel_request msg{order_param(req), who.id, {}};
  submit_write<order_info>(api, req, w, who, msg, [](const order_info& o) {
    auto j = order_json(o);
    j["status"] = "cancelled";
    return json_reply(200, dump(j));
  });
}

void list_orders(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::account);
  auto page = query_count(req, "page", 1, 1'000'000);
  auto page_size = query_count(req, "page_size", page_size_default, page_size_max);
  orders_request msg{who.id, page_size, (page - 1) * page_size};
  api.gate->submit(w, ask_worker<orders_page>(api.queries, api.gate->timeout(), msg,
                                              [page, page_size](const orders_page& p) {
                                                json items = json::array();
                                                for (const auto& o : p.orders)
                                                  items.push_back(stored_order_json(o));
                                                return json_reply(
                                                  200, dump(json{{"items", std::move(items)},
                                                                 {"page", page},
                                                                 {"page_size", page_size},
                                                                 {"total", p.total}}));
                                              }));
}

void get_order(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::account);
  auto ref = order_param(req);
  order_lookup msg{who.id, ref.event, ref.section, ref.order};
  api.gate->submit(w, ask_worker<stored_order>(api.queries, api.gate->timeout(), msg,
                                               [](const stored_order& o) {
                                                 return json_reply(200,
                                                                   dump(stored_order_json(o)));
                                               }));
}

} // namespace

void add_hold_routes(std::vector<route>& routes, std::shared_ptr<api_context> api) {
  auto bind = [api](api_handler h) { return bind_api(api, h); };
  routes.push_back({Http::Method::Post, "/v1/events/:event_id/holds", bind(place_hold)});
  routes.push_back({Http::Method::Get, "/v1/holds/:hold_id", bind(get_hold)});
  routes.push_back({Http::Method::Post, "/v1/holds/:hold_id/extend", bind(extend_hold)});
  routes.push_back({Http::Method::Delete, "/v1/holds/:hold_id", bind(release_hold)});
  routes.push_back({Http::Method::Post, "/v1/holds/:hold_id/purchase", bind(purchase_hold)});
  routes.push_back({Http::Method::Get, "/v1/orders", bind(list_orders)});
  routes.push_back({Http::Method::Get, "/v1/orders/:order_id", bind(get_order)});
  routes.push_back({Http::Method::Post, "/v1/orders/:order_id/cancel", bind(cancel_order)});
}

} // namespace boxoffice::http
