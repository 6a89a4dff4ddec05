#include "actors/directory.h"

#include "actors/answer_codec.h"
#include "actors/event_actor.h"
#include "actors/wall_clock.h"
#include "actors/mailbox.h"
#include "telemetry/instruments.h"
#include "telemetry/metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace boxoffice {

namespace {

// A request waiting for its event to finish moving.
struct waiting {
  std::function<void(const event_actor&)> pass_on;
  std::function<void(const caf::error&)> fail;
};

struct directory_entry {
  event_actor actor;    // null unless running
  bool moving = false;  // acquiring, loading or handing over: requests wait
  timestamp_ms last_used = 0;
  std::vector<waiting> backlog;
  ownership held;       // cluster mode: granted by the gate; zero until then
  // A planned move: stopped (or stopping) for its new owner; requests wait
  // in the backlog until moved (refused, naming it) or adopt (served here).
  bool handing_over = false;
};

// Requests held while their event moves to another node.
metrics::gauge& waiting_on_move() {
  static auto g = metrics::default_registry()
                    .gauges("boxoffice_cluster_move_waiting_requests",
                            "Requests held while their event moves between nodes")
                    .with({});
  return *g;
}

struct directory_state {
  static inline const char* name = "boxoffice.directory";
  directory_settings settings;
  std::unordered_map<event_id, directory_entry> events;
  event_id next_event_id = 1;
  // Cluster mode: serve until this point of the actor clock (ns), and a
  // count of drops, so that an answer begun before a drop is not used.
  int64_t serve_until_ns = 0;
  uint64_t generation = 0;
};

using self_ptr = directory_actor::stateful_pointer<directory_state>;

bool clustered(self_ptr self) {
  return self->state.settings.gate != nullptr;
}

bool serving(self_ptr self) {
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
    self->clock().now().time_since_epoch());
  return now.count() < self->state.serve_until_ns;
}

event_context context_of(self_ptr self, const directory_entry& entry) {
  const auto& s = self->state.settings;
  return event_context{s.journal, s.limits, entry.held, s.room_limits, s.passes};
}

void run(self_ptr self, directory_entry& entry, event_snapshot snapshot) {
  entry.actor = spawn_event(self->system(), std::move(snapshot), context_of(self, entry));
  self->monitor(entry.actor);
}

// The backlog of an event handing over no longer waits on the move.
void end_handover(directory_entry& entry) {
  if (std::exchange(entry.handing_over, false))
    waiting_on_move().add(-static_cast<double>(entry.backlog.size()));
}

void fail_backlog(directory_entry& entry, const caf::error& err) {
  end_handover(entry);
  entry.moving = false;
  for (auto& w : std::exchange(entry.backlog, {}))
    w.fail(err);
}

void load(self_ptr self, event_id id) {
  self->state.events.at(id).moving = true;
  const auto generation = self->state.generation;
  self->request(self->state.settings.loader, caf::infinite, load_atom::value, id)
    .then(
      [=](event_snapshot& snapshot) {
        auto& entry = self->state.events.at(id);
        if (generation != self->state.generation) {  // dropped meanwhile
          fail_backlog(entry, make_error(errc::not_owner));
          return;
        }
        entry.moving = false;
        run(self, entry, std::move(snapshot));
        for (auto& w : std::exchange(entry.backlog, {}))
          w.pass_on(entry.actor);
      },
      [=](caf::error& err) {
        fail_backlog(self->state.events.at(id), err);
        // Cluster mode makes entries for any id asked: forget unknown ones.
        if (clustered(self) && to_errc(err) == errc::event_not_found)
          self->state.events.erase(id);
      });
}

// Loads the event; in cluster mode it asks the gate first, unless the
// event is already granted (stopped while idle, it stays this node's).
void bring_up(self_ptr self, event_id id) {
  auto& entry = self->state.events.at(id);
  if (!clustered(self) || entry.held.fenced()) {
    load(self, id);
    return;
  }
  entry.moving = true;
  const auto generation = self->state.generation;
  self->request(self->state.settings.gate, caf::infinite, acquire_atom::value, id)
    .then(
      [=](ownership granted) {
        auto& entry = self->state.events.at(id);
        if (generation != self->state.generation) {
          fail_backlog(entry, make_error(errc::not_owner));
          return;
        }
        entry.held = granted;
        load(self, id);
      },
      [=](caf::error& err) {
        auto i = self->state.events.find(id);
        if (i == self->state.events.end())
          return;  // dropped meanwhile (drop_all): its backlog went with it
        fail_backlog(i->second, err);
        // Refused (no such event, owned elsewhere, ...): nothing of it runs
        // here, so forget the entry, or ids asked at random would pile up.
        if (!i->second.actor && !i->second.held.fenced())
          self->state.events.erase(i);
      });
}

