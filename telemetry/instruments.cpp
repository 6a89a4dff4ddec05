#include "telemetry/instruments.h"

#include <array>

namespace boxoffice::telemetry {

namespace {

metrics::registry& r() {
  return metrics::default_registry();
}

template <size_t N, class Make>
auto cached(const std::array<const char*, N>& names, Make make) {
  std::array<decltype(make(names[0])), N> children;
  for (size_t i = 0; i < N; ++i)
    children[i] = make(names[i]);
  return children;
}

const auto& reservation_counters() {
  static const auto children = cached(
    std::array<const char*, 6>{"held", "extended", "released", "expired", "purchased",
                               "cancelled"},
    [](const char* name) {
      return r()
        .counters("boxoffice_reservations_total",
                  "Committed reservation changes: holds placed, extended, released, expired; "
                  "purchases; cancellations",
                  {"outcome"})
        .with({name});
    });
  return children;
}

const auto& mailbox_histograms() {
  static const auto children =
    cached(std::array<const char*, 4>{"directory", "event", "section", "journal"},
           [](const char* name) {
             return r()
               .histograms("boxoffice_actor_mailbox_depth",
                           "Messages waiting in an actor's mailbox as it takes the next one",
                           {"actor"}, {0, 1, 4, 16, 64, 256, 1024, 4096})
               .with({name});
           });
  return children;
}

struct commit_histograms {
  std::shared_ptr<metrics::histogram> rows, latency;
};

const commit_histograms& commit_instruments() {
  static const commit_histograms h{
    r().histograms("boxoffice_journal_batch_rows", "Rows per journal commit (group commit)", {},
                   {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024})
      .with({}),
    r().histograms("boxoffice_journal_commit_duration_seconds",
                   "Time one journal batch took to commit", {}, metrics::latency_buckets_s())
      .with({})};
  return h;
}

metrics::family<metrics::counter>& database_errors() {
  static auto& family = r().counters("boxoffice_database_errors_total",
                                     "Database calls that failed, by operation", {"operation"});
  return family;
}

const std::shared_ptr<metrics::counter>& fenced_commits() {
  static const auto counter =
    r().counters("boxoffice_fenced_commits_total",
                 "Journal writes refused by the cluster fence: their node no longer owned the "
                 "event (answered not_owner, undone)",
                 {})
      .with({});
  return counter;
}

metrics::family<metrics::gauge>& seats() {
  static auto& family =
    r().gauges("boxoffice_seats", "Seats (places in general admission) of a section by state",
               {"event", "section", "state"});
  return family;
}

const auto& sold_out_told() {
  static const auto h =
    r().histograms("boxoffice_queue_sold_out_told_seconds",
                   "Time from a sold-out instant to the last waiter listening then being told",
                   {}, {0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60})
      .with({});
  return h;
}

} // namespace

void register_instruments() {
  reservation_counters();
  sold_out_told();
  mailbox_histograms();
  commit_instruments();
  database_errors();
  fenced_commits();
  seats();
}

void observe_sold_out_told(double seconds) {
  sold_out_told()->observe(seconds);
}

void count_fenced_commits(uint64_t writes) {
  fenced_commits()->inc(writes);
}

void count_reservation(outcome what, uint64_t n) {
  reservation_counters()[static_cast<size_t>(what)]->inc(n);
}

void observe_mailbox(actor_kind kind, size_t depth) {
  mailbox_histograms()[static_cast<size_t>(kind)]->observe(static_cast<double>(depth));
}

void observe_commit(size_t rows, double seconds) {
  commit_instruments().rows->observe(static_cast<double>(rows));
  commit_instruments().latency->observe(seconds);
}

void count_database_error(const char* operation) {
  database_errors().with({operation})->inc();
}

section_gauges::section_gauges(uint64_t event, uint64_t section) {
  auto e = std::to_string(event);
  auto s = std::to_string(section);
  free_ = seats().with({e, s, "free"});
  held_ = seats().with({e, s, "held"});
  sold_ = seats().with({e, s, "sold"});
}

void section_gauges::publish(uint32_t free, uint32_t held, uint32_t sold) {
  if (!free_)
    return;
  free_->set(free);
  held_->set(held);
  sold_->set(sold);
}

queue_gauges::queue_gauges(uint64_t event) {
  auto& r = metrics::default_registry();
  metrics::label_values e{std::to_string(event)};
  depth_ = r.gauges("boxoffice_queue_depth", "Waiting-room entries in line (pre-queue included)",
                    {"event"}).with(e);
  active_ = r.gauges("boxoffice_queue_active_shoppers", "Admitted shoppers with a live pass",
                     {"event"}).with(e);
  // A gauge, not a counter: it restarts when the event's room is loaded.
  admitted_ = r.gauges("boxoffice_queue_admitted",
                       "Admissions since the event's room was loaded", {"event"}).with(e);
}

void queue_gauges::publish(uint64_t depth, uint64_t active, uint64_t admitted_total) {
  if (!depth_)
    return;
  depth_->set(static_cast<double>(depth));
  active_->set(static_cast<double>(active));
  admitted_->set(static_cast<double>(admitted_total));
}

void add_queue_streams(int delta) {
  static auto streams = metrics::default_registry()
                          .gauges("boxoffice_queue_streams", "Waiting-room event streams open")
                          .with({});
  streams->add(delta);
}

} // namespace boxoffice::telemetry
