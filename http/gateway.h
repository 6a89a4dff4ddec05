// The bridge from HTTP into the actor system. A route handler parses the
// request on its Pistache thread, then hands the response writer and a job
// to the gateway and returns at once. The job runs on one of a few gateway
// actors, sends its requests with request(...).then(...), and calls `done`
// with the reply when the answers come; `done` writes the response from the
// CAF thread (Pistache's send only queues it for the reactor). No HTTP
// thread ever waits for an actor, and no actor waits for anything.
//
// Bounds: at most max_in_flight requests are in the actors at once; past it,
// submit answers 503 + Retry-After immediately. Every actor request a job
// makes should carry timeout(); a request that times out is answered 503
// (code request_timeout): the outcome is unknown, the client retries with
// the same Idempotency-Key. A request not answered within request_deadline
// of its submission (a job whose requests follow one another, each within
// its timeout) gets the same 503 then, whatever its job still does: one
// deadline per request, checked here, shorter than the HTTP library's own.
#pragma once

#include "http/problem.h"

#include <caf/fwd.hpp>
#include <pistache/http.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace boxoffice::http {

// A response as data, so it can be recorded (Idempotency-Key) before it is
// written.
struct reply {
  uint16_t status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string location;                   // Location header of a 201
  std::optional<uint32_t> retry_after_s;  // 429/503
  std::string etag;                       // ETag header, quoted
  std::string cache_control;              // Cache-Control header
  // Set: the reply starts a stream of content_type with body as its first
  // data, and this is called with the stream's connection (response.h,
  // send_stream) to go on writing it. Never recorded for a replay.
  std::function<void(const std::shared_ptr<Pistache::Tcp::Peer>&, bool chunked)> stream;
};

reply json_reply(uint16_t status, std::string body, std::string location = {});
// A 200 read with an ETag (a hash of its body); when `if_none_match` (the
// request's If-None-Match, as sent) names it, a 304 without the body.
reply conditional_reply(reply r, const std::string& if_none_match);
// True when `if_none_match` is "*" or lists `etag` (quoted), compared weakly
// (RFC 9110 §13.1.2).
bool names_etag(std::string_view if_none_match, std::string_view etag);
// The quoted entity tag of `body`: a hash of it.
std::string etag_of(std::string_view body);
// Cache-Control: no-store: the reply carries credentials.
reply not_stored(reply r);
reply problem_reply(const problem& p);
// 503 `unavailable` with Retry-After: nothing was done, retry later.
problem unavailable(std::string detail);
// A failed actor request: our domain codes map through problem_for; a
// timeout is 503 request_timeout; anything else (an actor gone) 503.
reply error_reply(const caf::error& err);

void write_reply(Pistache::Http::ResponseWriter& w, const reply& r);

using reply_fn = std::function<void(reply)>;
// Runs on a gateway actor. Calls `done` exactly once, from that actor.
using job = std::function<void(caf::event_based_actor* self, reply_fn done)>;

class gateway {
public:
  gateway(caf::actor_system& sys, uint32_t actors, uint32_t max_in_flight,
          std::chrono::milliseconds request_timeout, std::chrono::milliseconds request_deadline);
  ~gateway();
  gateway(const gateway&) = delete;
  gateway& operator=(const gateway&) = delete;

  // Takes the writer (w is left moved-from) and runs `j`; the response is
  // written when it calls done. Never blocks; never throws after taking w.
  void submit(Pistache::Http::ResponseWriter& w, job j);

  // The timeout every actor request of a job uses.
  std::chrono::milliseconds timeout() const { return timeout_; }
  uint32_t in_flight() const { return in_flight_->load(); }

  // Graceful shutdown, first step: from now on submit answers 503
  // `unavailable` (the server is shutting down) and takes no new job; the
  // jobs in flight go on until they answer.
  void close() { closed_.store(true); }
  bool closed() const { return closed_.load(); }

  // Ends the gateway actors; jobs not done by then are dropped.
  void stop();

private:
  std::atomic<bool> closed_{false};
  std::vector<caf::actor> actors_;
  std::atomic<uint32_t> next_{0};
  std::shared_ptr<std::atomic<uint32_t>> in_flight_;
  uint32_t max_in_flight_;
  std::chrono::milliseconds timeout_;
};

} // namespace boxoffice::http
