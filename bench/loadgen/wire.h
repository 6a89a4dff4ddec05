// The load generator's data plane: keep-alive HTTP/1.1 connections to one
// server, driven by one epoll loop per thread, one request in flight per
// connection (closed loop), or at a fixed rate (open loop). Much cheaper per request than libcurl, so that the generator
// is not what limits the rate (compare with wrk on GET /v1/health).
// Responses must carry Content-Length (Pistache always sends it); a chunked
// or unframed response is a protocol error.
// REQUIRES: a wire_loop and its connections are used by one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace boxoffice::loadgen {

using wire_clock = std::chrono::steady_clock;

struct wire_response {
  int status = 0;     // 0: no HTTP answer (connection failed or closed)
  std::string body;
  std::string etag;   // the ETag header's value, if any
  std::string error;  // why there is no answer
};

// What a connection asks its client: the next request, and what to do with
// each answer. Called on the loop's thread.
class wire_client {
public:
  virtual ~wire_client() = default;
  // Fills `request` with the bytes of one whole request; false: this
  // connection has nothing more to send (it is then closed).
  virtual bool next_request(std::string& request) = 0;
  // The answer to the last request, or a failure (status 0); `latency` runs
  // from the first byte written to the last byte read.
  virtual void on_response(const wire_response& response, wire_clock::duration latency) = 0;
};

// Formats a request; `body` may be empty. Host and Content-Length are added;
// `extra_headers` is whole header lines, each ending in \r\n.
std::string format_request(const char* method, const std::string& path, const std::string& host,
                           const std::string& token, const std::string& body,
                           const std::string& extra_headers = "");

// Runs `clients.size()` connections to 127.0.0.1:`port` (or the given IPv4
// address) until every client is done, or `stop` is set. After stop, no new
// request is sent and answers in flight are awaited for at most
// `drain_limit`; those still missing are reported as failures.
// `rate_per_s` > 0: open loop. Requests leave at that rate (send slots
// 1/rate apart from the start), each on a free connection; a slot that
// finds none waits for one, and every latency is counted from its slot, not
// from when it could leave (no coordinated omission).
void run_wire_loop(const std::string& ipv4, uint16_t port, std::vector<wire_client*> clients,
                   const std::atomic<bool>& stop, wire_clock::duration drain_limit,
                   double rate_per_s = 0);

} // namespace boxoffice::loadgen
