#include "http/idempotency.h"

#include "accounts/tokens.h"
#include "actors/protocol.h"
#include "actors/wall_clock.h"
#include "http/problem.h"
#include "persistence/account_store.h"
#include "persistence/worker.h"

#include <spdlog/spdlog.h>

#include <map>
#include <memory>

namespace boxoffice::http {

namespace {

using key_t = std::pair<customer_id, std::string>;

struct idem_begin {
  customer_id scope = 0;
  std::string key;
  std::string fingerprint;
};

// replay: send `answer` again (or, when actors_answer is set, that reply
// rendered by the route); otherwise run the request.
struct idem_verdict {
  bool replay = false;
  reply answer;
  std::string actors_answer;
};

// keep: false when the journal has committed the answer already.
// journaled: the actors commit this route's 2xx answers themselves.
struct idem_finish {
  customer_id scope = 0;
  std::string key;
  std::string fingerprint;
  reply answer;
  bool keep = true;
  bool journaled = false;
};

// To the detached store worker.
struct idem_find {
  customer_id scope = 0;
  std::string key;
  timestamp_ms not_before = 0;
};
struct idem_found {
  std::optional<idempotency_record> record;
};
// journaled: keep a record already there and answer with it (idem_found).
struct idem_save {
  idempotency_record record;
  bool journaled = false;
};
struct idem_prune {
  timestamp_ms before = 0;
};

} // namespace
} // namespace boxoffice::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::http::idem_begin)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::http::idem_verdict)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::http::idem_finish)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::http::idem_find)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::http::idem_found)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::http::idem_save)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::http::idem_prune)

