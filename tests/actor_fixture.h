// A deterministic actor system for tests: CAF's test coordinator runs every
// actor on the test's thread, in an order the test drives, in virtual time.
// Nothing sleeps and nothing blocks: a request is made by a short-lived client
// actor whose answer lands in a shared slot.
#pragma once

#include "actors/directory.h"
#include "actors/protocol.h"
#include "actors/wall_clock.h"
#include "persistence/journal.h"
#include "persistence/sql_store.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>

#include <unistd.h>

// Last: dsl.hpp defines lowercase macros (expect, allow, ...).
#define FAIL(msg) BOOST_FAIL(msg)  // dsl.hpp calls an undefined FAIL()
#include <caf/test/dsl.hpp>

namespace boxoffice::test {

struct protocol_config : caf::actor_system_config {
  protocol_config() { register_protocol(*this); }
};

// An answer that may not have arrived yet.
template <class Reply>
using pending = std::shared_ptr<std::optional<caf::expected<Reply>>>;

// A client that asks once and keeps the answer. Its inputs are spawn
// arguments: CAF 0.17.6 trips UBSan when a function is spawned without any.
template <class Reply, class Handle, class... Ts>
void ask_once(caf::event_based_actor* client, Handle dest, pending<Reply> slot, Ts... xs) {
  client->request(dest, caf::infinite, std::move(xs)...)
    .then([=](Reply& reply) { *slot = std::move(reply); },
          [=](caf::error& err) { *slot = std::move(err); });
}

// Keeps every customer_delta it is sent.
inline delta_sink::behavior_type record_deltas(
  std::shared_ptr<std::vector<customer_delta>> log) {
  return {[log](const customer_delta& d) { log->push_back(d); }};
}

struct actor_fixture : test_coordinator_fixture<protocol_config> {
  // Spawns a client that sends `msg` to `dest` when it first runs. Nothing
  // runs until the test runs the scheduler, so several clients can be started
  // and their order driven (see run_first).
  template <class Reply, class Handle, class... Ts>
  pending<Reply> start(const Handle& dest, Ts... xs) {
    auto slot = std::make_shared<std::optional<caf::expected<Reply>>>();
    last_client = sys.spawn(ask_once<Reply, Handle, Ts...>, dest, slot, std::move(xs)...);
    return slot;
  }

  // Sends and runs every actor until nothing is left to do. Timers do not
  // fire: time only moves when the test calls advance_time.
  template <class Reply, class Handle, class... Ts>
  caf::expected<Reply> ask(const Handle& dest, Ts... xs) {
    auto slot = start<Reply>(dest, std::move(xs)...);
    sched.run();
    BOOST_REQUIRE_MESSAGE(slot->has_value(), "no answer");
    return std::move(**slot);
  }

  // The domain code of a refusal, or nullopt for a success or another error.
  template <class T>
  static std::optional<errc> code(const caf::expected<T>& x) {
    return x ? std::nullopt : to_errc(x.error());
  }

  // The time the actors see now.
  timestamp_ms now_ms() { return wall_clock_ms(sched.clock()); }

  caf::actor last_client;
};

// Makes the database fail on demand: every store made by durable_fixture
// checks this switch before it touches the database.
struct fault_switch {
  std::optional<store_error::kind> fail;  // set: every call fails this way
  std::vector<event_id> fenced;           // apply_fenced refuses these events' writes
  std::vector<ownership> seen;            // the ownership of every write apply_fenced got
};

class faulty_store : public store {
public:
  faulty_store(const std::string& url, std::shared_ptr<fault_switch> faults)
    : real_(url), faults_(std::move(faults)) {}

  void apply(const std::vector<change>& batch) override {
    check();
    real_.apply(batch);
  }
  // The fence as a switch: the writes of faults->fenced are dropped.
  std::vector<event_id> apply_fenced(const std::vector<journal_write>& writes) override {
    check();
    std::vector<change> kept;
    std::vector<event_id> lost;
    for (const auto& w : writes) {
      faults_->seen.push_back(w.owner);
      auto& f = faults_->fenced;
      if (std::find(f.begin(), f.end(), w.event) != f.end())
        lost.push_back(w.event);
      else
        kept.insert(kept.end(), w.changes.begin(), w.changes.end());
    }
    real_.apply(kept);
    std::sort(lost.begin(), lost.end());
    lost.erase(std::unique(lost.begin(), lost.end()), lost.end());
    return lost;
  }
  std::vector<event_id> event_ids() override {
    check();
    return real_.event_ids();
  }
  std::optional<event_snapshot> load_event(event_id id) override {
    check();
    return real_.load_event(id);
  }

private:
  void check() {
    if (faults_->fail)
      throw store_error{*faults_->fail, "fault injected by the test"};
  }
  sql_store real_;
  std::shared_ptr<fault_switch> faults_;
};

// A fresh SQLite file and the actors that make changes durable: journal,
// committer and loader, all on the deterministic scheduler (the committer
// blocks the test's thread for the length of a commit; nothing else does).
struct durable_fixture : actor_fixture {
  std::string path;
  std::shared_ptr<fault_switch> faults = std::make_shared<fault_switch>();
  committer_actor committer;
  loader_actor loader;
  journal_actor journal;

