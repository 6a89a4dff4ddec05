// Every connection's bytes pass through here before Pistache 0.0.5 parses
// them, and every response leaves through here. Pistache on its own drops
// pipelined requests, reads a refused request's body as further requests,
// answers HEAD with a body, and sends its refusals in plain text.
//
// guard_handler wraps the router's handler. Per connection it keeps a
// request_framer (request_framer.h) and a queue:
//   - bytes in: the framer cuts them into whole requests; they wait in order;
//   - one request at a time is given to Pistache, canonical and whole, so
//     its parser has only one way to read it and nothing left over;
//   - its response is written with send_response(); then the next request
//     waiting is given to Pistache, on the connection's reactor thread (the
//     only thread that may drive the parser). Responses leave in request
//     order (RFC 9112 §9.3.2);
//   - a refusal (bad framing, limits, a head or body too slow) is answered
//     with a problem after the requests before it, and the connection is
//     closed once it is written: nothing behind it is read as a request.
// At most pipelined_max whole requests wait per connection; one more is
// refused (503 too_many_pipelined_requests) and the connection closed.
#pragma once

#include "http/request_framer.h"

#include <pistache/http.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace boxoffice::http {

struct connection_limits {
  framer_limits framing;
  std::chrono::milliseconds header_timeout{10000};  // first byte to end of head
  std::chrono::milliseconds body_timeout{10000};    // end of head to end of body
  uint32_t pipelined_max = 32;
};

// How the response to a connection's current request must be framed.
struct exchange {
  bool head = false;        // no body
  bool keep_alive = true;   // else "Connection: close", and closed after it
  bool http10 = false;
};

// `request_id` names a refusal's X-Request-Id (the server's sequence).
std::shared_ptr<Pistache::Http::Handler> guard_handler(
  std::shared_ptr<Pistache::Http::Handler> inner, connection_limits limits,
  std::function<std::string()> request_id);

// The exchange of the request of `peer` being answered (defaults for a
// peer without a guard).
exchange current_exchange(const std::shared_ptr<Pistache::Tcp::Peer>& peer);

// Writes the response to the current request of `peer` and lets the next
// one in. Any thread. `bytes` is the whole response (response.h builds it).
void send_response(const std::shared_ptr<Pistache::Tcp::Peer>& peer, std::string bytes);

// --- Streaming responses (Server-Sent Events) ---------------------------------
// A stream is the answer to its connection's current request that never
// finishes on its own: start_stream writes its head, stream_write its data,
// end_stream its end, and then the connection closes (nothing after the
// streamed request is read). Any thread; a gone connection is a no-op.
// Pistache 0.0.5 would answer 408 inside the stream once header_timeout
// passed (the peer is marked idle instead) and would close it at
// keepalive_timeout after the request: keep_stream_alive, called more often
// than that, tells it the connection is in use.
// `chunked`: HTTP/1.1 chunked framing; else (HTTP/1.0) the data as is.
void start_stream(const std::shared_ptr<Pistache::Tcp::Peer>& peer, std::string head);
void stream_write(const std::shared_ptr<Pistache::Tcp::Peer>& peer, const std::string& data,
                  bool chunked);
void keep_stream_alive(const std::shared_ptr<Pistache::Tcp::Peer>& peer);
void end_stream(const std::shared_ptr<Pistache::Tcp::Peer>& peer, bool chunked);

// Called by the server as a request reaches a route (or the 404/405
// answer), on the reactor thread: a request Pistache parsed and did not
// dispatch was refused by Pistache itself, and its connection is closed.
void note_dispatch();

} // namespace boxoffice::http
