#include "http/response.h"

#include "http/headers.h"
#include "http/request_trace.h"

namespace boxoffice::http {

namespace Http = Pistache::Http;

namespace {
// Logged and counted for a response that could not be sent: the client
// closed its connection first (nginx's convention).
constexpr uint16_t client_gone = 499;
} // namespace

// The send's promise is dropped on purpose: the reactor resolves it on its
// own thread, and continuing it from a CAF thread races that (Pistache 0.0.5
// crashed under load).
void send_body(Http::ResponseWriter& w, Http::Code code, const char* content_type,
               const std::string& body) {
  // sendImpl checks peer_.expired() and then locks it: holding the peer here
  // closes that race when the writer was handed to another thread.
  auto peer = w.getPeer();
  if (!peer) {
    close_current_trace(client_gone);
    return;
  }
  set_header(w, "Content-Type", content_type);
  close_current_trace(static_cast<uint16_t>(code), static_cast<int>(code) >= 500 ? body : "");
  w.send(code, body);
}

void send_empty(Http::ResponseWriter& w, Http::Code code) {
  auto peer = w.getPeer();
  if (!peer) {
    close_current_trace(client_gone);
    return;
  }
  close_current_trace(static_cast<uint16_t>(code));
  w.send(code);
}

void send_json(Http::ResponseWriter& w, Http::Code code, const std::string& body) {
  send_body(w, code, "application/json", body);
}

void send_problem(Http::ResponseWriter& w, const problem& p) {
  if (p.status == 401)
    set_header(w, "WWW-Authenticate", "Bearer realm=\"boxoffice\"");
  if (!p.allow.empty())
    set_header(w, "Allow", p.allow);
  if (p.retry_after_s)
    set_header(w, "Retry-After", std::to_string(*p.retry_after_s));
  send_body(w, static_cast<Http::Code>(p.status), "application/problem+json", problem_body(p));
}

} // namespace boxoffice::http
