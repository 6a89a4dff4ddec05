// Accounts: signup, login, refresh, logout, me. The rules live in
// accounts/service.cpp; here are the wire format and the rate limits, which
// answer before any password is hashed, so guessing stays slow and cheap
// for the server.
#include "accounts/email.h"
#include "accounts/service.h"
#include "http/api.h"
#include "http/json_codec.h"

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

constexpr size_t email_bytes_max = 254;
constexpr size_t token_bytes_max = 256;

problem rate_limited(uint32_t retry_after_s) {
  problem p;
  p.status = 429;
  p.code = "rate_limited";
  p.title = "Too many attempts";
  p.detail = "Too many attempts from this address or for this account; retry later";
  p.retry_after_s = retry_after_s;
  return p;
}

// Both buckets are checked; a refused call takes nothing from the second.
void limit(api_context& api, const Rest::Request& req, const std::string& account_key) {
  auto now = rate_limiter::clock::now();
  if (auto wait = api.per_address.take(api.client_address.of(req), now))
    throw refusal{rate_limited(*wait)};
  if (account_key.empty())
    return;
  if (auto wait = api.per_account.take(account_key, now))
    throw refusal{rate_limited(*wait)};
}

// Past the hashing bound: refused before anything is hashed or stored.
problem auth_busy() {
  problem p;
  p.status = 503;
  p.code = "auth_busy";
  p.title = "Too many sign-ins at once";
  p.detail = "Too many signups and logins are being checked; nothing was changed, retry shortly";
  p.retry_after_s = 1;
  return p;
}

// A place in the hashing bound, held by the job until its answer.
std::shared_ptr<void> hashing_place(api_context& api) {
  auto place = api.hashing->take();
  if (!place)
    throw refusal{auth_busy()};
  return place;
}

// `j`, holding `place` until it answers: `done` carries it, so the place
// lives as long as the job's pending request (or the job, if never run).
job holding(std::shared_ptr<void> place, job j) {
  return [place = std::move(place), j = std::move(j)](caf::event_based_actor* self,
                                                      reply_fn done) {
    j(self, [place, done = std::move(done)](reply r) { done(std::move(r)); });
  };
}

std::string account_key(const std::string& email) {
  return normalise_email(email).value_or(email);
}

reply tokens_reply(const token_pair& t) {
  return not_stored(json_reply(200, dump(json{{"access_token", t.access_token},
                                               {"token_type", "Bearer"},
                                               {"expires_in", t.expires_in_s},
                                               {"refresh_token", t.refresh_token},
                                               {"account", account_json(t.who)}})));
}

// The password is read here and travels only to an account worker; it is
// never logged (the request log has no bodies) and never answered.
std::pair<std::string, std::string> credentials(const Rest::Request& req) {
  require_json(req);
  body_reader body{req.body()};
  auto email = body.text("email", email_bytes_max);
  auto password = body.text("password", account_rules::password_max_bytes);
  body.finish();
  return {std::move(email), std::move(password)};
}

void signup(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto [email, password] = credentials(req);
  limit(api, req, account_key(email));
  auto place = hashing_place(api);
  api.gate->submit(w, holding(std::move(place),
                              ask_worker<account>(api.accounts, api.gate->timeout(),
                                                  signup_request{email, password},
                                                  [](const account& a) {
                                                    return not_stored(json_reply(
                                                      201, dump(account_json(a)), "/v1/me"));
                                                  })));
}

void login(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto [email, password] = credentials(req);
  limit(api, req, account_key(email));
  auto place = hashing_place(api);
  api.gate->submit(w, holding(std::move(place),
                              ask_worker<token_pair>(api.accounts, api.gate->timeout(),
                                                     login_request{email, password},
                                                     tokens_reply)));
}

std::string refresh_token_of(const Rest::Request& req) {
  require_json(req);
  body_reader body{req.body()};
  auto token = body.text("refresh_token", token_bytes_max);
  body.finish();
  return token;
}

void refresh(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto token = refresh_token_of(req);
  limit(api, req, "");
  api.gate->submit(w, ask_worker<token_pair>(api.accounts, api.gate->timeout(),
                                             refresh_request{token}, tokens_reply));
}

void logout(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto token = refresh_token_of(req);
  // Logging out an unknown token changes nothing and says so the same way:
  // 204 either way, so tokens cannot be probed.
  api.gate->submit(w, ask_worker<bool>(api.accounts, api.gate->timeout(), logout_request{token},
                                       [](bool) { return json_reply(204, ""); }));
}

void me(api_context& api, const Rest::Request& req, Http::ResponseWriter& w) {
  auto who = authenticate(req, api, access::account);
  api.gate->submit(w, ask_worker<account>(api.accounts, api.gate->timeout(),
                                          account_request{who.id}, [](const account& a) {
                                            return json_reply(200, dump(account_json(a)));
                                          }));
}

} // namespace

void add_account_routes(std::vector<route>& routes, std::shared_ptr<api_context> api) {
  auto bind = [api](api_handler h) { return bind_api(api, h); };
  routes.push_back({Http::Method::Post, "/v1/auth/signup", bind(signup)});
  routes.push_back({Http::Method::Post, "/v1/auth/login", bind(login)});
  routes.push_back({Http::Method::Post, "/v1/auth/refresh", bind(refresh)});
  routes.push_back({Http::Method::Post, "/v1/auth/logout", bind(logout)});
  routes.push_back({Http::Method::Get, "/v1/me", bind(me)});
}

} // namespace boxoffice::http
