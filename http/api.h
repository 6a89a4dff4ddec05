// What the API routes need, in one object shared by every handler: the
// directory (reservations), the account and query workers, the idempotency
// keeper, the gateway into the actors, the token signer and the rate
// limiters. Handlers run on Pistache threads: they authenticate, parse and
// check the request there (answering 4xx at once), then submit a job to the
// gateway and return.
#pragma once

#include "accounts/account.h"
#include "accounts/rate_limiter.h"
#include "accounts/tokens.h"
#include "actors/answer_codec.h"
#include "actors/limits.h"
#include "actors/protocol.h"
#include "config/settings.h"
#include "http/client_address.h"
#include "http/gateway.h"
#include "http/hash_slots.h"
#include "http/idempotency.h"
#include "http/queue_stream_limits.h"
#include "http/routes.h"

#include <atomic>
#include <memory>
#include <string>

namespace boxoffice::http {

struct api_context {
  api_context(const settings& s, std::shared_ptr<const token_signer> token_signer);

  directory_actor directory;
  caf::actor accounts;     // accounts/service.h
  caf::actor queries;      // persistence/query_service.h
  caf::actor idempotency;  // http/idempotency.h
  caf::actor cluster;      // cluster mode: cluster/ownership_actor.h; null on a single node
  std::unique_ptr<gateway> gate;
  std::shared_ptr<const token_signer> signer;
  rate_limiter per_address;  // keyed by client_address
  rate_limiter per_account;
  client_address_rule client_address;
  reservation_limits limits;
  stream_limits streams;  // the waiting room's event streams (queue_stream.h)
  std::shared_ptr<hash_slots> hashing;  // signups and logins at once (hash_slots.h)
  std::atomic<bool> started{false};  // set once every actor is up
};

// Who is calling: an account from a valid access token, or nobody.
struct caller {
  customer_id id = 0;  // 0: no token
  account_role role = account_role::customer;
  bool is_admin() const { return id != 0 && role == account_role::admin; }
};

enum class access { anyone, account, admin };

// The caller of req, as `need` requires. Throws refusal: 401 (no token, or a
// token that is malformed, wrongly signed, of another algorithm or
// expired), 403 (a customer on an admin route). A present but invalid token
// is refused even where none is needed.
caller authenticate(const Pistache::Rest::Request& req, const api_context& api, access need);

// Throws refusal 415 unless the request says Content-Type: application/json.
void require_json(const Pistache::Rest::Request& req);

// The :event_id path parameter; throws refusal 404 event_not_found when it
// is not an id.
event_id event_param(const Pistache::Rest::Request& req);

// A whole-number query parameter from 1 to max; `fallback` when absent.
// Throws refusal 422 otherwise.
uint32_t query_count(const Pistache::Rest::Request& req, const char* name, uint32_t fallback,
                     uint32_t max);

// The Idempotency-Key of a write, for this caller, with the request's
// fingerprint; an empty key when there is none (or on a GET). Throws
// refusal 400 for a bad key.
answer_key idempotency_key(const Pistache::Rest::Request& req, const caller& who);

// A job that asks the directory and renders its answer; `wait` replaces
// the gateway's timeout (keyed writes, keyed_write_timeout).
template <class Reply, class Msg, class Render>
job ask_directory(const api_context& api, Msg msg, Render render,
                  std::optional<std::chrono::milliseconds> wait = std::nullopt) {
  auto dir = api.directory;
  auto timeout = wait.value_or(api.gate->timeout());
  return [dir, timeout, msg = std::move(msg), render](caf::event_based_actor* self,
                                                      reply_fn done) {
    self->request(dir, timeout, msg)
      .then([done, render](Reply& r) { done(render(r)); },
            [done](caf::error& err) { done(error_reply(err)); });
  };
}

// Submits a write that the actors commit (holds, orders, events, sections);
// a keyed one goes through the keeper (replay, 409 in use, 422 reused) and carries its key in `msg`: the
// actor commits its answer with the change, so that a retry after a crash gets that answer rather than a
// second change, and `render` renders it again for a repeat.
template <class Reply, class Msg, class Render>
void submit_write(api_context& api, const Pistache::Rest::Request& req,
                  Pistache::Http::ResponseWriter& w, const caller& who, Msg msg, Render render) {
  msg.answer = idempotency_key(req, who);
  auto key = msg.answer;
  if (key.key.empty()) {
    api.gate->submit(w, ask_directory<Reply>(api, std::move(msg), render));
    return;
  }
  // Keyed: wait for the actors' own answer, past the client's 503 at the
  // deadline, so the keeper learns whether the change committed.
  auto j = ask_directory<Reply>(api, std::move(msg), render,
                                keyed_write_timeout(api.gate->timeout()));
  answer_renderer replay = [render](const std::string& answer) -> std::optional<reply> {
    auto r = decode_answer<Reply>(answer);
    if (!r)
      return std::nullopt;
    return render(*r);
  };
  api.gate->submit(w, with_idempotency(api.idempotency, key.scope, std::move(key.key),
                                       std::move(key.fingerprint), api.gate->timeout(),
                                       std::move(j), std::move(replay)));
}

// A job that asks an untyped worker pool (accounts, queries).
template <class Reply, class Msg, class Render>
job ask_worker(caf::actor worker, std::chrono::milliseconds timeout, Msg msg, Render render) {
  return [worker, timeout, msg = std::move(msg), render](caf::event_based_actor* self,
                                                         reply_fn done) {
    self->request(worker, timeout, msg)
      .then([done, render](Reply& r) { done(render(r)); },
            [done](caf::error& err) { done(error_reply(err)); });
  };
}

using api_handler = void (*)(api_context&, const Pistache::Rest::Request&,
                             Pistache::Http::ResponseWriter&);
route_handler bind_api(std::shared_ptr<api_context> api, api_handler h);

// The route groups (event_routes.cpp, hold_routes.cpp, account_routes.cpp).
void add_event_routes(std::vector<route>& routes, std::shared_ptr<api_context> api);
void add_hold_routes(std::vector<route>& routes, std::shared_ptr<api_context> api);
void add_account_routes(std::vector<route>& routes, std::shared_ptr<api_context> api);
void add_queue_routes(std::vector<route>& routes, std::shared_ptr<api_context> api);
void add_cluster_routes(std::vector<route>& routes, std::shared_ptr<api_context> api);
// The web pages at / and /web/{file} (web_routes.cpp).
void add_web_routes(std::vector<route>& routes);

// Every route of the API, health and readiness included.
std::vector<route> api_routes(std::shared_ptr<api_context> api);

} // namespace boxoffice::http