void drop_all(self_ptr self);

template <class Req, class Reply>
auto to_event(self_ptr self) {
  return [self](Req& req) -> caf::result<Reply> {
    telemetry::observe_mailbox(telemetry::actor_kind::directory, mailbox_depth(self));
    auto id = event_of(req);
    if (clustered(self) && !serving(self)) {
      drop_all(self);
      return make_error(errc::not_owner);
    }
    auto i = self->state.events.find(id);
    if (i == self->state.events.end()) {
      // Another node may have created it since this one started. Ids start
      // at 1: id 0 (the readiness probe) is never taken.
      if (!clustered(self) || id == 0)
        return make_error(errc::event_not_found);
      i = self->state.events.emplace(id, directory_entry{}).first;
    }
    auto& entry = i->second;
    entry.last_used = wall_clock_ms(self->clock());
    if (entry.actor && !entry.moving)
      return self->delegate(entry.actor, std::move(req));
    if (entry.backlog.size() >= self->state.settings.event_backlog_max)
      return make_error(errc::overloaded);
    auto rp = self->make_response_promise<Reply>();
    entry.backlog.push_back(waiting{
      [rp, req](const event_actor& actor) mutable { rp.delegate(actor, std::move(req)); },
      [rp](const caf::error& err) mutable { rp.deliver(err); }});
    if (entry.handing_over)
      waiting_on_move().add(1);
    if (!entry.moving)
      bring_up(self, id);
    return rp;
  };
}

void stop_event(self_ptr self, event_id id) {
  auto& entry = self->state.events.at(id);
  entry.moving = true;
  auto finished = [=] {
    auto& entry = self->state.events.at(id);
    self->demonitor(entry.actor.address());
    entry.actor = nullptr;
    entry.moving = false;
    if (!entry.backlog.empty())
      bring_up(self, id);
  };
  self->request(entry.actor, caf::infinite, stop_atom::value)
    .then([=](stopped_atom) { finished(); },
          [=](caf::error& err) {
            spdlog::error("event {} failed to stop: {}", id, self->system().render(err));
            finished();
          });
}

// This node lost its events (its membership or lease ended): each stops as
// when idle (its commits in flight are answered, fenced), nothing waits,
// and their ownership is forgotten, so that nothing runs again without a
// new grant.
void drop_all(self_ptr self) {
  ++self->state.generation;
  for (auto& [id, entry] : self->state.events) {
    entry.held = {};
    fail_backlog(entry, make_error(errc::not_owner));
    if (entry.actor) {
      self->demonitor(entry.actor.address());
      caf::anon_send(entry.actor, stop_atom::value);
      entry.actor = nullptr;
    }
  }
}

void adopt(self_ptr self, event_id id, ownership granted) {
  auto& entry = self->state.events[id];
  self->state.next_event_id = std::max(self->state.next_event_id, id + 1);
  if (entry.handing_over && !entry.actor && serving(self)) {
    end_handover(entry);  // the move was called off: run here again
    entry.held = granted;
    load(self, id);
    return;
  }
  if (entry.actor || entry.moving || !serving(self))
    return;  // already here (its grant stands), or no longer serving
  entry.held = granted;
  entry.last_used = wall_clock_ms(self->clock());
  load(self, id);
}

