#include "http/gateway.h"

#include "actors/protocol.h"
#include "http/headers.h"
#include "http/response.h"
#include "http/request_trace.h"
#include "telemetry/metrics.h"

#include <caf/all.hpp>
#include <sodium.h>

#include <deque>

namespace boxoffice::http {

namespace {

// A job and the one-shot reply of its request; local only (it holds a
// std::function and the response writer), never serialized.
struct http_job {
  job run;
  reply_fn done;
  std::shared_ptr<bool> answered;  // set by done; read on this actor only
};

} // namespace
} // namespace boxoffice::http

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::http::http_job)

namespace boxoffice::http {

namespace {

// How often a gateway actor looks for requests past their deadline: a
// late request is answered at most this much after its deadline.
constexpr auto deadline_tick = std::chrono::milliseconds(50);

// The requests a gateway actor runs, oldest first. Every request has the
// same deadline after its arrival, so the expired ones are at the front.
struct gateway_state {
  struct pending {
    std::chrono::steady_clock::time_point deadline;
    reply_fn done;
    std::shared_ptr<bool> answered;
  };
  std::deque<pending> running;
  bool ticking = false;
};

reply past_deadline() {
  return error_reply(caf::make_error(caf::sec::request_timeout));
}

caf::behavior gateway_actor(caf::stateful_actor<gateway_state>* self,
                            std::chrono::milliseconds deadline) {
  return {
    [=](http_job& j) {
      auto& st = self->state;
      st.running.push_back({std::chrono::steady_clock::now() + deadline, j.done, j.answered});
      if (!std::exchange(st.ticking, true))
        self->delayed_send(self, deadline_tick, sweep_atom::value);
      j.run(self, std::move(j.done));
    },
    [=](sweep_atom) {
      auto& running = self->state.running;
      auto now = std::chrono::steady_clock::now();
      while (!running.empty() && (*running.front().answered || running.front().deadline <= now)) {
        // Most are answered already: drop them without building the 503
        // (a problem body per request cost the seat map 8 % of its CPU).
        if (!*running.front().answered)
          running.front().done(past_deadline());
        running.pop_front();
      }
      self->state.ticking = !running.empty();
      if (self->state.ticking)
        self->delayed_send(self, deadline_tick, sweep_atom::value);
    },
  };
}

} // namespace

reply json_reply(uint16_t status, std::string body, std::string location) {
  reply r;
  r.status = status;
  r.body = std::move(body);
  r.location = std::move(location);
  return r;
}

bool names_etag(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    auto tag = if_none_match.substr(0, comma);
    if_none_match.remove_prefix(comma == std::string_view::npos ? if_none_match.size() : comma + 1);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t'))
      tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t'))
      tag.remove_suffix(1);
    if (tag.substr(0, 2) == "W/")
      tag.remove_prefix(2);
    if (tag == "*" || tag == etag)
      return true;
  }
  return false;
}

std::string etag_of(std::string_view body) {
  unsigned char hash[16];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(body.data()),
                     body.size(), nullptr, 0);
  char hex[sizeof hash * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
  return std::string("\"") + hex + "\"";
}

reply conditional_reply(reply r, const std::string& if_none_match) {
  r.etag = etag_of(r.body);
  if (r.status == 200 && names_etag(if_none_match, r.etag)) {
    r.status = 304;
    r.body.clear();
  }
  return r;
}

reply not_stored(reply r) {
  r.cache_control = "no-store";
  return r;
}

reply problem_reply(const problem& p) {
  reply r;
  r.status = p.status;
  r.content_type = "application/problem+json";
  r.body = problem_body(p);
  r.retry_after_s = p.retry_after_s;
  return r;
}

// 503 `unavailable`: nothing was done, retry later.
problem unavailable(std::string detail) {
  problem p;
  p.status = 503;
  p.retry_after_s = retry_after_overloaded_s;
  p.code = "unavailable";
  p.title = "The service is unavailable";
  p.detail = std::move(detail);
  return p;
}

