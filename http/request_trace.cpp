#include "http/request_trace.h"

#include "telemetry/logging.h"
#include "telemetry/metrics.h"

#include <array>
#include <map>
#include <mutex>
#include <vector>

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

class route_instruments {
public:
  route_instruments(std::string method, std::string route)
      : method_(std::move(method)), route_(std::move(route)),
        latency_(instruments().latency.with({method_, route_})) {}

  void record(uint16_t status, double seconds) const {
    requests(status).inc();
    latency_->observe(seconds);
  }

private:
  static constexpr uint16_t status_min = 100;
  static constexpr uint16_t status_max = 599;

  // Lock-free once a status has been seen; the family's lock the first time.
  metrics::counter& requests(uint16_t status) const {
    if (status < status_min || status > status_max)
      return *keep(status);
    auto& slot = by_status_[status - status_min];
    if (auto* c = slot.load(std::memory_order_acquire))
      return *c;
    auto* c = keep(status);
    slot.store(c, std::memory_order_release);
    return *c;
  }

  metrics::counter* keep(uint16_t status) const {
    auto c = instruments().requests.with({method_, route_, std::to_string(status)});
    std::lock_guard lock(mutex_);
    kept_.push_back(c);
    return c.get();
  }

  std::string method_;
  std::string route_;
  std::shared_ptr<metrics::histogram> latency_;
  mutable std::array<std::atomic<metrics::counter*>, status_max - status_min + 1> by_status_{};
  mutable std::mutex mutex_;
  mutable std::vector<std::shared_ptr<metrics::counter>> kept_;
};

const route_instruments& instruments_for(const std::string& method, const std::string& route) {
  static std::mutex mutex;
  static std::map<std::pair<std::string, std::string>, std::unique_ptr<route_instruments>> all;
  std::lock_guard lock(mutex);
  auto& slot = all[{method, route}];
  if (!slot)
    slot = std::make_unique<route_instruments>(method, route);
  return *slot;
}

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
  const auto* m = t->instruments;
  (m ? *m : instruments_for(t->method, t->route)).record(status, elapsed.count());
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
