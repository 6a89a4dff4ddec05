#include "http/server.h"

#include "http/client_address.h"
#include "http/connection_guard.h"
#include "http/headers.h"
#include "http/lenient_headers.h"
#include "http/request_trace.h"
#include "http/response.h"
#include "telemetry/logging.h"

#include <pistache/endpoint.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <random>
#include <sstream>

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '?')
      break;
    if (c == '/') {
      if (!cur.empty())
        out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    out.push_back(std::move(cur));
  return out;
}

// Same matching as Pistache's router for fixed and ":param" segments, with
// empty segments ignored as its sanitizer does.
bool path_matches(const std::string& pattern, const std::vector<std::string>& path) {
  auto pat = segments(pattern);
  if (pat.size() != path.size())
    return false;
  for (size_t i = 0; i < pat.size(); ++i)
    if (pat[i][0] != ':' && pat[i] != path[i])
      return false;
  return true;
}

// "GET, POST": the methods with a route for this path; empty if none.
std::string allowed_methods(const std::vector<route>& routes, const std::string& resource) {
  auto path = segments(resource);
  std::string allow;
  for (const auto& r : routes) {
    if (!path_matches(r.path, path))
      continue;
    std::string m = Http::methodString(r.method);
    if (allow.find(m) != std::string::npos)
      continue;
    allow += allow.empty() ? m : ", " + m;
    // HEAD is answered as GET is, without the body (connection_guard.h).
    if (r.method == Http::Method::Get)
      allow += ", HEAD";
  }
  return allow;
}

} // namespace

struct http_server::impl {
  http_settings settings;
  std::vector<route> routes;
  Http::Endpoint endpoint;
  bool serving = false;
  std::atomic<uint64_t> next_request = 1;
  std::string id_prefix;
  client_address_rule client_address;

  impl(const http_settings& s, std::vector<route> r)
      : settings(s),
        routes(std::move(r)),
        endpoint(Pistache::Address(s.address, Pistache::Port(s.port))),
        client_address(s.trusted_proxies) {
    std::random_device rd;
    std::ostringstream os;
    os << std::hex << rd() << '-';
    id_prefix = os.str();
  }

  std::string next_request_id() { return id_prefix + std::to_string(next_request++); }

  // Every response: X-Request-Id. The trace it opens is current on this
  // thread while the request is handled.
  std::shared_ptr<request_trace> prepare(const Http::Request& req, Http::ResponseWriter& w,
                                         const std::string& route) {
    note_dispatch();
    auto trace = std::make_shared<request_trace>();
    trace->id = next_request_id();
    auto peer = w.getPeer();
    trace->method = peer && current_exchange(peer).head ? "HEAD" : Http::methodString(req.method());
    trace->route = route;
    trace->path = req.resource();
    auto query = req.query().as_str();
    if (!query.empty())
      trace->path += query[0] == '?' ? query : '?' + query;
    trace->client = client_address.of(req);
    set_header(w, "X-Request-Id", trace->id);
    return trace;
  }

  void answer_unrouted(const Http::Request& req, Http::ResponseWriter& w) {
    trace_scope scope{prepare(req, w, "unmatched")};
    auto allow = allowed_methods(routes, req.resource());
    send_problem(w, allow.empty() ? not_found() : method_not_allowed(std::move(allow)));
  }

  Rest::Route::Handler wrap(route_handler h, Http::Method method, const std::string& route) {
    // HEAD is answered by the GET route (connection_guard.h).
    const auto* as_routed = &instruments_for(Http::methodString(method), route);
    const auto* as_head = method == Http::Method::Get ? &instruments_for("HEAD", route) : as_routed;
    return [this, h = std::move(h), route, as_routed, as_head](const Rest::Request& req,
                                                               Http::ResponseWriter w) {
      auto trace = prepare(req, w, route);
      trace->instruments = trace->method == "HEAD" ? as_head : as_routed;
      trace_scope scope{trace};
      // Only the first response of a request is sent (response.h); a writer
      // handed off (moved from) has no peer.
      auto unanswered = [&] { return w.getPeer() && !trace->closed.load(); };
      try {
        h(req, w);
      } catch (const refusal& r) {
        if (unanswered())
          send_problem(w, r.why);
      } catch (const std::exception& e) {
        telemetry::log(spdlog::level::err, "handler failed",
                       {{"request_id", current_request_id()}, {"error", e.what()}});
        if (unanswered())
          send_problem(w, internal_error());
      } catch (...) {
        // Pistache would send e.what(); the client gets no internals.
        if (unanswered())
          send_problem(w, internal_error());
      }
      return Rest::Route::Result::Ok;
    };
  }