// A planned move, old owner's side: no new work for the event (requests
// wait), its commits in flight are answered (the event's stop waits for
// them), then the ownership it ran at goes back to the cluster, which
// records the new owner and says moved (or adopt, to call it off).
caf::result<ownership> hand_over(self_ptr self, event_id id) {
  auto i = self->state.events.find(id);
  if (i == self->state.events.end() || !i->second.held.fenced())
    return ownership{};  // nothing of it runs here
  auto& entry = i->second;
  if (entry.moving)
    return make_error(errc::overloaded);  // acquiring, loading, stopping or moving: later
  entry.handing_over = true;
  entry.moving = true;
  waiting_on_move().add(static_cast<double>(entry.backlog.size()));
  if (!entry.actor)
    return entry.held;  // stopped while idle: nothing in flight
  auto rp = self->make_response_promise<ownership>();
  const auto generation = self->state.generation;
  auto stopped = [=]() mutable {
    auto& entry = self->state.events.at(id);
    if (entry.actor) {
      self->demonitor(entry.actor.address());
      entry.actor = nullptr;
    }
    if (generation != self->state.generation || !entry.handing_over)
      rp.deliver(make_error(errc::not_owner));  // dropped meanwhile
    else
      rp.deliver(entry.held);
  };
  self->request(entry.actor, caf::infinite, stop_atom::value)
    .then([=](stopped_atom) mutable { stopped(); },
          [=](caf::error& err) mutable {
            spdlog::error("event {} failed to stop for a move: {}", id,
                          self->system().render(err));
            stopped();
          });
  return rp;
}

// The move is done: the event lives on `node` now. Its grant is forgotten
// (a later request asks the gate, which names the new owner), and the
// requests that waited are refused not_owner naming it: nothing ran them
// here, so the router sends them there.
void moved(self_ptr self, event_id id, const std::string& node, const std::string& address) {
  auto i = self->state.events.find(id);
  if (i == self->state.events.end())
    return;
  auto& entry = i->second;
  entry.held = {};
  if (entry.actor) {  // not handed over (a stray order): stop it all the same
    self->demonitor(entry.actor.address());
    caf::anon_send(entry.actor, stop_atom::value);
    entry.actor = nullptr;
  }
  fail_backlog(entry, make_not_owner(owner_hint{node, address}));
}

std::chrono::milliseconds sweep_interval(const directory_settings& settings) {
  // Four sweeps per idle period: an event stops between 1x and 1.25x of it.
  return std::chrono::milliseconds{std::max<int64_t>(settings.event_idle_stop_s * 250, 1000)};
}

void sweep(self_ptr self) {
  auto now = wall_clock_ms(self->clock());
  auto idle_ms = int64_t{self->state.settings.event_idle_stop_s} * 1000;
  for (auto& [id, entry] : self->state.events)
    if (entry.actor && !entry.moving && now - entry.last_used >= idle_ms)
      stop_event(self, id);
  self->delayed_send(self, sweep_interval(self->state.settings), sweep_atom::value);
}

