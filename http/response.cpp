#include "http/response.h"

#include "http/headers.h"
#include "http/request_trace.h"

#include <ctime>
#include <optional>
#include <sstream>

namespace boxoffice::http {

namespace Http = Pistache::Http;

namespace {

// Logged and counted for a response that could not be sent: the client
// closed its connection first (nginx's convention).
constexpr uint16_t client_gone = 499;

// An IMF-fixdate (RFC 9110 §5.6.7), formatted once a second per thread.
std::string_view http_date() {
  thread_local std::time_t formatted_at = -1;
  thread_local char text[40];
  thread_local size_t size = 0;
  std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    size = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    formatted_at = now;
  }
  return {text, size};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  for (size_t i = 0; i < a.size(); ++i)
    if ((a[i] | 0x20) != (b[i] | 0x20))
      return false;
  return true;
}

} // namespace

response_bytes::response_bytes(const exchange& x, uint16_t status) : x_(x), status_(status) {
  out_.reserve(256);
  out_.append(x.http10 ? "HTTP/1.0 " : "HTTP/1.1 ").append(std::to_string(status)).append(" ");
  out_.append(Http::codeString(static_cast<Http::Code>(status))).append("\r\n");
}

void response_bytes::header(std::string_view name, std::string_view value) {
  out_.append(name).append(": ").append(value).append("\r\n");
}

void response_bytes::headers(const Http::Header::Collection& headers) {
  // Ours are any_header (set_header): their text is at hand. A stream, and
  // its locale, only for a typed Pistache header.
  std::optional<std::ostringstream> typed;
  for (const auto& h : headers.list()) {
    std::string_view name = h->name();
    if (iequals(name, "Connection") || iequals(name, "Content-Length")
        || iequals(name, "Content-Type") || iequals(name, "Date"))
      continue;
    if (const auto* ours = dynamic_cast<const any_header*>(h.get())) {
      header(name, ours->value());
      continue;
    }
    if (!typed)
      typed.emplace();
    typed->str({});
    h->write(*typed);
    header(name, typed->str());
  }
}

void response_bytes::problem_headers(const problem& p) {
  if (p.status == 401)
    header("WWW-Authenticate", "Bearer realm=\"boxoffice\"");
  if (!p.allow.empty())
    header("Allow", p.allow);
  if (p.retry_after_s)
    header("Retry-After", std::to_string(*p.retry_after_s));
}

std::string response_bytes::finish(std::string_view content_type, std::string_view body) {
  header("Date", http_date());
  header("Connection", x_.keep_alive ? "keep-alive" : "close");
  // RFC 9110 §8.6: no Content-Length in a 204 or a 304 (nor a body).
  bool bodiless = status_ == 204 || status_ == 304 || status_ < 200;
  if (!bodiless) {
    if (!body.empty())
      header("Content-Type", content_type);
    header("Content-Length", std::to_string(body.size()));
  }
  out_.append("\r\n");
  if (!bodiless && !x_.head)
    out_.append(body);
  return std::move(out_);
}

std::string response_bytes::finish_stream(std::string_view content_type) {
  header("Date", http_date());
  header("Content-Type", content_type);
  header("Cache-Control", "no-store");
  // nginx buffers proxied answers unless told not to (deploy/nginx.conf).
  header("X-Accel-Buffering", "no");
  if (x_.http10) {
    header("Connection", "close");
  } else {
    header("Connection", "keep-alive");
    header("Transfer-Encoding", "chunked");
  }
  out_.append("\r\n");
  return std::move(out_);
}

stream_start send_stream(Http::ResponseWriter& w, const char* content_type,
                         const std::string& first) {
  auto peer = w.getPeer();
  if (!peer) {
    close_current_trace(client_gone);
    return {};
  }
  auto x = current_exchange(peer);
  if (x.head) {
    send_body(w, Http::Code::Ok, content_type, "");
    return {};
  }
  if (!close_current_trace(200))
    return {};
  response_bytes r(x, 200);
  r.headers(w.headers());
  start_stream(peer, r.finish_stream(content_type));
  stream_write(peer, first, !x.http10);
  return {peer, !x.http10};
}

void send_body(Http::ResponseWriter& w, Http::Code code, const char* content_type,
               const std::string& body) {
  auto peer = w.getPeer();
  if (!peer) {
    close_current_trace(client_gone);
    return;
  }
  auto status = static_cast<uint16_t>(code);
  if (!close_current_trace(status, status >= 500 ? body : ""))
    return;  // this request was answered already
  response_bytes r(current_exchange(peer), status);
  r.headers(w.headers());
  send_response(peer, r.finish(content_type, body));
}

void send_empty(Http::ResponseWriter& w, Http::Code code) {
  send_body(w, code, "", {});
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
