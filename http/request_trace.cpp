#include "http/request_trace.h"

#include "telemetry/logging.h"
#include "telemetry/metrics.h"

namespace boxoffice::http {

namespace {

thread_local std::shared_ptr<request_trace> current;

struct http_metrics {
  metrics::family<metrics::counter>& requests;
  metrics::family<metrics::histogram>& latency;
};

http_metrics& instruments() {
  auto& r = metrics::default_registry();
  static http_metrics m{
    r.counters("boxoffice_http_requests_total", "HTTP requests answered, by route and status",
               {"method", "route", "status"}),
    r.histograms("boxoffice_http_request_duration_seconds",
                 "Time from a request's arrival to its response being written, by route",
                 {"method", "route"}, metrics::latency_buckets_s()),
  };
  return m;
}

} // namespace

const std::shared_ptr<request_trace>& current_trace() {
  return current;
}

trace_scope::trace_scope(std::shared_ptr<request_trace> trace)
    : previous_(std::exchange(current, std::move(trace))) {}

trace_scope::~trace_scope() {
  current = std::move(previous_);
}

bool close_current_trace(uint16_t status, const std::string& detail) {
  auto* t = current.get();
  if (t == nullptr)
    return true;
  if (t->closed.exchange(true))
    return false;
  auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t->start);
  auto& m = instruments();
  m.requests.with({t->method, t->route, std::to_string(status)})->inc();
  m.latency.with({t->method, t->route})->observe(elapsed.count());
  // Server-side failures are worth a warning; refusals are the client's business.
  auto level = status >= 500 ? spdlog::level::warn : spdlog::level::info;
  if (!telemetry::logs(level))
    return true;
  telemetry::log(level, "request",
                 {{"request_id", t->id},
                  {"method", t->method},
                  {"route", t->route},
                  {"path", t->path},
                  {"status", static_cast<unsigned>(status)},
                  {"duration_ms", elapsed.count() * 1000},
                  {"client", t->client},
                  {"created", t->created},
                  {"detail", detail}});
  return true;
}

} // namespace boxoffice::http
