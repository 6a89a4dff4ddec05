// Inside the simulator (simulation::impl): the actor system on the test
// coordinator, the node's actors, the crowd, the agenda of future client
// actions and faults, and the checks. world.cpp runs the node and the step
// loop; crowd.cpp drives the customers and judges their answers.
#pragma once

#include "actors/protocol.h"
#include "sim/simulation.h"
#include "sim/watch.h"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <deque>
#include <functional>
#include <map>
#include <queue>
#include <random>
#include <set>

namespace boxoffice::sim {

struct sim_config : caf::actor_system_config {
  sim_config();
};

enum class op_kind : uint8_t { hold, extend, release, purchase, cancel };

struct customer {
  customer_id id = 0;
  enum class pick : uint8_t { named, best, general } how = pick::best;
  enum class fate : uint8_t { abandon, release, extend, buy, cancel, late } plan = fate::buy;
  uint32_t want = 1;
  uint32_t tries = 0;
  section_id section = 0;
  std::optional<hold_info> hold;
  std::optional<order_info> order;
  bool extended = false;
  bool done = false;
  // The request under way: kind, key, and which attempt is current.
  op_kind kind = op_kind::hold;
  hold_request hold_req;  // kept for retries with the same key
  answer_key key;
  uint32_t next_key = 0;
  uint32_t attempt = 0;
  bool in_server = false;  // the gateway still waits for the actors (a retry gets 409)
  bool gave_up = false;
  std::optional<errc> late_refusal;  // a given-up attempt was refused after all
};

struct agenda_item {
  caf::actor_clock::time_point at;
  uint64_t seq;
  std::function<void()> run;
  bool operator>(const agenda_item& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
};

// actors.request_timeout_ms: the gateway answers 503 when the actors do not.
constexpr timestamp_ms gateway_timeout_ms = 5000;
// A keyed write waits for the actors' own answer this long
// (http::keyed_write_timeout): its key stays in use meanwhile.
constexpr timestamp_ms keyed_write_timeout_ms = 10 * gateway_timeout_ms + 1000;

struct simulation::impl {
  impl(scenario s, uint64_t seed);

  scenario sc;
  uint64_t seed;
  std::mt19937_64 rng;
  sim_config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;
  sim_db db;
  watch model;  // the reference model, fed every message the actors handle
  bool render = false;
  bool echo = false;
  std::vector<std::function<std::string(const sim_db&)>> checks;  // the developer's own

  // The node (replaced on a crash).
  committer_actor committer;
  loader_actor loader;
  caf::actor proxy;
  journal_actor journal;
  directory_actor dir;
  uint64_t epoch = 0;
  bool crash_pending = false;
  bool faults_on = true;
  uint64_t commits_in_flight = 0;

  event_id event = 0;
  std::vector<section_info> reserved, general;
  std::vector<customer> crowd;
  std::priority_queue<agenda_item, std::vector<agenda_item>, std::greater<>> agenda;
  uint64_t agenda_seq = 0;
  timestamp_ms t0 = 0;
  timestamp_ms sale_end = 0;
  timestamp_ms last_jump = 0;
  std::map<std::tuple<event_id, section_id, hold_id>, timestamp_ms> failed_holds;

  result res;
  uint64_t trace = 1469598103934665603ull;  // FNV-1a offset basis
  // The last steps, formatted only when shown (most runs never show them).
  struct step_note {
    timestamp_ms t;
    uint64_t step;
    const char* actor;  // null: `text` says what happened
    uint64_t id;
    std::string text;
  };
  std::deque<step_note> last;
  std::string violation;

  // --- world.cpp ---
  timestamp_ms now() const;
  caf::actor_clock::time_point clock_now() const;
  void at(timestamp_ms when, std::function<void()> f);
  void start_node();
  void crash_node(const char* why);
  void fail(const std::string& what);
  void mix(uint64_t x);
  void note(std::string line);
  void note_actor(const char* name, uint64_t id, std::string msg);
  std::string format(const step_note& n) const;
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }
  uint64_t draw(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  }
  bool step();                       // false: nothing left to do
  void run_until(const bool& flag);  // steps until flag (setup and checks)
  void setup();
  void check_books(bool final_check);
  void liveness();
  result finish();

  // A request from a new client actor; the handler also gets the client's id.
  template <class Reply, class Msg>
  void ask(Msg msg, std::function<void(caf::expected<Reply>&, caf::actor_id)> handler,
           timestamp_ms wait_ms = gateway_timeout_ms);
  template <class Reply, class Msg>
  void ask(Msg msg, std::function<void(caf::expected<Reply>&)> handler) {
    ask<Reply>(std::move(msg),
               std::function<void(caf::expected<Reply>&, caf::actor_id)>{
                 [h = std::move(handler)](caf::expected<Reply>& r, caf::actor_id) { h(r); }});
  }

  // --- crowd.cpp ---
  void populate();
  void act(customer& c);
  void send(customer& c, op_kind kind, bool new_key);
  void retry(customer& c);
  void give_up(customer& c, uint32_t attempt);
  template <class Reply>
  void answered(customer& c, uint32_t attempt, caf::expected<Reply>& r, caf::actor_id client);
  void succeeded(customer& c, const hold_info& h);
  void succeeded(customer& c, const order_info& o);
  void refused(customer& c, errc why);
  void think(customer& c);
  void check_durable(customer& c, op_kind kind, const hold_info* h, const order_info* o);
};

// A client: sends one request, hands its answer (or the gateway's timeout)
// back to the simulator. Inputs are spawn arguments (CAF 0.17.6 and UBSan).
template <class Reply, class Msg>
void client_main(caf::event_based_actor* self, directory_actor dir, Msg msg,
                 std::function<void(caf::expected<Reply>&, caf::actor_id)> handler,
                 timestamp_ms wait_ms) {
  self->request(dir, std::chrono::milliseconds{wait_ms}, std::move(msg))
    .then(
      [=](Reply& r) {
        caf::expected<Reply> x{std::move(r)};
        handler(x, self->id());
      },
      [=](caf::error& e) {
        caf::expected<Reply> x{std::move(e)};
        handler(x, self->id());
      });
}

template <class Reply, class Msg>
void simulation::impl::ask(Msg msg,
                           std::function<void(caf::expected<Reply>&, caf::actor_id)> handler,
                           timestamp_ms wait_ms) {
  sys.spawn(client_main<Reply, Msg>, dir, std::move(msg), std::move(handler), wait_ms);
}

} // namespace boxoffice::sim