namespace boxoffice::http {

namespace {

// --- The store worker (detached: it blocks on the database) ---------------------

struct store_state {
  std::unique_ptr<account_store> store;
};

caf::behavior store_worker(caf::stateful_actor<store_state>* self, std::string url) {
  self->state.store = std::make_unique<account_store>(url);
  return {
    [=](const idem_find& q) {
      return store_call<idem_found>("idempotency find", [&] {
        auto found = self->state.store->find_idempotency(q.scope, q.key, q.not_before);
        if (!found)  // an expired record would make the journal refuse the key
          self->state.store->forget_idempotency(q.scope, q.key, q.not_before);
        return idem_found{std::move(found)};
      });
    },
    [=](const idem_save& q) {
      return store_call<idem_found>("idempotency save", [&] {
        auto& db = *self->state.store;
        db.save_idempotency(q.record, q.journaled);
        if (!q.journaled)
          return idem_found{};
        auto kept = db.find_idempotency(q.record.scope, q.record.key, 0);
        if (kept && kept->answer.empty())
          kept.reset();  // ours (or a refusal's): the answer as sent stands
        return idem_found{std::move(kept)};
      });
    },
    [=](const idem_prune& q) {
      return store_call<uint64_t>("idempotency prune", [&] { return self->state.store->prune_idempotency(q.before); });
    },
  };
}

// --- The keeper ------------------------------------------------------------------

struct keeper_state {
  static inline const char* name = "boxoffice.idempotency";
  idempotency_settings settings;
  // Keys whose first request runs, with when it began. The entry stays
  // after the client got its 503 at the deadline, until the job's own answer
  // (idem_finish); a job that never finishes (its gateway actor ended)
  // leaves its key, taken as abandoned past the lease, which outlasts
  // keyed_write_timeout so a live job always answers first.
  std::map<key_t, timestamp_ms> running;
  timestamp_ms lease_ms = 0;
  caf::actor worker;
};

using keeper_ptr = caf::stateful_actor<keeper_state>*;

reply replayed(const idempotency_record& rec) {
  reply r;
  r.status = rec.status;
  r.content_type = rec.content_type;
  r.location = rec.location;
  r.body = rec.body;
  return r;
}

caf::result<idem_verdict> begin(keeper_ptr self, const idem_begin& req) {
  auto& st = self->state;
  key_t k{req.scope, req.key};
  auto now = system_clock_ms();
  auto i = st.running.find(k);
  if (i != st.running.end() && now - i->second < st.lease_ms)
    return make_error(errc::idempotency_key_in_use);
  if (i == st.running.end() && st.running.size() >= st.settings.in_flight_max)
    return make_error(errc::overloaded);
  st.running[k] = now;
  auto rp = self->make_response_promise<idem_verdict>();
  auto not_before = now - int64_t{st.settings.ttl_s} * 1000;
  self->request(st.worker, caf::infinite, idem_find{req.scope, req.key, not_before})
    .then(
      [=](const idem_found& found) mutable {
        if (!found.record) {
          rp.deliver(idem_verdict{false, {}, {}});
        } else if (found.record->fingerprint != req.fingerprint) {
          self->state.running.erase(k);
          rp.deliver(make_error(errc::idempotency_key_reused));
        } else {
          self->state.running.erase(k);
          rp.deliver(idem_verdict{true, replayed(*found.record), found.record->answer});
        }
      },
      [=](caf::error& err) mutable {
        self->state.running.erase(k);
        rp.deliver(std::move(err));
      });
  return rp;
}

// Answers replay when the journal committed an answer for the key while
// this attempt ran (a retry that ran beside a first attempt the client gave
// up on): the client gets that answer, not this attempt's refusal.
caf::result<idem_verdict> finish(keeper_ptr self, const idem_finish& req) {
  key_t k{req.scope, req.key};
  if (!req.keep || !worth_keeping(req.answer)) {
    self->state.running.erase(k);
    return idem_verdict{};
  }
  idempotency_record rec;
  rec.scope = req.scope;
  rec.key = req.key;
  rec.fingerprint = req.fingerprint;
  rec.status = req.answer.status;
  rec.content_type = req.answer.content_type;
  rec.location = req.answer.location;
  rec.body = req.answer.body;
  rec.created_at = system_clock_ms();
  auto rp = self->make_response_promise<idem_verdict>();
  // The key stays running until the answer is stored, so a repeat meanwhile
  // is told "in use" rather than running the request a second time.
  self->request(self->state.worker, caf::infinite, idem_save{std::move(rec), req.journaled})
    .then(
      [=](const idem_found& kept) mutable {
        self->state.running.erase(k);
        if (kept.record && kept.record->fingerprint == req.fingerprint)
          rp.deliver(idem_verdict{true, replayed(*kept.record), kept.record->answer});
        else
          rp.deliver(idem_verdict{});
      },
      [=](caf::error&) mutable {
        // The answer still goes out; only a later repeat cannot replay it.
        self->state.running.erase(k);
        rp.deliver(idem_verdict{});
      });
  return rp;
}

constexpr std::chrono::minutes prune_interval{10};

caf::behavior keeper(keeper_ptr self, std::string url, idempotency_settings settings,
                     std::chrono::milliseconds request_timeout, thread_model model) {
  auto& st = self->state;
  st.settings = settings;
  st.lease_ms = keyed_write_timeout(request_timeout).count() + 2 * request_timeout.count();
  st.worker = model == thread_model::detached
                ? self->spawn<caf::detached + caf::linked>(store_worker, url)
                : self->spawn<caf::linked>(store_worker, url);
  self->delayed_send(self, prune_interval, sweep_atom::value);
  return {
    [=](const idem_begin& req) { return begin(self, req); },
    [=](const idem_finish& req) { return finish(self, req); },
    [=](sweep_atom) {
      auto before = system_clock_ms() - int64_t{self->state.settings.ttl_s} * 1000;
      self->request(self->state.worker, caf::infinite, idem_prune{before})
        .then([](uint64_t) {}, [](caf::error&) {});
      self->delayed_send(self, prune_interval, sweep_atom::value);
    },
  };
}

} // namespace

std::chrono::milliseconds keyed_write_timeout(std::chrono::milliseconds request_timeout) {
  return 10 * request_timeout + std::chrono::milliseconds{1000};
}

bool worth_keeping(const reply& r) {
  // "Try again" answers are not the request's outcome; everything else is,
  // refusals included (a repeat of a refused purchase is refused again).
  return r.status < 500 && r.status != 429;
}

caf::actor spawn_idempotency(caf::actor_system& sys, const std::string& database_url,
                             const idempotency_settings& settings,
                             std::chrono::milliseconds request_timeout, thread_model model) {
  return sys.spawn(keeper, database_url, settings, request_timeout, model);
}

std::string request_fingerprint(const std::string& method, const std::string& resource,
                                const std::string& body) {
  return token_digest(method + ' ' + resource + '\n' + body);
}

namespace {

// The kept answer of a repeat, as the client got it the first time.
reply replay_of(idem_verdict& verdict, const answer_renderer& journaled) {
  if (verdict.actors_answer.empty())
    return std::move(verdict.answer);
  auto rendered = journaled ? journaled(verdict.actors_answer) : std::nullopt;
  if (rendered)
    return std::move(*rendered);
  // Only another route's answer under the same fingerprint could get here.
  spdlog::error("idempotency: a kept answer cannot be rendered by this route");
  return problem_reply(internal_error());
}

bool committed_answer(const reply& r) {
  return r.status >= 200 && r.status < 300;
}

} // namespace

job with_idempotency(caf::actor keeper_actor, customer_id scope, std::string key,
                     std::string fingerprint, std::chrono::milliseconds timeout, job inner,
                     answer_renderer journaled) {
  return [=](caf::event_based_actor* self, reply_fn done) {
    self->request(keeper_actor, timeout, idem_begin{scope, key, fingerprint})
      .then(
        [=](idem_verdict& verdict) {
          if (verdict.replay)
            return done(replay_of(verdict, journaled));
          inner(self, [=](reply answer) {
            bool keep = !journaled || !committed_answer(answer);
            self->request(keeper_actor, timeout,
                          idem_finish{scope, key, fingerprint, answer, keep, bool(journaled)})
              .then(
                [=](idem_verdict& kept) {
                  done(kept.replay ? replay_of(kept, journaled) : answer);
                },
                [=](caf::error&) { done(answer); });
          });
        },
        [=](caf::error& err) { done(error_reply(err)); });
  };
}

} // namespace boxoffice::http
