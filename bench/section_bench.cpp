// Reservation core benchmark (not a test): how many hold decisions per second
// one section sustains, bare and through the actors, and what one event of
// 100,000 reserved seats costs in memory. Run by tools/bench.sh; results go
// in bench/RESULTS.md.
#include "actors/directory.h"
#include "actors/section_actor.h"
#include "actors/section_state.h"
#include "actors/seat_labels.h"
#include "persistence/journal.h"

#include <atomic>
#include <deque>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <random>
#include <unistd.h>

using namespace boxoffice;
using bench_clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t rows = 100;
constexpr uint32_t seats_per_row = 1000;  // 100,000 seats

// This benchmark measures what happens in memory: the journal runs as in the
// server, but its store forgets every batch (the durable figures are in
// journal_bench).
struct forgetful_store : store {
  void apply(const std::vector<change>&) override {}
  std::vector<event_id> event_ids() override { return {}; }
  std::optional<event_snapshot> load_event(event_id) override { return std::nullopt; }
};

struct in_memory_journal {
  committer_actor committer;
  loader_actor loader;
  journal_actor journal;

  explicit in_memory_journal(caf::actor_system& sys) {
    auto make = [] { return std::make_unique<forgetful_store>(); };
    committer = spawn_committer(sys, make, thread_model::scheduled);
    loader = spawn_loader(sys, make, thread_model::scheduled);
    journal = spawn_journal(sys, journal_settings{512, 0, 1 << 20}, committer);
  }

