// boxoffice-loadgen: sets up its own sale through the API, runs a scenario
// at a fixed number of keep-alive connections (closed loop, or at a fixed
// rate with --rate: open loop, wire.h) until its time or request
// limit (or until sold out), reports per operation, then audits the sale in
// the database. Exit status: 0 passed, 1 audit violations, 2 setup failure
// (or a run in which no request succeeded).
#include "bench/loadgen/audit.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/scenario.h"
#include "bench/loadgen/setup.h"
#include "bench/loadgen/stats.h"
#include "bench/loadgen/wire.h"

#include <nlohmann/json.hpp>

#include <condition_variable>
#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

using namespace boxoffice::loadgen;
using nlohmann::json;

namespace {

constexpr auto drain_limit = std::chrono::seconds(10);  // > the server's request timeout

struct run_outcome {
  run_stats stats;
  sale_record seen;
  double seconds = 0;
  uint64_t requests = 0;
  std::string failure;  // a thread that could not run
};

uint64_t sum(const std::vector<std::unique_ptr<thread_part>>& parts,
             std::atomic<uint64_t> progress::*field) {
  uint64_t n = 0;
  for (const auto& p : parts)
    n += (p->live.*field).load(std::memory_order_relaxed);
  return n;
}

// Runs the scenario on `o.threads` epoll loops; prints progress each second.
run_outcome run_scenario(const options& o, const sale& s) {
  shared_run run{o, s};
  std::vector<std::unique_ptr<thread_part>> parts;
  std::vector<std::vector<std::unique_ptr<shopper>>> shoppers(o.threads);
  for (uint32_t t = 0; t < o.threads; ++t)
    parts.push_back(std::make_unique<thread_part>());
  for (uint32_t i = 0; i < o.connections; ++i)
    shoppers[i % o.threads].push_back(std::make_unique<shopper>(run, *parts[i % o.threads], i));
  std::mutex m;
  std::condition_variable cv;
  uint32_t finished = 0;
  std::string failure;
  auto start = wire_clock::now();
  std::vector<std::thread> threads;
  for (uint32_t t = 0; t < o.threads; ++t)
    threads.emplace_back([&, t] {
      std::vector<wire_client*> clients;
      for (auto& c : shoppers[t])
        clients.push_back(c.get());
      std::string why;
      try {
        run_wire_loop(o.ipv4, o.port, clients, run.stop, drain_limit, o.rate_per_s / o.threads);
      } catch (const std::exception& e) {
        why = e.what();
        run.stop = true;
      }
      std::lock_guard<std::mutex> lock{m};
      ++finished;
      if (!why.empty())
        failure = why;
      cv.notify_all();
    });
  auto deadline = start + std::chrono::duration_cast<wire_clock::duration>(
                            std::chrono::duration<double>(o.duration_s));
  auto tick = start + std::chrono::seconds(1);
  uint64_t last_answers = 0;
  {
    std::unique_lock<std::mutex> lock{m};
    while (finished < o.threads) {
      cv.wait_until(lock, std::min(tick, deadline), [&] { return finished == o.threads; });
      auto now = wire_clock::now();
      if (now >= deadline)
        run.stop = true;
      if (now >= tick) {
        auto answers = sum(parts, &progress::answers);
        std::fprintf(stderr, "[%5.1fs] requests %llu  successes %llu  errors %llu  rate %llu/s\n",
                     std::chrono::duration<double>(now - start).count(),
                     static_cast<unsigned long long>(answers),
                     static_cast<unsigned long long>(sum(parts, &progress::successes)),
                     static_cast<unsigned long long>(sum(parts, &progress::errors)),
                     static_cast<unsigned long long>(answers - last_answers));
        last_answers = answers;
        tick += std::chrono::seconds(1);
      }
    }
  }
  for (auto& t : threads)
    t.join();
  run_outcome out;
  out.seconds = std::chrono::duration<double>(wire_clock::now() - start).count();
  out.requests = sum(parts, &progress::answers);
  out.failure = failure;
  for (auto& p : parts) {
    merge(out.stats, p->stats);
    out.seen.merge(std::move(p->record));
  }
  return out;
}

json report_json(const options& o, const sale& s, const run_outcome& r) {
  return json{{"scenario", to_string(o.kind)},
              {"url", o.url},
              {"connections", o.connections},
              {"threads", o.threads},
              {"customers", s.tokens.size()},
              {"event_id", s.event_id},
              {"sections", s.section_ids.size()},
              {"capacity", o.kind == scenario::health ? 0 : capacity(o)},
              {"duration_s_limit", o.duration_s},
              {"max_requests", o.max_requests},
              {"elapsed_s", r.seconds},
              {"requests", r.requests},
              {"requests_per_s", r.seconds > 0 ? static_cast<double>(r.requests) / r.seconds : 0},
              {"open_loop", o.rate_per_s > 0},
              {"rate_per_s_intended", o.rate_per_s},
              {"operations", stats_json(r.stats, r.seconds)}};
}

} // namespace

int main(int argc, char** argv) {
  options o;
  sale s;
  try {
    o = parse_options(argc, argv);
    std::fprintf(stderr, "loadgen: %s on %s, %u connections, %u threads; setting up\n",
                 to_string(o.kind), o.url.c_str(), o.connections, o.threads);
    s = prepare_sale(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "loadgen: setup failed: %s\n", e.what());
    return 2;
  }
  if (s.event_id != 0)
    std::fprintf(stderr, "loadgen: event %llu, %zu sections, %zu customers; running\n",
                 static_cast<unsigned long long>(s.event_id), s.section_ids.size(),
                 s.tokens.size());
  auto outcome = run_scenario(o, s);
  if (!outcome.failure.empty()) {
    std::fprintf(stderr, "loadgen: the run failed: %s\n", outcome.failure.c_str());
    return 2;
  }
  auto report = report_json(o, s, outcome);
  auto table = stats_table(outcome.stats, outcome.seconds);
  (o.json ? std::cerr : std::cout) << table;
  int status = 0;
  json audit{{"ran", false}};
  if (!o.db_url.empty() && o.kind != scenario::health) {
    try {
      auto a = audit_sale(o, s, outcome.seen);
      audit = json{{"ran", true}, {"passed", a.violations.empty()},
                   {"violations", a.violations}, {"facts", a.facts}};
      for (const auto& v : a.violations)
        std::fprintf(stderr, "AUDIT VIOLATION: %s\n", v.c_str());
      status = a.violations.empty() ? 0 : 1;
      (o.json ? std::cerr : std::cout)
        << "audit: " << (a.violations.empty() ? "passed" : "FAILED") << " " << a.facts.dump()
        << "\n";
    } catch (const std::exception& e) {
      std::fprintf(stderr, "loadgen: the audit could not run: %s\n", e.what());
      return 2;
    }
  }
  report["audit"] = audit;
  if (o.json)
    std::cout << report.dump(2) << "\n";
  uint64_t successes = 0;
  for (const auto& x : outcome.stats)
    successes += x.successes;
  if (successes == 0) {
    std::fprintf(stderr, "loadgen: the run failed: no request succeeded\n");
    return 2;
  }
  return status;
}