  durable_fixture() {
    static int counter = 0;
    path = (std::filesystem::temp_directory_path()
            / ("boxoffice-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter)
               + ".db"))
             .string();
    start_journal();
  }

  ~durable_fixture() override {
    stop_journal();
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path + suffix);
  }

  std::string url() const { return "sqlite://" + path; }

  store_factory factory() {
    return [url = url(), faults = faults] { return std::make_unique<faulty_store>(url, faults); };
  }

  commit_mode mode = commit_mode::direct;  // fenced: the cluster's journal

  void start_journal() {
    committer = spawn_committer(sys, factory(), thread_model::scheduled, mode);
    loader = spawn_loader(sys, factory(), thread_model::scheduled);
    // No batch wait: virtual time only moves when the test moves it.
    journal = spawn_journal(sys, journal_settings{512, 0, 65536, 4}, committer);
  }

  void stop_journal() {
    for (auto a : {caf::actor_cast<caf::actor>(journal), caf::actor_cast<caf::actor>(committer),
                   caf::actor_cast<caf::actor>(loader)})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  // What a fresh process would read from the database.
  std::vector<event_id> stored_events() { return sql_store{url()}.event_ids(); }
};

// A directory with one event on sale, its sections added by the test.
struct event_fixture : durable_fixture {
  reservation_limits limits;
  uint32_t idle_stop_s;
  uint32_t backlog_max;
  waiting_room_limits room_limits;
  std::shared_ptr<const pass_keys> passes =
    std::make_shared<pass_keys>(pass_keys::key{"t1", std::string(32, 'k')});
  directory_actor dir;
  event_id event = 0;

  explicit event_fixture(reservation_limits lim = {}, uint32_t idle_stop = 0,
                         uint32_t backlog = 1024)
    : limits(lim), idle_stop_s(idle_stop), backlog_max(backlog) {
    start_directory();
    auto info = ask<event_info>(dir, create_event_request{"Test night", "", "Hall", 0, 0, {}});
    BOOST_REQUIRE(info);
    event = info->id;
  }

  // The base fixture's destructor fires timers until none is left; the
  // directory's sweep re-arms itself, so it has to stop first.
  ~event_fixture() override { stop_directory(); }

  void start_directory() {
    dir = spawn_directory(sys, directory_settings{limits, idle_stop_s, backlog_max, journal,
                                                  loader, stored_events(), {}, room_limits, passes});
  }

  void stop_directory() {
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    sched.run();
  }

  // Everything in memory is lost; a new directory and journal start from
  // what the database holds, as a new process would.
  void crash_and_restart() {
    stop_directory();
    stop_journal();
    start_journal();
    start_directory();
  }

  section_id add_reserved(uint32_t rows, uint32_t seats_per_row, int64_t price_cents = 1000) {
    auto s = ask<section_info>(dir, add_section_request{event, "S", reserved_layout(rows, seats_per_row),
                                                        price_cents, {}});
    BOOST_REQUIRE(s);
    return s->id;
  }

  section_id add_general(uint32_t capacity) {
    auto s = ask<section_info>(dir, add_section_request{event, "GA", general_layout(capacity), 500, {}});
    BOOST_REQUIRE(s);
    return s->id;
  }

  void open_sale() {
    BOOST_REQUIRE(ask<event_info>(dir, set_status_request{event, sale_status::on_sale}));
  }

  caf::expected<hold_info> hold(customer_id c, section_id s, std::vector<std::string> seats) {
    return ask<hold_info>(dir, hold_request{event, s, c, std::move(seats), 0, {}, {}});
  }

  caf::expected<hold_info> hold_best(customer_id c, section_id s, int32_t quantity) {
    return ask<hold_info>(dir, hold_request{event, s, c, {}, quantity, {}, {}});
  }

  caf::expected<order_info> purchase(customer_id c, const hold_ref& ref) {
    return ask<order_info>(dir, purchase_request{ref, c, {}});
  }

  section_stats stats(section_id s) {
    auto st = ask<section_stats>(dir, stats_request{event, s});
    BOOST_REQUIRE(st);
    return *st;
  }
};

} // namespace boxoffice::test
