// Durability benchmark (not a test): durable holds per second through the
// whole actor path and the journal's group commit, on SQLite and on
// PostgreSQL, with the batch size the journal settles at; and the time to
// recover an event of 100,000 seats with 50,000 sold. Run by tools/bench.sh
// (PostgreSQL through tools/with-postgres.sh); results in bench/RESULTS.md.
#include "actors/directory.h"
#include "persistence/journal.h"
#include "persistence/sql_store.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>

using namespace boxoffice;
using bench_clock = std::chrono::steady_clock;

namespace {

constexpr int sections = 100;
constexpr uint32_t rows = 10;
constexpr uint32_t seats_per_row = 100;  // 100 x 1,000 = 100,000 seats
constexpr auto run_for = std::chrono::seconds(5);

double seconds_since(bench_clock::time_point start) {
  return std::chrono::duration<double>(bench_clock::now() - start).count();
}

// Counts what reaches the database, to report the batch size.
struct commit_counter {
  std::atomic<long> commits{0};
  std::atomic<long> rows{0};
};

struct counting_store : store {
  counting_store(const std::string& url, std::shared_ptr<commit_counter> c)
    : real(url), counter(std::move(c)) {}
  void apply(const std::vector<change>& batch) override {
    real.apply(batch);
    ++counter->commits;
    counter->rows += static_cast<long>(batch.size());
  }
  std::vector<event_id> event_ids() override { return real.event_ids(); }
  std::optional<event_snapshot> load_event(event_id id) override { return real.load_event(id); }
  sql_store real;
  std::shared_ptr<commit_counter> counter;
};

struct tally {
  std::atomic<long> granted{0};
  std::atomic<long> refused{0};
  std::atomic<int> running{0};
  std::promise<void> all_done;
  bench_clock::time_point until;
  // A fast run sells the whole event before `until`: the rate is measured
  // up to the last grant, not over refusals of a sold-out event.
  std::atomic<bench_clock::rep> last_grant{0};
};

struct client_state {
  directory_actor dir;
  event_id event;
  customer_id next_customer;
  std::mt19937 rng;
  tally* t;
};

void next_hold(caf::event_based_actor* self, std::shared_ptr<client_state> st) {
  if (bench_clock::now() >= st->t->until) {
    if (--st->t->running == 0)
      st->t->all_done.set_value();
    return;
  }
  auto section = std::uniform_int_distribution<section_id>(1, sections)(st->rng);
  self->request(st->dir, caf::infinite, hold_request{st->event, section, st->next_customer++, {}, 1, {}, {}})
    .then([=](hold_info&) {
            ++st->t->granted;
            st->t->last_grant = bench_clock::now().time_since_epoch().count();
            next_hold(self, st);
          },
          [=](caf::error&) { ++st->t->refused; next_hold(self, st); });
}

void client(caf::event_based_actor* self, std::shared_ptr<client_state> st) {
  next_hold(self, std::move(st));
}

template <class Reply, class Req>
Reply ask(caf::scoped_actor& self, const directory_actor& dir, Req req) {
  std::optional<Reply> reply;
  self->request(dir, caf::infinite, std::move(req))
    .receive([&](Reply& r) { reply = std::move(r); },
             [&](caf::error& e) {
               std::fprintf(stderr, "setup failed: %s\n", to_string(e).c_str());
               std::exit(1);
             });
  return std::move(*reply);
}

void bench_durable_holds(const char* name, const std::string& url, int clients) {
  caf::actor_system_config cfg;
  register_protocol(cfg);
  cfg.set("scheduler.max-threads", size_t{2});
  caf::actor_system sys{cfg};
  auto counter = std::make_shared<commit_counter>();
  auto make = [url, counter] { return std::make_unique<counting_store>(url, counter); };
  auto committer = spawn_committer(sys, make);
  auto loader = spawn_loader(sys, make);
  auto journal = spawn_journal(sys, journal_settings{}, committer);
  reservation_limits limits;
  limits.max_sections_per_event = sections;
  auto dir = spawn_directory(sys, directory_settings{limits, 0, 1024, journal, loader,
                                                     sql_store{url}.event_ids(), {}, {}, nullptr});
  {
    caf::scoped_actor self{sys};
    auto event = ask<event_info>(self, dir, create_event_request{"bench", "", "", 0, 0, {}}).id;
    for (int s = 0; s < sections; ++s)
      ask<section_info>(self, dir, add_section_request{event, "s" + std::to_string(s),
                                                       reserved_layout(rows, seats_per_row), 100, {}});
    ask<event_info>(self, dir, set_status_request{event, sale_status::on_sale});
    auto commits_before = counter->commits.load();
    auto rows_before = counter->rows.load();
    tally t;
    t.running = clients;
    t.until = bench_clock::now() + run_for;
    auto done = t.all_done.get_future();
    auto start = bench_clock::now();
    for (int c = 0; c < clients; ++c)
      sys.spawn(client, std::make_shared<client_state>(client_state{
                          dir, event, static_cast<customer_id>(c + 1) * 1'000'000,
                          std::mt19937(c + 1), &t}));
    done.wait();
    auto last = bench_clock::time_point{bench_clock::duration{t.last_grant.load()}};
    auto secs = std::chrono::duration<double>(last - start).count();
    auto commits = counter->commits.load() - commits_before;
    auto batch_rows = counter->rows.load() - rows_before;
    std::printf("%-10s durable holds: %.0f/s (%ld granted in %.2f s, %ld refused after, %d "
                "clients); %ld commits, %.1f rows per commit\n",
                name, t.granted / secs, t.granted.load(), secs, t.refused.load(), clients,
                commits, commits ? static_cast<double>(batch_rows) / commits : 0.0);
  }
  for (caf::actor a : {caf::actor_cast<caf::actor>(dir), caf::actor_cast<caf::actor>(journal),
                       caf::actor_cast<caf::actor>(committer), caf::actor_cast<caf::actor>(loader)})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

// Writes an event of 100,000 seats with 50,000 sold (in 2-seat orders) and
// 5,000 live holds straight through the store, then times loading it.
void bench_recovery(const char* name, const std::string& url) {
  sql_store db{url};
  auto id = db.event_ids().empty() ? 1 : db.event_ids().back() + 1;
  event_info info;
  info.id = id;
  info.title = "recovery";
  info.status = sale_status::on_sale;
  std::vector<change> batch{event_saved{info}};
  for (section_id s = 1; s <= sections; ++s)
    batch.emplace_back(section_added{id, section_info{s, "s", reserved_layout(rows, seats_per_row), 100}});
  db.apply(batch);
  timestamp_ms far = 4'000'000'000'000;
  for (section_id s = 1; s <= sections; ++s) {
    batch.clear();
    for (uint32_t i = 0; i < 250; ++i) {  // 250 orders x 2 seats = 500 sold per section
      hold_record h{i + 1, i + 1, {2 * i, 2 * i + 1}, 2, 1, far};
      batch.emplace_back(hold_placed{id, s, h});
      batch.emplace_back(order_placed{id, s, order_record{i + 1, i + 1, i + 1, h.seats, 2, 2}, 200});
    }
    for (uint32_t i = 0; i < 50; ++i) {  // 50 live holds per section
      hold_record h{1000 + i, 5000 + i, {600 + i}, 1, 1, far};
      batch.emplace_back(hold_placed{id, s, h});
    }
    db.apply(batch);
  }
  auto start = bench_clock::now();
  auto snapshot = sql_store{url}.load_event(id);  // a fresh connection, as at start
  auto secs = seconds_since(start);
  size_t orders = 0, holds = 0;
  for (const auto& s : snapshot->sections) {
    orders += s.orders.size();
    holds += s.holds.size();
  }
  std::printf("%-10s recovery of 100,000 seats (%zu orders = 50,000 sold, %zu live holds): "
              "%.0f ms\n",
              name, orders, holds, secs * 1000);
}

} // namespace

int main() {
  auto dir = std::filesystem::temp_directory_path() / "boxoffice-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<std::pair<const char*, std::string>> targets = {
    {"sqlite", "sqlite://" + (dir / "bench.db").string()}};
  if (const char* pg = std::getenv("BOXOFFICE_TEST_PG_URL"))
    targets.emplace_back("postgresql", pg);
  else
    std::printf("postgresql: skipped (run through tools/with-postgres.sh)\n");
  // Throughput is about rows per commit / commit (fsync) time, and rows per
  // commit grow with the holds in flight: so two crowd sizes.
  for (const auto& [name, url] : targets) {
    for (int clients : {256, 1024})
      bench_durable_holds(name, url, clients);
    bench_recovery(name, url);
  }
  std::filesystem::remove_all(dir);
}
