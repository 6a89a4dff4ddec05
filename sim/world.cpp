#include "sim/world.h"

#include "actors/directory.h"
#include "actors/wall_clock.h"
#include "persistence/journal.h"

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>

namespace boxoffice::sim {

namespace {

constexpr size_t last_kept = 24;
constexpr auto check_every_ms = 10'000;

struct proxy_state {
  static inline const char* name = "sim.disk";
  std::map<uint64_t, std::pair<commit_batch, caf::response_promise>> waiting;
  uint64_t seq = 0;
};

// The simulated disk between the real journal and the real committer: it
// delays each commit (commit latency) and may kill the node after a commit
// and before its answer reaches the journal.
caf::behavior disk_main(caf::stateful_actor<proxy_state>* self, committer_actor real,
                        simulation::impl* w, uint64_t epoch) {
  auto forward = [=](commit_batch batch, caf::response_promise rp) {
    self->request(real, caf::infinite, std::move(batch))
      .then(
        [=](commit_result& r) mutable {
          bool committed = std::any_of(r.failed.begin(), r.failed.end(),
                                       [](const auto& f) { return !f.has_value(); });
          if (committed && epoch == w->epoch && w->faults_on &&
              w->chance(w->sc.faults.crash_after_commit)) {
            ++w->res.cov.crash_after_commit;
            w->crash_pending = true;  // the answer is never delivered
            return;
          }
          if (epoch == w->epoch)
            --w->commits_in_flight;
          rp.deliver(std::move(r));
        },
        [=](caf::error& e) mutable {
          if (epoch == w->epoch)
            --w->commits_in_flight;
          rp.deliver(std::move(e));
        });
  };
  return {
    [=](commit_batch& b) {
      auto rp = self->make_response_promise();
      if (epoch == w->epoch)
        ++w->commits_in_flight;
      auto max = w->sc.faults.commit_latency_ms_max;
      auto ms = w->faults_on && max ? w->draw(0, max) : 0;
      if (ms == 0)
        return forward(std::move(b), rp);
      auto id = ++self->state.seq;
      self->state.waiting.emplace(id, std::make_pair(std::move(b), rp));
      self->delayed_send(self, std::chrono::milliseconds{ms}, flush_atom::value, id);
    },
    [=](flush_atom, uint64_t id) {
      auto node = self->state.waiting.extract(id);
      forward(std::move(node.mapped().first), node.mapped().second);
    },
  };
}

} // namespace

sim_config::sim_config() {
  register_protocol(*this);
  set("scheduler.policy", caf::atom("testing"));
  set("logger.file-verbosity", caf::atom("quiet"));
  set("logger.console-verbosity", caf::atom("quiet"));
}

simulation::impl::impl(scenario s, uint64_t sd)
  : sc(std::move(s)), seed(sd), rng(sd ^ 0x5eed5eed5eedull), sys(cfg),
    sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())),
    model(db, sc.limits) {
  sched.clock().current_time += std::chrono::hours(1);
  t0 = now();
  db.observer.now = [this] { return now(); };
  db.observer.violated = [this](const std::string& what) { fail("store: " + what); };
  db.observer.failed = [this](const std::vector<change>& batch) {
    for (const auto& c : batch)
      if (auto* h = std::get_if<hold_placed>(&c))
        failed_holds[{h->event, h->section, h->hold.id}] = now();
  };
  db.observer.applied = [this](const change& c) {
    auto* e = std::get_if<hold_ended>(&c);
    if (!e || e->why != hold_end::expired)
      return;
    auto* s = db.section(e->event, e->section);
    if (!s || s->holds.count(e->hold))
      return;
    // The hold's own commit failed. Legitimate only if it expired before the
    // section heard of the failure (the undo then finds it gone).
    auto f = failed_holds.find({e->event, e->section, e->hold});
    if (f == failed_holds.end())
      return fail("expired hold " + std::to_string(e->hold) + " was never stored");
    if (e->at > f->second + 60'000 && f->second > last_jump)
      fail("hold " + std::to_string(e->hold) + "'s commit failed at +" +
           std::to_string((f->second - t0) / 1000) + "s, yet it lived on until it expired at +" +
           std::to_string((e->at - t0) / 1000) + "s (a failed commit not undone)");
  };
  db.faults.fail_commit = [this] { return faults_on && chance(sc.faults.commit_fail); };
}

timestamp_ms simulation::impl::now() const { return wall_clock_ms(sched.clock()); }

caf::actor_clock::time_point simulation::impl::clock_now() const {
  return sched.clock().current_time;
}

void simulation::impl::at(timestamp_ms when, std::function<void()> f) {
  auto tp = clock_now() + std::chrono::milliseconds{std::max<timestamp_ms>(when - now(), 0)};
  agenda.push(agenda_item{tp, agenda_seq++, std::move(f)});
}

void simulation::impl::start_node() {
  ++epoch;
  db.live_epoch = epoch;
  commits_in_flight = 0;
  auto make = [this, e = epoch] { return std::make_unique<sim_store>(db, e); };
  committer = spawn_committer(sys, make, thread_model::scheduled);
  loader = spawn_loader(sys, make, thread_model::scheduled);
  proxy = sys.spawn(disk_main, committer, this, epoch);
  journal = spawn_journal(sys, sc.journal, caf::actor_cast<committer_actor>(proxy));

  std::vector<event_id> stored;
  for (const auto& [id, ev] : db.events)
    stored.push_back(id);
  dir = spawn_directory(sys, directory_settings{sc.limits, 0, 1024, journal, loader, stored,
                                                     {}, {}, nullptr});
  model.node_started(caf::actor_cast<caf::actor>(journal).id(),
                     caf::actor_cast<caf::actor>(loader).id(), caf::actor_cast<caf::actor>(dir).id());
}

namespace {

// An exit of high priority: the actor handles it before anything in its
// mailbox, as a process that dies handles nothing more.
void kill_now(const caf::actor& a) {
  if (a)
    caf::anon_send<caf::message_priority::high>(a, caf::exit_msg{caf::actor_addr{},
                                                                 caf::exit_reason::kill});
}

} // namespace

// Everything in memory is lost at once; the store stays. Requests in flight
// die with the actors (their clients hear the gateway's timeout).
void simulation::impl::crash_node(const char* why) {
  note(std::string{"*** "} + why + ": node restarts from the store");
  mix(0xc4a54);
  model.node_died();
  for (const auto& addr : model.all_actors())
    kill_now(caf::actor_cast<caf::actor>(addr));
  for (auto a : {caf::actor_cast<caf::actor>(dir), caf::actor_cast<caf::actor>(journal), proxy,
                 caf::actor_cast<caf::actor>(committer), caf::actor_cast<caf::actor>(loader)})
    kill_now(a);
  start_node();
}

void simulation::impl::fail(const std::string& what) {
  if (!violation.empty())
    return;
  violation = what;
  res.failed_step = res.steps;
}

void simulation::impl::mix(uint64_t x) {
  for (int i = 0; i < 8; ++i) {
    trace ^= (x >> (i * 8)) & 0xff;
    trace *= 1099511628211ull;
  }
}

void simulation::impl::note(std::string line) {
  note_actor(nullptr, 0, std::move(line));
}

void simulation::impl::note_actor(const char* name, uint64_t id, std::string msg) {
  last.push_back(step_note{now(), res.steps, name, id, std::move(msg)});
  if (echo)
    std::cout << format(last.back()) << "\n";
  if (last.size() > last_kept)
    last.pop_front();
}

std::string simulation::impl::format(const step_note& n) const {
  std::ostringstream out;
  out << "t=+" << std::fixed << std::setprecision(3) << (n.t - t0) / 1000.0 << "s step "
      << n.step << ": ";
  if (n.actor)
    out << n.actor << "#" << n.id << (n.text.empty() ? "" : " <- ");
  out << n.text;
  return out.str();
}

bool simulation::impl::step() {
  if (crash_pending) {
    crash_pending = false;
    crash_node("crash between commit and answer");
  }
  std::optional<caf::actor_clock::time_point> next;
  const auto& timers = sched.clock().schedule();
  if (!timers.empty())
    next = timers.begin()->first;
  if (!agenda.empty() && (!next || agenda.top().at < *next))
    next = agenda.top().at;
  bool jobs = sched.has_job();
  if (jobs && (!next || !chance(sc.timer_race))) {
    // The seed picks which ready actor handles its next message.
    if (sched.jobs.size() > 1 && chance(sc.reorder))
      std::swap(sched.jobs.front(), sched.jobs[draw(0, sched.jobs.size() - 1)]);
    auto* actor = dynamic_cast<caf::scheduled_actor*>(sched.jobs.front());
    uint64_t id = actor ? actor->id() : 0;
    const caf::mailbox_element* msg = actor ? actor->peek_at_next_mailbox_element() : nullptr;
    if (render && actor)
      note_actor(actor->name(), id, msg ? caf::to_string(msg->content()) : std::string{"?"});
    else if (actor)
      note_actor(actor->name(), id, {});
    // The model sees the message before the actor handles it, and the run
    // ends before an actor acts on a contradiction (its own abort included).
    model.before(actor, msg, now());
    if (!model.error.empty()) {
      fail(model.error);
      return true;
    }
    auto latest = sys.latest_actor_id();
    sched.run_once();
    model.after(id, latest, sched.jobs);
    for (const auto& check : checks)
      if (auto bad = check(db); !bad.empty())
        fail(bad);
    ++res.messages;
    ++res.steps;
    mix(id);
    return true;
  }
  if (!next)
    return jobs;
  auto target = *next;
  if (jobs)  // time moves while messages wait: timers race them
    target = std::min(target, clock_now() + std::chrono::milliseconds{draw(1, 20)});
  if (target < clock_now())
    target = clock_now();
  sched.clock().advance_time(target - clock_now());
  while (!agenda.empty() && agenda.top().at <= clock_now()) {
    auto item = agenda.top();
    agenda.pop();
    item.run();
  }
  ++res.steps;
  mix(static_cast<uint64_t>(now() - t0));
  return true;
}

void simulation::impl::run_until(const bool& flag) {
  while (!flag && violation.empty()) {
    if (!step())
      return fail("stalled: nothing left to run, yet an answer is missing");
    if (res.steps > sc.steps_max)
      return fail("no progress within steps_max");
  }
}

void simulation::impl::setup() {
  faults_on = false;
  start_node();
  // Shared: a failed setup returns while answers are still on their way.
  auto flag = std::make_shared<bool>(false);
  bool& done = *flag;
  ask<event_info>(create_event_request{"Simulated sale", "", "Sim hall", 0,
                                       sc.limits.max_tickets_per_customer, {}},
                  [this, flag](caf::expected<event_info>& r) {
                    if (!r)
                      return fail("setup: create event failed");
                    event = r->id;
                    *flag = true;
                  });
  run_until(done);
  auto add = [&](const std::string& name, section_layout layout, int64_t price, bool ga) {
    done = false;
    ask<section_info>(add_section_request{event, name, layout, price, {}},
                      [this, flag, ga](caf::expected<section_info>& r) {
                        if (!r)
                          return fail("setup: add section failed");
                        (ga ? general : reserved).push_back(*r);
                        *flag = true;
                      });
    run_until(done);
  };
  for (uint32_t i = 0; i < sc.reserved_sections; ++i)
    add("R" + std::to_string(i + 1), reserved_layout(sc.rows, sc.seats_per_row), 1000 + i, false);
  for (uint32_t i = 0; i < sc.general_sections; ++i)
    add("GA" + std::to_string(i + 1), general_layout(sc.general_capacity), 500, true);
  done = false;
  ask<event_info>(set_status_request{event, sale_status::on_sale},
                  [this, flag](caf::expected<event_info>& r) {
                    if (!r)
                      return fail("setup: open sale failed");
                    *flag = true;
                  });
  run_until(done);
  faults_on = true;
}

// The section's own books (stats through the real actors) against seat
// conservation, and in the final check against the store, seat by seat.
void simulation::impl::check_books(bool final_check) {
  std::vector<section_info> all = reserved;
  all.insert(all.end(), general.begin(), general.end());
  // Shared: the checks during the sale return before their answers come.
  auto missing = std::make_shared<size_t>(all.size());
  auto done = std::make_shared<bool>(false);
  for (const auto& s : all) {
    ask<seat_map>(seat_map_request{event, s.id}, [=](caf::expected<seat_map>& r) {
      if (--*missing == 0)
        *done = true;
      if (!r) {
        if (final_check)
          fail("final check: section " + std::to_string(s.id) + " did not answer");
        return;
      }
      const auto& st = r->stats;
      if (st.free + st.held + st.sold != st.capacity)
        return fail("section " + std::to_string(s.id) + ": free " + std::to_string(st.free) +
                    " + held " + std::to_string(st.held) + " + sold " + std::to_string(st.sold) +
                    " != capacity " + std::to_string(st.capacity));
      auto* stored = db.section(event, s.id);
      if (stored && stored->sold == stored->info.layout.capacity)
        ++res.cov.sold_out;
      if (!final_check || !stored)
        return;
      if (st.held != 0)
        fail("liveness: section " + std::to_string(s.id) + " still holds " +
             std::to_string(st.held) + " seats after the quiet phase");
      if (st.sold != stored->sold)
        fail("section " + std::to_string(s.id) + ": actors sold " + std::to_string(st.sold) +
             ", the store " + std::to_string(stored->sold));
      for (size_t i = 0; i < r->seats.size() && i < stored->seat_order.size(); ++i)
        if ((r->seats[i] == seat_status::sold) != (stored->seat_order[i] != 0))
          return fail("section " + std::to_string(s.id) + " seat " + std::to_string(i) +
                      ": actors and store disagree");
      // And the reference model's books, seat by seat.
      auto* m = model.section(s.id);
      if (!m)
        return fail("final check: the reference model has no live section " + std::to_string(s.id));
      auto ms = m->stats();
      if (ms.held != st.held || ms.sold != st.sold)
        return fail("section " + std::to_string(s.id) + ": actors hold " + std::to_string(st.held) +
                    " and sold " + std::to_string(st.sold) + ", the reference model " +
                    std::to_string(ms.held) + " and " + std::to_string(ms.sold));
      for (size_t i = 0; i < r->seats.size() && i < m->seats().size(); ++i)
        if (static_cast<uint8_t>(r->seats[i]) != m->seats()[i])
          return fail("section " + std::to_string(s.id) + " seat " + std::to_string(i) +
                      ": actors and the reference model disagree");
    });
  }
  if (final_check)
    run_until(*done);
}

// The sale, then the quiet phase (the sale-end agenda item turns faults
// off) until nothing is left to run; then liveness and recovery checks.
void simulation::impl::liveness() {
  while (violation.empty() && step())
    if (res.steps > sc.steps_max)
      return fail("no progress within steps_max");
  if (!violation.empty())
    return;
  // A node that crashed late has not loaded the event again: wake it (as
  // any request would) and let its holds expire.
  check_books(false);
  while (violation.empty() && step())
    if (res.steps > sc.steps_max)
      return fail("no progress within steps_max");
  if (!violation.empty())
    return;
  for (const auto& c : crowd)
    if (c.in_server)
      return fail("liveness: customer " + std::to_string(c.id) + " still waits for an answer");
  if (commits_in_flight != 0)
    return fail("liveness: the journal still has commits in flight");
  for (const auto& [eid, ev] : db.events)
    for (const auto& [sid, s] : ev.sections)
      for (const auto& [id, quantity] : s.live)
        if (s.holds.at(id).rec.expires_at > now())
          return fail("liveness: hold " + std::to_string(id) + " neither bought nor expired");
  check_books(true);
  if (!violation.empty())
    return;
  crash_node("final recovery");
  check_books(true);
  if (!violation.empty())
    violation = "after recovery: " + violation;
}

result simulation::impl::finish() {
  res.passed = violation.empty();
  res.violation = violation;
  res.virtual_s = (now() - t0) / 1000.0;
  res.trace = trace;
  res.replies_checked = model.compared;
  for (const auto& n : last)
    res.last.push_back(format(n));
  res.cov.expired_then_held = db.expired_then_held;
  for (const auto& [eid, ev] : db.events)
    for (const auto& [sid, s] : ev.sections) {
      res.holds += s.holds.size();
      res.orders += s.orders.size();
      res.sold += s.sold;
      res.capacity += s.info.layout.capacity;
    }
  return res;
}

// --- simulation ---------------------------------------------------------------

simulation::simulation(scenario s, uint64_t seed) : impl_(std::make_unique<impl>(std::move(s), seed)) {}
simulation::~simulation() {
  auto& w = *impl_;
  // Events and sections first, so that none handles another message (a
  // failed run stops right before an actor would act on a contradiction).
  for (const auto& addr : w.model.all_actors())
    kill_now(caf::actor_cast<caf::actor>(addr));
  caf::anon_send_exit(w.dir, caf::exit_reason::user_shutdown);
  for (auto a : {caf::actor_cast<caf::actor>(w.journal), w.proxy,
                 caf::actor_cast<caf::actor>(w.committer), caf::actor_cast<caf::actor>(w.loader)})
    caf::anon_send_exit(a, caf::exit_reason::kill);
  // Every actor must end before the actor system does (it waits for them):
  // run what is left and fire every timer, with a bound against surprises.
  for (int i = 0; i < 10'000'000; ++i)
    if (!w.sched.try_run_once() && !w.sched.clock().trigger_timeout())
      break;
}

void simulation::render_messages(bool on) { impl_->render = on; }
void simulation::echo_steps(bool on) { impl_->echo = on; }
void simulation::add_check(std::function<std::string(const sim_db&)> check) {
  impl_->checks.push_back(std::move(check));
}
const sim_db& simulation::db() const { return impl_->db; }

result simulation::run() {
  auto& w = *impl_;
  w.setup();
  if (w.violation.empty()) {
    w.populate();
    w.liveness();
  }
  return w.finish();
}

std::string result::report() const {
  std::ostringstream out;
  if (passed) {
    out << "PASSED steps=" << steps << " virtual_s=" << std::fixed << std::setprecision(3)
        << virtual_s << " trace=" << std::hex << std::setw(16) << std::setfill('0') << trace;
    return out.str();
  }
  out << "FAILED at step " << failed_step << ": " << violation << "\nlast steps:\n";
  for (const auto& l : last)
    out << "  " << l << "\n";
  return out.str();
}

scenario derive(uint64_t seed, const std::string& name, const std::string& faults) {
  bool file = name.size() > 5 && (name.substr(name.size() - 5) == ".yaml" ||
                                  name.substr(name.size() - 4) == ".yml");
  auto s = file ? load_scenario(name) : preset(name);
  std::mt19937_64 rng{seed};
  draw_interleaving(s, rng);
  draw_faults(s, faults, rng);
  return s;
}

} // namespace boxoffice::sim
