// The HTTP endpoint of boxoffice: a Pistache endpoint serving the route
// table (routes.h) on http.address:http.port with http.threads reactor
// threads. Every response carries X-Request-Id and a correct keep-alive;
// every error is application/problem+json:
//   unknown path 404, known path with another method 405 + Allow,
//   body over http.max_body_bytes 413, a throwing handler 500 (no internals).
//
// REQUIRES: start() and stop() from one thread; stop() (or the destructor)
// before anything a handler captured is destroyed. Writers handed to other
// threads must be done with before the server is destroyed: they point into
// the endpoint's transport.
#pragma once

#include "config/settings.h"
#include "http/routes.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace boxoffice::http {

// The X-Request-Id of the request whose handler runs on this thread; empty
// outside a handler. What a handler hands off (a gateway job) copies it, so
// log lines about the request carry it.
const std::string& current_request_id();

class http_server {
public:
  http_server(const http_settings& settings, std::vector<route> routes);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds and serves on background threads. Throws std::runtime_error
  // (from Pistache) when the address cannot be bound.
  void start();
  // Stops accepting and joins the reactor threads. Idempotent.
  void stop();

  // The bound port; the one the kernel chose when http.port is 0.
  // REQUIRES: start() succeeded.
  uint16_t port() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace boxoffice::http