  ~in_memory_journal() {
    caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(committer, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(loader, caf::exit_reason::user_shutdown);
  }

  directory_settings directory(const reservation_limits& limits) const {
    return directory_settings{limits, 0, 1024, journal, loader, {}, {}, {}, nullptr};
  }
};

double seconds_since(bench_clock::time_point start) {
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

long rss_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * sysconf(_SC_PAGESIZE);
}

// The rule alone: random 1-seat holds on a 100,000-seat section, each
// success released again so the section stays half full.
void bench_state() {
  reservation_limits limits;
  section_state s{reserved_layout(rows, seats_per_row), limits};
  std::mt19937 rng{42};
  std::uniform_int_distribution<uint32_t> seat(0, rows * seats_per_row - 1);
  std::vector<std::string> labels(1);
  std::deque<hold_id> live;
  const int decisions = 2'000'000;
  int granted = 0;
  auto start = bench_clock::now();
  for (int i = 0; i < decisions; ++i) {
    labels[0] = seat_label(s.layout(), seat(rng));
    auto h = s.hold(1, labels, 0, 1000);
    if (h) {
      ++granted;
      live.push_back(h->id);
    }
    if (live.size() > rows * seats_per_row / 2) {
      s.release(live.front(), 1, 1000);
      s.finish_release(live.front());  // at once: no journal here
      live.pop_front();
    }
  }
  auto secs = seconds_since(start);
  std::printf("state  explicit 1-seat holds: %.0f decisions/s (%d granted of %d)\n",
              decisions / secs, granted, decisions);

  section_state ga{reserved_layout(rows, seats_per_row), limits};
  std::uniform_int_distribution<int32_t> party(2, 4);
  int picks = 0;
  start = bench_clock::now();
  while (ga.hold(1, {}, party(rng), 1000))
    ++picks;
  secs = seconds_since(start);
  std::printf("state  best-available 2-4 seats until full: %.0f decisions/s (%d holds, %u sold out)\n",
              picks / secs, picks, ga.stats().held);
}

struct tally {
  std::atomic<long> granted{0};
  std::atomic<int> running{0};
  std::promise<void> all_done;
};

// One requester keeps one hold in flight and releases every hold it gets, so
// the section never fills.
template <class Target, class MakeHold, class MakeRelease>
struct requester_state {
  Target target;
  MakeHold make_hold;
  MakeRelease make_release;
  int id;
  int left;
  bool release;  // give back every hold granted, so the section never fills
  tally* t;
  std::mt19937 rng;
};

template <class State>
void next_hold(caf::event_based_actor* self, std::shared_ptr<State> st) {
  if (st->left <= 0) {
    if (st->left-- == 0 && --st->t->running == 0)  // the first chain to run dry reports
      st->t->all_done.set_value();
    return;
  }
  --st->left;
  self->request(st->target, caf::infinite, st->make_hold(st->id, st->rng))
    .then(
      [=](hold_info& h) {
        ++st->t->granted;
        if (!st->release)
          return next_hold(self, st);
        self->request(st->target, caf::infinite, st->make_release(h))
          .then([=](hold_info&) { next_hold(self, st); });
      },
      [=](caf::error&) { next_hold(self, st); });
}

// Inputs are spawn arguments, not captures: CAF 0.17.6 dereferences a null
// argument tuple for functions spawned without any.
template <class State>
void requester(caf::event_based_actor* self, std::shared_ptr<State> st, int in_flight) {
  for (int i = 0; i < in_flight; ++i)
    next_hold(self, st);
}

template <class Target, class MakeHold, class MakeRelease>
double bench_actor(caf::actor_system& sys, const char* what, Target target, MakeHold make_hold,
                   MakeRelease make_release, bool release, int clients, int holds_per_client,
                   int in_flight = 1) {
  tally t;
  t.running = clients;
  auto done = t.all_done.get_future();
  auto start = bench_clock::now();
  using state = requester_state<Target, MakeHold, MakeRelease>;
  for (int c = 0; c < clients; ++c) {
    auto st = std::make_shared<state>(
      state{target, make_hold, make_release, c, holds_per_client, release, &t,
            std::mt19937(c + 1)});
    sys.spawn(requester<state>, st, in_flight);
  }
  done.wait();  // the benchmark's main thread, not an actor
  auto secs = seconds_since(start);
  long decisions = static_cast<long>(clients) * holds_per_client;
  auto requests = decisions + (release ? t.granted.load() : 0);
  std::printf("%s: %.0f hold decisions/s, %.0f requests/s (%ld granted of %ld, %d clients x %d "
              "in flight)\n",
              what, decisions / secs, requests / secs, t.granted.load(), decisions, clients,
              in_flight);
  return requests / secs;
}

// The ceiling: an actor that answers a hold at once, with no rules at all.
section_actor::behavior_type echo_section() {
  return {
    [](hold_request& r) { return hold_info{{r.event, r.section, 1}, r.customer, r.seats, 1}; },
    [](const hold_query&) { return hold_info{}; },
    [](const extend_request&) { return hold_info{}; },
    [](const release_request&) { return hold_info{}; },
    [](const purchase_request&) { return order_info{}; },
    [](const cancel_request&) { return order_info{}; },
    [](const seat_map_request&) { return seat_map{}; },
    [](const stats_request&) { return section_stats{}; },
    [](stop_atom) { return stopped_atom::value; },
    [](expire_atom, timestamp_ms) {},
  };
}

delta_sink::behavior_type count_deltas(std::shared_ptr<std::atomic<long>> n) {
  return {[n](const customer_delta&) { ++*n; }};
}

void bench_memory(caf::actor_system& sys) {
  auto before = rss_bytes();
  caf::scoped_actor self{sys};
  reservation_limits limits;
  limits.max_seats_per_section = rows * seats_per_row;
  in_memory_journal j{sys};
  auto dir = spawn_directory(sys, j.directory(limits));
  auto ask = [&](auto req, auto reply) {
    using reply_t = decltype(reply);
    self->request(dir, caf::infinite, req).receive([&](reply_t&) {}, [&](caf::error& e) {
      std::fprintf(stderr, "memory bench: %s\n", sys.render(e).c_str());
      std::exit(1);
    });
  };
  event_info info;
  self->request(dir, caf::infinite, create_event_request{"memory", "", "", 0, 1'000'000, {}})
    .receive([&](event_info& i) { info = i; }, [](caf::error&) { std::exit(1); });
  ask(add_section_request{info.id, "all", reserved_layout(rows, seats_per_row), 100, {}},
      section_info{});
  ask(set_status_request{info.id, sale_status::on_sale}, event_info{});
  auto empty = rss_bytes();
  // Sell half the seats in 4-seat orders and hold a quarter more in 2-seat holds.
  for (customer_id c = 1; c <= 12'500; ++c) {
    hold_info h;
    self->request(dir, caf::infinite, hold_request{info.id, 1, c, {}, 4, {}, {}})
      .receive([&](hold_info& x) { h = x; }, [](caf::error&) { std::exit(1); });
    ask(purchase_request{h.ref, c, {}}, order_info{});
  }
  for (customer_id c = 20'001; c <= 32'500; ++c)
    ask(hold_request{info.id, 1, c, {}, 2, {}, {}}, hold_info{});
  auto busy = rss_bytes();
  double seats = rows * seats_per_row;
  std::printf("memory 100,000-seat event: %.1f bytes/seat empty, %.1f bytes/seat with "
              "50%% sold (12,500 orders) + 25%% held (12,500 holds)\n",
              (empty - before) / seats, (busy - before) / seats);
  self->send_exit(dir, caf::exit_reason::user_shutdown);
}

} // namespace