reply error_reply(const caf::error& err) {
  if (auto hint = not_owner_hint(err); hint && !hint->node.empty()) {
    auto p = problem_for(errc::not_owner, "Node '" + hint->node + "' serves this event");
    p.owner_node = hint->node;
    p.owner_address = hint->address;
    return problem_reply(p);
  }
  if (auto code = to_errc(err))
    return problem_reply(problem_for(*code));
  if (err != caf::sec::request_timeout)
    return problem_reply(unavailable("Retry later"));
  auto p = unavailable("The outcome is unknown: retry with the same Idempotency-Key");
  p.code = "request_timeout";
  p.title = "No answer in time";
  return problem_reply(p);
}

void write_reply(Pistache::Http::ResponseWriter& w, const reply& r) {
  if (!r.location.empty()) {
    set_header(w, "Location", r.location);
    if (const auto& trace = current_trace())
      trace->created = r.location;  // the new id, for the request's log line
  }
  if (r.retry_after_s)
    set_header(w, "Retry-After", std::to_string(*r.retry_after_s));
  if (r.status == 401)
    set_header(w, "WWW-Authenticate", "Bearer realm=\"boxoffice\"");
  if (!r.etag.empty())
    set_header(w, "ETag", r.etag);
  if (!r.cache_control.empty())
    set_header(w, "Cache-Control", r.cache_control);
  auto code = static_cast<Pistache::Http::Code>(r.status);
  if (r.stream) {
    auto started = send_stream(w, r.content_type.c_str(), r.body);
    if (started.peer)
      r.stream(started.peer, started.chunked);
    return;
  }
  if (r.body.empty())
    send_empty(w, code);
  else
    send_body(w, code, r.content_type.c_str(), r.body);
}

gateway::gateway(caf::actor_system& sys, uint32_t actors, uint32_t max_in_flight,
                 std::chrono::milliseconds request_timeout,
                 std::chrono::milliseconds request_deadline)
    : in_flight_(std::make_shared<std::atomic<uint32_t>>(0)),
      max_in_flight_(max_in_flight),
      timeout_(request_timeout) {
  for (uint32_t i = 0; i < std::max(actors, 1u); ++i)
    actors_.push_back(sys.spawn(gateway_actor, request_deadline));
  metrics::default_registry().sampled_gauge(
    "boxoffice_http_requests_in_flight", "Requests handed to the actors and not answered yet",
    [counter = in_flight_] { return static_cast<double>(counter->load()); });
}

gateway::~gateway() {
  stop();
}

void gateway::stop() {
  for (auto& a : actors_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  actors_.clear();
}

void gateway::submit(Pistache::Http::ResponseWriter& w, job j) {
  // Counted before the closed check, so that a shutdown that has seen zero
  // in flight cannot miss a job admitted at that very moment.
  auto admitted = in_flight_->fetch_add(1);
  if (closed_.load() || actors_.empty()) {
    in_flight_->fetch_sub(1);
    send_problem(w, unavailable("The server is shutting down; retry later"));
    return;
  }
  if (admitted >= max_in_flight_) {
    in_flight_->fetch_sub(1);
    auto p = problem_for(errc::overloaded, "Too many requests in progress; retry shortly");
    send_problem(w, p);
    return;
  }
  auto writer = std::make_shared<Pistache::Http::ResponseWriter>(std::move(w));
  auto answered = std::make_shared<bool>(false);
  reply_fn done = [writer, in_flight = in_flight_, answered,
                   trace = current_trace()](reply r) {
    if (std::exchange(*answered, true))
      return;
    trace_scope scope{trace};
    in_flight->fetch_sub(1);
    write_reply(*writer, r);
  };
  auto& target = actors_[next_.fetch_add(1) % actors_.size()];
  caf::anon_send(target, http_job{std::move(j), std::move(done), std::move(answered)});
}

} // namespace boxoffice::http
