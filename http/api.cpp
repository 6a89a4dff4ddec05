#include "http/api.h"

#include "actors/wall_clock.h"
#include "http/idempotency.h"
#include "http/json_codec.h"
#include "http/response.h"
#include "persistence/query_service.h"
#include "telemetry/metrics.h"

#include <chrono>

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

problem unauthorized(std::string code, std::string detail) {
  problem p;
  p.status = 401;
  p.code = std::move(code);
  p.title = "Authentication required";
  p.detail = std::move(detail);
  return p;
}

std::optional<std::string> bearer_token(const Rest::Request& req) {
  auto header = req.headers().tryGet<Http::Header::Authorization>();
  if (!header)
    return std::nullopt;
  auto value = header->value();
  constexpr std::string_view scheme = "Bearer ";
  if (value.size() <= scheme.size())
    return std::string{};
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(value[i]))
        != std::tolower(static_cast<unsigned char>(scheme[i])))
      return std::string{};
  return value.substr(scheme.size());
}

} // namespace

api_context::api_context(const settings& s, std::shared_ptr<const token_signer> token_signer)
    : signer(std::move(token_signer)),
      per_address(s.auth.attempts_per_address_per_min, s.auth.rate_limit_keys_max),
      per_account(s.auth.attempts_per_account_per_min, s.auth.rate_limit_keys_max),
      client_address(s.http.trusted_proxies),
      limits(s.reservation),
      streams{s.http.queue_heartbeat_s, s.http.queue_stream_poll_ms, s.http.queue_streams_max,
              std::max<uint32_t>(1, s.http.keepalive_timeout_s / 2)},
      hashing(std::make_shared<hash_slots>(s.auth.workers + s.auth.hash_queue_max)) {}

caller authenticate(const Rest::Request& req, const api_context& api, access need) {
  auto token = bearer_token(req);
  if (!token) {
    if (need == access::anyone)
      return caller{};
    throw refusal{unauthorized("unauthorized", "This request needs an access token: "
                                               "Authorization: Bearer <token>")};
  }
  auto verified = api.signer->verify(*token, system_clock_ms() / 1000);
  if (auto* error = std::get_if<token_error>(&verified)) {
    if (*error == token_error::expired)
      throw refusal{unauthorized("token_expired", "The access token has expired; refresh it")};
    throw refusal{unauthorized("invalid_token", "The access token is not valid")};
  }
  const auto& claims = std::get<access_claims>(verified);
  caller who{claims.account, claims.role};
  if (need == access::admin && !who.is_admin()) {
    problem p;
    p.status = 403;
    p.code = "forbidden";
    p.title = "Not allowed";
    p.detail = "This request needs an admin account";
    throw refusal{p};
  }
  return who;
}

void require_json(const Rest::Request& req) {
  auto ct = req.headers().tryGet<Http::Header::ContentType>();
  if (!ct || ct->mime().top() != Http::Mime::Type::Application
      || ct->mime().sub() != Http::Mime::Subtype::Json)
    throw refusal{unsupported_media_type("application/json")};
}

event_id event_param(const Rest::Request& req) {
  auto id = parse_id(req.param(":event_id").as<std::string>());
  if (!id)
    throw refusal{problem_for(errc::event_not_found, "No event has this id")};
  return *id;
}

uint32_t query_count(const Rest::Request& req, const char* name, uint32_t fallback,
                     uint32_t max) {
  auto text = req.query().get(name);
  if (!text || text->empty())
    return fallback;
  auto value = parse_id(*text);
  if (!value || *value > max)
    throw refusal{invalid_value(name, "must be a whole number from 1 to " + std::to_string(max))};
  return static_cast<uint32_t>(*value);
}

answer_key idempotency_key(const Rest::Request& req, const caller& who) {
  auto key = req.headers().tryGetRaw("Idempotency-Key");
  if (!key || req.method() == Http::Method::Get)
    return {};
  const auto& value = key->value();
  bool printable = std::all_of(value.begin(), value.end(),
                               [](unsigned char c) { return c >= 0x21 && c <= 0x7e; });
  if (value.empty() || value.size() > idempotency_key_bytes_max || !printable)
    throw refusal{invalid_field("Idempotency-Key", "must be 1 to "
                                                     + std::to_string(idempotency_key_bytes_max)
                                                     + " visible ASCII characters")};
  return {who.id, value,
          request_fingerprint(Http::methodString(req.method()), req.resource(), req.body())};
}

namespace {

problem not_ready(std::string reason) {
  auto p = unavailable(std::move(reason));
  p.code = "not_ready";
  p.title = "Not ready";
  p.retry_after_s = 1;
  return p;
}

// Ready: the database answers (through a query worker, which connects and
// migrates on first use) and so does the directory (an unknown event's
// "not found" proves it is up).
job readiness_check(const api_context& api) {
  auto dir = api.directory;
  auto queries = api.queries;
  auto timeout = api.gate->timeout();
  return [=](caf::event_based_actor* self, reply_fn done) {
    auto fail = [done](std::string reason) { done(problem_reply(not_ready(std::move(reason)))); };
    self->request(queries, timeout, ping_request{})
      .then(
        [=](bool) {
          self->request(dir, timeout, event_request{})
            .then([=](event_view&) { done(json_reply(200, R"({"status":"ready"})")); },
                  [=](caf::error& err) {
                    if (to_errc(err) == errc::event_not_found)
                      done(json_reply(200, R"({"status":"ready"})"));
                    else
                      fail("The reservation actors do not answer: "
                           + self->system().render(err));
                  });
        },
        [=](caf::error& err) {
          fail("The database is unreachable: " + self->system().render(err));
        });
  };
}

} // namespace

route_handler bind_api(std::shared_ptr<api_context> api, api_handler h) {
  return [api, h](const Rest::Request& req, Http::ResponseWriter& w) { h(*api, req, w); };
}

std::vector<route> api_routes(std::shared_ptr<api_context> api) {
  std::vector<route> routes{
    {Http::Method::Get, "/v1/health", get_health},
    {Http::Method::Get, "/v1/ready",
     [api](const Rest::Request&, Http::ResponseWriter& w) {
       if (!api->started.load())
         return send_problem(w, not_ready("The server is starting"));
       if (api->gate->closed())
         return send_problem(w, not_ready("The server is shutting down"));
       api->gate->submit(w, readiness_check(*api));
     }},
    {Http::Method::Get, "/metrics",
     [](const Rest::Request&, Http::ResponseWriter& w) {
       send_body(w, Http::Code::Ok, "text/plain; version=0.0.4; charset=utf-8",
                 metrics::default_registry().render());
     }},
    {Http::Method::Get, "/v1/openapi.json", get_openapi},
  };
  add_event_routes(routes, api);
  add_hold_routes(routes, api);
  add_account_routes(routes, api);
  add_queue_routes(routes, api);
  add_cluster_routes(routes, api);
  add_web_routes(routes);
  return routes;
}

} // namespace boxoffice::http