  Rest::Router build_router() {
    Rest::Router router;
    std::vector<Http::Method> routed;
    for (const auto& r : routes) {
      router.addRoute(r.method, r.path, wrap(r.handler, r.method, r.path));
      routed.push_back(r.method);
    }
    // Router::route() does routes[method]: for a method with no route that
    // inserts into a map the reactor threads share. Answer such requests here,
    // before the router looks.
    router.addMiddleware([this, routed](Http::Request& req, Http::ResponseWriter& w) {
      for (auto m : routed)
        if (m == req.method())
          return true;
      answer_unrouted(req, w);
      return false;
    });
    // Runs when no route matched, before Pistache's own plain-text 405/404.
    router.addCustomHandler([this](const Rest::Request& req, Http::ResponseWriter w) {
      answer_unrouted(req, w);
      return Rest::Route::Result::Ok;
    });
    return router;
  }
};

const std::string& current_request_id() {
  static const std::string none;
  const auto& trace = current_trace();
  return trace ? trace->id : none;
}

http_server::http_server(const http_settings& settings, std::vector<route> routes)
    : impl_(std::make_unique<impl>(settings, std::move(routes))) {}

http_server::~http_server() {
  stop();
}

void http_server::start() {
  if (impl_->serving)
    return;
  install_lenient_content_type();
  const auto& s = impl_->settings;
  connection_limits limits;
  limits.framing.head_bytes_max = s.header_bytes_max;
  limits.framing.target_bytes_max = s.target_bytes_max;
  limits.framing.body_bytes_max = s.max_body_bytes;
  limits.header_timeout = std::chrono::seconds(s.header_timeout_s);
  limits.body_timeout = std::chrono::seconds(s.body_timeout_s);
  limits.pipelined_max = s.pipelined_requests_max;
  // Pistache sees only whole requests the guard rewrote (a request line and
  // a Content-Length more than what the limits let through), and its own
  // timeouts, which answer a plain 408, come after every deadline of ours.
  const uint64_t request_bytes_max = uint64_t{s.max_body_bytes} + s.header_bytes_max + 1024;
  const auto library_timeout =
    std::chrono::milliseconds(std::max({uint64_t{s.header_timeout_s} * 1000,
                                        uint64_t{s.body_timeout_s} * 1000,
                                        uint64_t{s.request_deadline_ms}}))
    + std::chrono::seconds(5);
  auto opts = Http::Endpoint::options()
                  .threads(static_cast<int>(s.threads))
                  .maxRequestSize(request_bytes_max)
                  .headerTimeout(library_timeout)
                  .bodyTimeout(library_timeout)
                  .keepaliveTimeout(std::chrono::seconds(s.keepalive_timeout_s))
                  .flags(Pistache::Tcp::Options::ReuseAddr);
  impl_->endpoint.init(opts);
  impl_->endpoint.setHandler(guard_handler(impl_->build_router().handler(), limits,
                                           [impl = impl_.get()] { return impl->next_request_id(); }));
  impl_->endpoint.serveThreaded();
  impl_->serving = true;
}

void http_server::stop() {
  if (!impl_->serving)
    return;
  impl_->endpoint.shutdown();
  impl_->serving = false;
}

uint16_t http_server::port() const {
  return static_cast<uint16_t>(impl_->endpoint.getPort());
}

} // namespace boxoffice::http
