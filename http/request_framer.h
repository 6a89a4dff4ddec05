// Cutting a connection's bytes into whole requests, before Pistache sees
// them. Pistache 0.0.5 parses one request per read and then forgets the
// rest of the buffer (pipelined requests vanish), reads a refused request's
// body as further requests (smuggling), and answers its own refusals in
// plain text. The framer runs libhttp-parser (Node's parser, strict build)
// over the stream and yields, in order, either a whole request, rewritten so
// that Pistache can only parse it one way, or one refusal as a problem, after
// which the connection is answered and closed: nothing behind a refused
// request is ever read as a request.
//
// What a whole request handed on looks like: exactly one request, with a
// Content-Length body (a chunked body is decoded and re-framed; the
// Transfer-Encoding header dropped), and "GET" in place of "HEAD" (head is
// set; the response must then carry no body).
//
// REQUIRES: one thread at a time (the connection's reactor thread).
#pragma once

#include "http/problem.h"

#include <http_parser.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boxoffice::http {

struct framer_limits {
  uint32_t head_bytes_max = 8192;  // request line and headers together
  uint32_t target_bytes_max = 4096;  // the request target (path and query)
  uint32_t body_bytes_max = 65536;  // the body, decoded
};

struct framed_request {
  std::string bytes;        // one request, as Pistache is to read it
  bool head = false;        // a HEAD: answer as GET, without the body
  bool keep_alive = true;   // the connection stays open after the answer
  bool http10 = false;      // answer in HTTP/1.0
  // Header fields as sent, for checks Pistache would make on its own.
  std::vector<std::pair<std::string, std::string>> headers;
};

class request_framer {
public:
  explicit request_framer(framer_limits limits);
  request_framer(const request_framer&) = delete;
  request_framer& operator=(const request_framer&) = delete;

  // Parses more bytes of the stream. Whole requests go to ready(); on a
  // refusal, refusal() is set and every later byte is ignored.
  void feed(std::string_view bytes);

  // Whole requests in arrival order, not yet taken.
  std::deque<framed_request>& ready() { return ready_; }
  // Set once the stream is refused; the requests before it are still ready.
  const problem* refusal() const { return refused_ ? &refusal_ : nullptr; }
  // True while a request has begun and is not whole yet.
  bool partial() const { return in_message_; }
  // The head of the partial request is whole; its body is still coming.
  bool awaiting_body() const { return in_message_ && head_done_; }
  // Requests begun so far (a new value: a new request started).
  uint64_t begun() const { return begun_; }
  // True once per request whose head asked for "Expect: 100-continue" and
  // whose body is awaited: the caller may send "100 Continue" now.
  bool take_continue();

private:
  friend struct framer_callbacks;

  void refuse(problem p);
  void begin_message();
  int end_of_head();
  int end_of_message();
  void rebuild_into(framed_request& r) const;

  framer_limits limits_;
  http_parser parser_{};
  std::deque<framed_request> ready_;
  problem refusal_;
  bool refused_ = false;

  bool ended_ = false;
  uint64_t begun_ = 0;  // a request that closes the connection was read

  // The message being parsed.
  bool in_message_ = false;
  bool head_done_ = false;
  bool expects_continue_ = false;
  bool continue_taken_ = false;
  size_t head_bytes_ = 0;
  std::string target_;
  std::string body_;  // decoded
  std::vector<std::pair<std::string, std::string>> headers_;
  bool in_value_ = false;
};

} // namespace boxoffice::http