caf::result<event_info> create_event(self_ptr self, create_event_request& req) {
  if (req.title.empty())
    return make_error(errc::invalid_request);
  event_info info;
  info.id = self->state.next_event_id++;
  info.title = std::move(req.title);
  info.description = std::move(req.description);
  info.venue = std::move(req.venue);
  info.starts_at = req.starts_at;
  info.max_tickets_per_customer = req.max_tickets_per_customer
                                    ? req.max_tickets_per_customer
                                    : self->state.settings.limits.max_tickets_per_customer;
  if (clustered(self) && !serving(self))
    return make_error(errc::not_owner);
  auto rp = self->make_response_promise<event_info>();
  auto commit = [=](event_info info, ownership held) mutable {
    auto write = keyed(journal_write{{event_saved{info}}, info.id, held}, req.answer, info,
                       wall_clock_ms(self->clock()));
    self->request(self->state.settings.journal, caf::infinite, std::move(write))
      .then(
        [=](committed_atom) mutable {
          auto& entry = self->state.events[info.id];
          entry.last_used = wall_clock_ms(self->clock());
          entry.held = held;
          entry.moving = false;
          run(self, entry, event_snapshot{info, {}, {}, {}});
          for (auto& w : std::exchange(entry.backlog, {}))
            w.pass_on(entry.actor);
          rp.deliver(info);
        },
        [=](caf::error& err) mutable {
          if (auto i = self->state.events.find(info.id); i != self->state.events.end())
            fail_backlog(i->second, err);
          rp.deliver(std::move(err));
        });
  };
  if (!clustered(self)) {
    commit(info, {});
    return rp;
  }
  // Ids are shared by every node: the gate finds one no node has owned.
  self->request(self->state.settings.gate, caf::infinite, create_atom::value, info.id)
    .then(
      [=](event_id id, ownership held) mutable {
        self->state.next_event_id = std::max(self->state.next_event_id, id + 1);
        // Being created: a move of it (or a request) waits for the commit.
        auto& entry = self->state.events[id];
        entry.moving = true;
        entry.held = held;
        auto numbered = info;
        numbered.id = id;
        commit(std::move(numbered), held);
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// An event that died (not one that stopped) is loaded again on its next
// request; its requests in flight got the error from its dead handle.
// An event actor died. Its writes may still be in the journal: the event is
// loaded again only once they are all answered, or the new actors would
// start from books without them (and reuse their hold and order ids; the
// simulator's actor_crash found it). An empty write for the event is that
// barrier: the journal answers writes in the order it took them, committed
// or not, and either way the store then holds all there is. Requests wait
// in the backlog meanwhile.
void on_down(self_ptr self, const caf::down_msg& down) {
  for (auto& [id, entry] : self->state.events) {
    if (entry.actor && entry.actor.address() == down.source) {
      spdlog::error("event {} stopped unexpectedly: {}", id, self->system().render(down.reason));
      entry.actor = nullptr;
      entry.moving = true;
      const auto event = id;
      const auto generation = self->state.generation;
      auto settled = [=] {
        auto i = self->state.events.find(event);
        if (i == self->state.events.end() || generation != self->state.generation)
          return;  // dropped meanwhile: its backlog was answered then
        i->second.moving = false;
        if (!i->second.backlog.empty())
          bring_up(self, event);
      };
      self->request(self->state.settings.journal, caf::infinite,
                    journal_write{{}, event, entry.held})
        .then([=](committed_atom) { settled(); }, [=](caf::error&) { settled(); });
      return;
    }
  }
}

directory_actor::behavior_type directory_behavior(self_ptr self) {
  return {
    to_event<hold_request, hold_info>(self),
    to_event<hold_query, hold_info>(self),
    to_event<extend_request, hold_info>(self),
    to_event<release_request, hold_info>(self),
    to_event<purchase_request, order_info>(self),
    to_event<cancel_request, order_info>(self),
    to_event<seat_map_request, seat_map>(self),
    to_event<stats_request, section_stats>(self),
    to_event<event_request, event_view>(self),
    to_event<set_status_request, event_info>(self),
    to_event<edit_event_request, event_info>(self),
    to_event<add_section_request, section_info>(self),
    to_event<queue_join_request, queue_status>(self),
    to_event<queue_status_request, queue_status>(self),
    to_event<queue_leave_request, queue_status>(self),
    to_event<queue_settings_request, queue_room_status>(self),
    to_event<queue_settings_query, queue_room_status>(self),
    [=](create_event_request& req) { return create_event(self, req); },
    [=](sweep_atom) { sweep(self); },
    [=](lease_atom, int64_t until_ns) {
      self->state.serve_until_ns = until_ns;
      if (!serving(self))
        drop_all(self);
    },
    [=](adopt_atom, event_id id, ownership granted) { adopt(self, id, granted); },
    [=](drop_atom) { drop_all(self); },
    [=](handover_atom, event_id id) { return hand_over(self, id); },
    [=](moved_atom, event_id id, const std::string& node, const std::string& address) {
      moved(self, id, node, address);
    },
  };
}

// State as spawn arguments, not captures (CAF 0.17.6 dereferences a null
// argument tuple for functions spawned without any).
directory_actor::behavior_type directory_main(self_ptr self, directory_settings settings) {
  for (auto id : settings.stored_events) {
    self->state.events[id];
    self->state.next_event_id = std::max(self->state.next_event_id, id + 1);
  }
  self->state.settings = std::move(settings);
  self->set_down_handler([=](caf::down_msg& down) { on_down(self, down); });
  // Events are not linked (one failing event must not take the directory
  // down), so the directory ends them when it is told to end.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& [id, entry] : self->state.events)
      if (entry.actor)
        self->send_exit(entry.actor, msg.reason);
    self->quit(msg.reason);
  });
  if (self->state.settings.event_idle_stop_s > 0)
    self->delayed_send(self, sweep_interval(self->state.settings), sweep_atom::value);
  return directory_behavior(self);
}

} // namespace

directory_actor spawn_directory(caf::actor_system& sys, const directory_settings& settings) {
  return sys.spawn(directory_main, settings);
}

} // namespace boxoffice
