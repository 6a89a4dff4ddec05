// The route table of the HTTP API: every route's method, path and handler,
// in one place (routes.cpp). http_server registers exactly these, and answers
// 405 + Allow for a known path with another method, 404 for any other path.
//
// A handler must answer exactly once: send on the writer (response.h), or
// move the writer to whoever will send later (an actor). It must not block:
// it runs on a Pistache reactor thread. It may throw; if nothing was sent yet
// the client gets a 500 problem without the exception text. Once it has moved
// the writer away it must not throw: 0.0.5's moved-from writer cannot be told
// from an unused one.
// Paths use Pistache's syntax, with ":name" for a parameter segment; optional
// ("?") and splat ("*") segments are not supported by the 405 matcher.
#pragma once

#include <pistache/http.h>
#include <pistache/router.h>

#include <functional>
#include <string>
#include <vector>

namespace boxoffice::http {

using route_handler =
    std::function<void(const Pistache::Rest::Request&, Pistache::Http::ResponseWriter&)>;

struct route {
  Pistache::Http::Method method;
  std::string path;
  route_handler handler;
};

// The route table itself is built in api.h (api_routes), with the services
// its handlers need.

// GET /v1/health: 200 {"status":"ok"}; no actor involved, so it measures the
// HTTP ceiling.
void get_health(const Pistache::Rest::Request& req, Pistache::Http::ResponseWriter& w);

// GET /v1/openapi.json: the OpenAPI 3 document of the API (http/openapi.json,
// compiled in).
void get_openapi(const Pistache::Rest::Request& req, Pistache::Http::ResponseWriter& w);
const std::string& openapi_document();

} // namespace boxoffice::http
