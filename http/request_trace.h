// The request being answered: its id, method, route and start time. The
// server opens one per request on the reactor thread (trace_scope); the
// gateway carries it with the response writer to the actor that answers.
// The first response written for a request closes its trace (response.cpp):
// that records the request in the metrics (requests by route and status,
// latency by route) and writes its one request log line. One mechanism for
// every response: routed, refused, unrouted, answered by an actor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace boxoffice::http {

// The metrics of one method and route (requests by status, latency),
// resolved once: a request counts itself without a lookup, a lock or an
// allocation. Made on first use, kept for the process's life (there are
// as many as routes times methods).
class route_instruments;
const route_instruments& instruments_for(const std::string& method, const std::string& route);

struct request_trace {
  std::string id;      // X-Request-Id
  std::string method;
  std::string route;   // the route's pattern ("/v1/holds/:id"): a bounded label
  std::string path;    // the path as requested, with its ids: for the log only
  std::string client;  // the client's address
  std::string created;  // the Location of a 201: the new hold's or order's id
  // Those of method and route, when the server resolved them in advance;
  // else looked up when the trace closes.
  const route_instruments* instruments = nullptr;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  // Atomic: a handler that throws after handing its writer to the gateway
  // can have both the reactor and an actor answer (only one is sent).
  std::atomic<bool> closed{false};
};

// The trace of the request this thread is answering; nullptr if none.
const std::shared_ptr<request_trace>& current_trace();

// Makes `trace` current on this thread for the scope's life.
class trace_scope {
public:
  explicit trace_scope(std::shared_ptr<request_trace> trace);
  ~trace_scope();
  trace_scope(const trace_scope&) = delete;
  trace_scope& operator=(const trace_scope&) = delete;

private:
  std::shared_ptr<request_trace> previous_;
};

// Closes the current trace with the status sent (once; later calls do
// nothing). `detail`: what went wrong, logged with a 5xx. False when the
// trace was closed already: its request is answered, send nothing more.
bool close_current_trace(uint16_t status, const std::string& detail = {});

} // namespace boxoffice::http
