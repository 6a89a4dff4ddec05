// The metrics the server's own parts update, named in one place so that
// /metrics reads as one vocabulary: reservations by outcome (counted when
// committed), seats per section by state, actor mailbox depths, journal
// batches and commit latency, database errors. Every call is lock-free
// after its first use and safe from any actor.
#pragma once

#include "telemetry/metrics.h"

#include <cstdint>
#include <memory>

namespace boxoffice::telemetry {

// Makes every family and fixed series exist (at zero) before the first
// event, so that /metrics shows them from the start.
void register_instruments();

enum class outcome { held, extended, released, expired, purchased, cancelled };
// A committed change of a hold or an order.
void count_reservation(outcome what, uint64_t n = 1);

enum class actor_kind { directory, event, section, journal };
// The mailbox depth an actor saw as it took its next message.
void observe_mailbox(actor_kind kind, size_t depth);

// One journal batch: its rows and how long its commit took.
void observe_commit(size_t rows, double seconds);

// Journal writes the cluster fence refused (their node no longer owned the
// event): boxoffice_fenced_commits_total.
void count_fenced_commits(uint64_t writes);

// A database call that failed ("journal commit", "event load", "accounts: login"...).
void count_database_error(const char* operation);

// The free, held and sold seats (places in general admission) of one section.
class section_gauges {
public:
  section_gauges() = default;
  section_gauges(uint64_t event, uint64_t section);
  void publish(uint32_t free, uint32_t held, uint32_t sold);

private:
  std::shared_ptr<metrics::gauge> free_, held_, sold_;
};

// The waiting room of one event: entries in line, admitted shoppers, and
// admissions since it was loaded.
class queue_gauges {
public:
  queue_gauges() = default;
  explicit queue_gauges(uint64_t event);
  void publish(uint64_t depth, uint64_t active, uint64_t admitted_total);

private:
  std::shared_ptr<metrics::gauge> depth_, active_, admitted_;
};

// Server-Sent Event streams open now (the waiting room's).
void add_queue_streams(int delta);

// The time from an event's sold-out instant to the last waiter who was
// listening then being shown it (boxoffice_queue_sold_out_told_seconds).
void observe_sold_out_told(double seconds);

} // namespace boxoffice::telemetry
