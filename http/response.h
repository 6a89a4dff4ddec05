// Writing a response: JSON bodies and problem+json errors, with the headers
// each implies. Every response goes through these, which close the
// request's trace (request_trace.h: its metrics and its log line) and hand
// the response's bytes to the connection guard (connection_guard.h), which
// writes responses in request order. Safe to call from any thread (a CAF
// worker included); a writer whose connection is gone is dropped quietly.
// The first response for a request is sent; later ones are dropped.
//
// boxoffice frames its responses itself rather than through Pistache's
// ResponseWriter::send, which 0.0.5 gets wrong in several ways: it sends no
// Date, "Connection: Close" to HTTP/1.1 clients, a body to HEAD, and writes
// from any thread in whatever order they come.
#pragma once

#include "http/connection_guard.h"
#include "http/problem.h"

#include <pistache/http.h>

#include <string>
#include <string_view>

namespace boxoffice::http {

// One whole response to exchange `x`, built in order: status line, header
// fields, then finish() adds Date, Connection, Content-Type, Content-Length
// and the body (none for HEAD; neither for 204 and 304).
class response_bytes {
public:
  response_bytes(const exchange& x, uint16_t status);
  void header(std::string_view name, std::string_view value);
  // The writer's typed headers, without those finish() writes itself.
  void headers(const Pistache::Http::Header::Collection& headers);
  // Retry-After, Allow and WWW-Authenticate, as `p` implies.
  void problem_headers(const problem& p);
  std::string finish(std::string_view content_type, std::string_view body);
  // The head of a streamed response (connection_guard.h, start_stream):
  // chunked in HTTP/1.1, delimited by the close in HTTP/1.0.
  std::string finish_stream(std::string_view content_type);

private:
  exchange x_;
  uint16_t status_;
  std::string out_;
};

// Any body with its Content-Type. Queued for the reactor, which writes it;
// a client already gone is logged as 499 and nothing is sent.
void send_body(Pistache::Http::ResponseWriter& w, Pistache::Http::Code code,
               const char* content_type, const std::string& body);

// Starts a 200 stream of `content_type` on w's connection with `first` as
// its first data, and returns its peer and whether it is chunked; nullptr
// when the client is gone, or for HEAD (answered with the head alone).
struct stream_start {
  std::shared_ptr<Pistache::Tcp::Peer> peer;
  bool chunked = true;
};
stream_start send_stream(Pistache::Http::ResponseWriter& w, const char* content_type,
                         const std::string& first);

// No body (204, 304).
void send_empty(Pistache::Http::ResponseWriter& w, Pistache::Http::Code code);

// Content-Type: application/json.
void send_json(Pistache::Http::ResponseWriter& w, Pistache::Http::Code code,
               const std::string& body);

// Content-Type: application/problem+json; Allow and Retry-After when set.
void send_problem(Pistache::Http::ResponseWriter& w, const problem& p);

} // namespace boxoffice::http