int main() {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  cfg.set("scheduler.max-threads", size_t{2});
  caf::actor_system sys{cfg};
  bench_memory(sys);
  bench_state();

  reservation_limits limits;
  limits.max_seats_per_section = rows * seats_per_row;
  in_memory_journal j{sys};
  {
    caf::scoped_actor parent{sys};
    auto sink = sys.spawn(count_deltas, std::make_shared<std::atomic<long>>(0));
    std::vector<section_actor> sections;
    auto fresh_section = [&] {  // every measurement starts from an empty section
      section_snapshot fresh;
      fresh.info = section_info{1, "bench", reserved_layout(rows, seats_per_row), 100};
      sections.push_back(spawn_section(parent.ptr(), fresh, section_context{1, sink, j.journal,
                                                                             limits, {}}));
      return sections.back();
    };
    auto random_seat = [](int c, std::mt19937& rng) {
      std::uniform_int_distribution<uint32_t> seat(0, rows * seats_per_row - 1);
      return hold_request{1, 1, static_cast<customer_id>(c + 1),
                          {seat_label(reserved_layout(rows, seats_per_row), seat(rng))}, 0, {}, {}};
    };
    auto release = [](const hold_info& h) { return release_request{h.ref, h.customer, {}}; };
    auto echo = sys.spawn(echo_section);
    auto ceiling = bench_actor(sys, "actor  ceiling: echo actor, hold + release", echo,
                               random_seat, release, true, 64, 20'000);
    auto cycle = bench_actor(sys, "actor  section, explicit seat, hold + release",
                             fresh_section(), random_seat, release, true, 64, 20'000);
    auto fill = bench_actor(sys, "actor  section, explicit seat, hold only (fills up)",
                            fresh_section(), random_seat, release, false, 64, 10'000);
    std::printf("ratio  section / echo ceiling: %.2f (hold + release), %.2f (hold only)\n",
                cycle / ceiling, fill / ceiling);
    // A crowd: many requests queue at the section at once, as under a flash sale.
    auto deep_ceiling = bench_actor(sys, "actor  ceiling: echo actor, 16 in flight", echo,
                                    random_seat, release, true, 64, 20'000, 16);
    auto deep = bench_actor(sys, "actor  section, hold + release, 16 in flight",
                            fresh_section(), random_seat, release, true, 64, 20'000, 16);
    std::printf("ratio  section / echo ceiling, 16 in flight: %.2f\n", deep / deep_ceiling);
    caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
    for (const auto& s : sections)
      parent->send_exit(s, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  }
  {
    auto dir = spawn_directory(sys, j.directory(limits));
    caf::scoped_actor self{sys};
    event_info info;
    self->request(dir, caf::infinite, create_event_request{"bench", "", "", 0, 0, {}})
      .receive([&](event_info& i) { info = i; }, [](caf::error&) { std::exit(1); });
    self->request(dir, caf::infinite,
                  add_section_request{info.id, "s", reserved_layout(rows, seats_per_row), 100, {}})
      .receive([](section_info&) {}, [](caf::error&) { std::exit(1); });
    self->request(dir, caf::infinite, set_status_request{info.id, sale_status::on_sale})
      .receive([](event_info&) {}, [](caf::error&) { std::exit(1); });
    auto event = info.id;
    auto best = [event](int c, std::mt19937& rng) {
      return hold_request{event, 1, static_cast<customer_id>(c + 1), {},
                          std::uniform_int_distribution<int32_t>(1, 4)(rng), {}, {}};
    };
    auto release = [](const hold_info& h) { return release_request{h.ref, h.customer, {}}; };
    bench_actor(sys, "actor  directory->event->section, best available 1-4, hold + release", dir,
                best, release, true, 64, 10'000);
    self->send_exit(dir, caf::exit_reason::user_shutdown);
  }
  return 0;
}
