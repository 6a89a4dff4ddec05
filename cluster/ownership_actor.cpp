#include "cluster/ownership_actor.h"

#include "cluster/placement.h"

#include "telemetry/metrics.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace boxoffice::cluster {

namespace {

using tick_atom = caf::atom_constant<caf::atom("cl_tick")>;

// --- Metrics ------------------------------------------------------------------

metrics::gauge& members_in(member_state s) {
  static auto& family = metrics::default_registry().gauges(
    "boxoffice_cluster_members", "Live cluster members by state, as this node last read them",
    {"state"});
  return *family.with({to_string(s)});
}

metrics::gauge& owned_events() {
  static auto g = metrics::default_registry()
                    .gauges("boxoffice_cluster_owned_events", "Events this node owns now")
                    .with({});
  return *g;
}

metrics::counter& moves(const char* outcome) {
  static auto& family = metrics::default_registry().counters(
    "boxoffice_cluster_moves_total",
    "Planned moves of an event away from this node: done, or called off (it stays)",
    {"outcome"});
  return *family.with({outcome});
}

metrics::histogram& move_seconds() {
  static auto h = metrics::default_registry()
                    .histograms("boxoffice_cluster_move_seconds",
                                "A planned move on the old owner: from holding the event's "
                                "requests to the new owner recorded",
                                {}, metrics::latency_buckets_s())
                    .with({});
  return *h;
}

struct ownership_state {
  ownership_settings settings;
  membership_worker worker;
  caf::actor agent;
  directory_actor directory;
  node_incarnation self;  // incarnation 0: not joined
  member_state state = member_state::joining;
  int64_t lease_until_ns = 0;  // the agent's last renewal
  membership_view view;
  std::map<uint64_t, int64_t> owned;  // event -> epoch this incarnation took it at
  bool scanning = false;              // a takeover scan is under way
  bool rescan = false;                // a new view came meanwhile
  caf::actor links;                   // the link manager; null: active once joined
  std::map<uint64_t, std::string> moving;  // event -> node it is moving to
  // Leaving (SIGTERM): answered once every event has moved away.
  std::vector<caf::typed_response_promise<bool>> handed_over;
  static inline const char* name = "cluster_ownership";
};

using self_ptr = caf::stateful_actor<ownership_state>*;

constexpr auto call_timeout = std::chrono::seconds(10);

bool may_serve(const ownership_state& st) {
  return st.self.incarnation != 0
         && (st.state == member_state::active || st.state == member_state::leaving);
}

// The directory's deadline: the lease while active or leaving, else now.
void tell_directory(self_ptr self) {
  auto& st = self->state;
  if (st.directory)
    self->send(st.directory, lease_atom::value, may_serve(st) ? st.lease_until_ns : int64_t{0});
}

const member* find_member(const ownership_state& st, const node_incarnation& id) {
  for (const auto& m : st.view.members)
    if (m.id == id)
      return &m;
  return nullptr;
}

std::string http_address_of(const ownership_state& st, const std::string& node_id) {
  for (const auto& m : st.view.members)
    if (m.id.node_id == node_id && m.state != member_state::dead)
      return m.addresses.http_address;
  return {};
}

// Where the event should live: placement over the active members, this
// node included while it is active (the view may not show it yet).
std::optional<std::string> placed(const ownership_state& st, uint64_t event) {
  std::vector<std::string> active;
  for (const auto& m : st.view.members)
    if (m.state == member_state::active && m.id.node_id != st.self.node_id)
      active.push_back(m.id.node_id);
  if (st.state == member_state::active && st.self.incarnation != 0)
    active.push_back(st.self.node_id);
  return place_event(event, active);
}

caf::error elsewhere(const ownership_state& st, const std::string& node_id) {
  return make_not_owner(owner_hint{node_id, http_address_of(st, node_id)});
}

ownership granted(self_ptr self, uint64_t event, int64_t epoch) {
  self->state.owned[event] = epoch;
  return ownership{self->state.self.incarnation, epoch};
}

// Takes `event` from `expected` (0: never owned) and answers the promise.
void take(self_ptr self, uint64_t event, int64_t expected,
          caf::typed_response_promise<ownership> rp) {
  const auto taker = self->state.self;
  self->request(self->state.worker, call_timeout, take_atom::value, taker, event, expected)
    .then(
      [=](const take_result& took) mutable {
        auto& st = self->state;
        if (st.self != taker) {
          rp.deliver(make_error(errc::not_owner));
          return;
        }
        if (took.outcome == take_outcome::taken) {
          spdlog::info("cluster: took event {} at epoch {}", event, took.owner->epoch);
          rp.deliver(granted(self, event, took.owner->epoch));
        } else if (took.owner && took.owner->owner != taker) {
          rp.deliver(elsewhere(st, took.owner->owner.node_id));
        } else {
          rp.deliver(make_error(errc::not_owner));
        }
      },
      [=](const caf::error&) mutable { rp.deliver(make_error(errc::storage_unavailable)); });
}

caf::result<ownership> acquire(self_ptr self, uint64_t event) {
  auto& st = self->state;
  if (!may_serve(st))
    return make_error(errc::not_owner);
  if (auto to = st.moving.find(event); to != st.moving.end())
    return elsewhere(st, to->second);  // it is on its way there
  if (auto found = st.owned.find(event); found != st.owned.end())
    return ownership{st.self.incarnation, found->second};
  auto rp = self->make_response_promise<ownership>();
  const auto asking = st.self;
  self->request(st.worker, call_timeout, owner_atom::value, event)
    .then(
      [=](const owner_lookup& found) mutable {
        auto& st = self->state;
        if (st.self != asking || !may_serve(st)) {
          rp.deliver(make_error(errc::not_owner));
          return;
        }
        if (found.owner && found.owner->owner == st.self) {
          rp.deliver(granted(self, event, found.owner->epoch));
          return;
        }
        if (found.owner && find_member(st, found.owner->owner) != nullptr) {
          rp.deliver(elsewhere(st, found.owner->owner.node_id));  // a live owner
          return;
        }
        auto where = placed(st, event);
        if (!where || *where != st.self.node_id || st.state != member_state::active) {
          rp.deliver(where ? elsewhere(st, *where) : make_error(errc::not_owner));
          return;
        }
        take(self, event, found.owner ? found.owner->epoch : 0, rp);
      },
      [=](const caf::error&) mutable { rp.deliver(make_error(errc::storage_unavailable)); });
  return rp;
}

caf::result<event_id, ownership> create(self_ptr self, uint64_t at_least) {
  auto& st = self->state;
  if (st.state != member_state::active || st.self.incarnation == 0)
    return make_error(errc::not_owner);
  auto rp = self->make_response_promise<event_id, ownership>();
  const auto creator = st.self;
  self->request(st.worker, call_timeout, claim_atom::value, creator, at_least)
    .then(
      [=](const claimed_event& claimed) mutable {
        if (!claimed.event || self->state.self != creator) {
          rp.deliver(make_error(errc::not_owner));
          return;
        }
        rp.deliver(static_cast<event_id>(*claimed.event), granted(self, *claimed.event, 1));
      },
      [=](const caf::error&) mutable { rp.deliver(make_error(errc::storage_unavailable)); });
  return rp;
}

// Takes over, by placement, the events of members that are gone.
void scan_orphans(self_ptr self) {
  auto& st = self->state;
  if (st.state != member_state::active)
    return;
  if (st.scanning) {
    st.rescan = true;
    return;
  }
  st.scanning = true;
  self->request(st.worker, call_timeout, orphans_atom::value)
    .then(
      [=](const orphan_list& orphans) {
        auto& st = self->state;
        for (const auto& o : orphans.events) {
          auto where = placed(st, o.event);
          if (!where || *where != st.self.node_id)
            continue;
          const auto event = o.event;
          self->request(caf::actor_cast<ownership_gate>(self), call_timeout, acquire_atom::value,
                        event)
            .then(
              [=](ownership held) {
                if (self->state.directory)
                  self->send(self->state.directory, adopt_atom::value, event, held);
              },
              [](const caf::error&) {});
        }
        st.scanning = false;
        if (std::exchange(st.rescan, false))
          scan_orphans(self);
      },
      [=](const caf::error&) { self->state.scanning = false; });
}

// --- Planned moves (old owner's side) ------------------------------------------

const member* active_member(const ownership_state& st, const std::string& node_id) {
  for (const auto& m : st.view.members)
    if (m.id.node_id == node_id && m.state == member_state::active)
      return &m;
  return nullptr;
}

bool any_active_peer(const ownership_state& st) {
  for (const auto& m : st.view.members)
    if (m.state == member_state::active && m.id.node_id != st.self.node_id)
      return true;
  return false;
}

// After any change of what this node owns: the gauge, and a leave waiting
// for every event to be gone (or for nowhere left to put them).
void settle(self_ptr self) {
  auto& st = self->state;
  owned_events().set(static_cast<double>(st.owned.size()));
  if (st.handed_over.empty())
    return;
  const bool done = st.owned.empty();
  if (done || !any_active_peer(st) || !may_serve(st))
    for (auto& rp : std::exchange(st.handed_over, {}))
      rp.deliver(done);
}

void call_off(self_ptr self, uint64_t event, ownership held, const char* why) {
  auto& st = self->state;
  spdlog::warn("cluster: move of event {} called off ({}); it stays here", event, why);
  moves("called_off").inc();
  if (st.directory)
    self->send(st.directory, adopt_atom::value, event_id{event}, held);
  settle(self);
}

using time_point = caf::actor_clock::time_point;

// The new owner is recorded: the directory refuses the held requests naming
// it (the routers take them there), and one read through the router brings
// the event up there at once.
void moved_to(self_ptr self, uint64_t event, const node_incarnation& to, int64_t epoch,
              time_point started) {
  auto& st = self->state;
  st.owned.erase(event);
  const auto took = std::chrono::duration<double>(self->clock().now() - started);
  move_seconds().observe(took.count());
  moves("done").inc();
  spdlog::info("cluster: event {} moved to {} at epoch {} ({:.1f} ms)", event, to.node_id, epoch,
               took.count() * 1000);
  self->send(st.directory, moved_atom::value, event_id{event}, to.node_id,
             http_address_of(st, to.node_id));
  self->request(st.directory, call_timeout, event_request{event, true})
    .then([](event_view&) {}, [](caf::error&) {});
  settle(self);
}

// The handoff changed nothing: if the row is still this node's at `at`, the
// new owner could not take it and the move is called off; if another node
// holds it (this one was presumed gone), this node lets it go.
void handoff_refused(self_ptr self, uint64_t event, ownership at) {
  const auto mover = self->state.self;
  self->request(self->state.worker, call_timeout, owner_atom::value, event)
    .then(
      [=](const owner_lookup& found) {
        auto& st = self->state;
        if (st.self != mover)
          return;
        if (found.owner && found.owner->owner == mover && found.owner->epoch == at.epoch) {
          call_off(self, event, at, "the new owner may not take it");
          return;
        }
        st.owned.erase(event);
        const auto node = found.owner ? found.owner->owner.node_id : std::string{};
        spdlog::warn("cluster: event {} is no longer this node's (owner: {})", event, node);
        self->send(st.directory, moved_atom::value, event_id{event}, node,
                   http_address_of(st, node));
        settle(self);
      },
      [=](const caf::error&) {
        if (self->state.self == mover)
          call_off(self, event, at, "database unavailable");
      });
}

// Moves `event` to `to`: the directory holds the event's new requests and
// answers once its commits in flight are answered; one transaction records
// `to` as the owner at the next epoch (this node's later commits of it are
// fenced); then moved_to. A database failure calls the move off: the event
// runs here again, at the epoch it had.
void move_out(self_ptr self, uint64_t event, node_incarnation to) {
  auto& st = self->state;
  const auto mover = st.self;
  const auto started = self->clock().now();
  st.moving[event] = to.node_id;
  self->request(st.directory, call_timeout, handover_atom::value, event_id{event})
    .then(
      [=](ownership) {
        auto& st = self->state;
        auto held = st.owned.find(event);
        if (st.self != mover || held == st.owned.end()) {
          st.moving.erase(event);
          return;  // lost meanwhile: dropped with the rest
        }
        const ownership at{mover.incarnation, held->second};
        self->request(st.worker, call_timeout, handoff_atom::value, mover, event, at.epoch, to)
          .then(
            [=](bool recorded) {
              self->state.moving.erase(event);
              if (self->state.self != mover)
                return;
              if (recorded)
                moved_to(self, event, to, at.epoch + 1, started);
              else
                handoff_refused(self, event, at);
            },
            [=](const caf::error&) {
              self->state.moving.erase(event);
              if (self->state.self == mover)
                call_off(self, event, at, "database unavailable");
            });
      },
      [=](const caf::error&) {  // loading or stopping: the next tick tries again
        self->state.moving.erase(event);
      });
}

// Every event whose placement names another active member moves there, at
// most moves_in_flight_max at once. Leaving, this node is in no placement,
// so all of them go.
void rebalance(self_ptr self) {
  auto& st = self->state;
  if (may_serve(st) && st.directory) {
    std::vector<std::pair<uint64_t, node_incarnation>> starts;
    for (const auto& [event, epoch] : st.owned) {
      if (st.moving.size() + starts.size() >= st.settings.moves_in_flight_max)
        break;
      if (st.moving.count(event) != 0)
        continue;
      auto where = placed(st, event);
      if (!where || *where == st.self.node_id)
        continue;
      if (const auto* to = active_member(st, *where))
        starts.emplace_back(event, to->id);
    }
    for (auto& [event, to] : starts)
      move_out(self, event, to);
  }
  settle(self);
}

void lost(self_ptr self, const std::string& why) {
  auto& st = self->state;
  spdlog::warn("cluster: stops serving its {} events ({})", st.owned.size(), why);
  st.owned.clear();
  st.moving.clear();
  st.self.incarnation = 0;
  st.state = member_state::joining;
  if (st.directory) {
    self->send(st.directory, lease_atom::value, int64_t{0});
    self->send(st.directory, drop_atom::value);
  }
  settle(self);
}

void go_active(self_ptr self) {
  auto& st = self->state;
  const auto joining = st.self;
  self->request(st.agent, call_timeout, state_atom::value, member_state::active)
    .then(
      [=](bool changed) {
        auto& st = self->state;
        if (!changed || st.self != joining)
          return;
        st.state = member_state::active;
        spdlog::info("cluster: {} incarnation {} is active", st.self.node_id,
                     st.self.incarnation);
        tell_directory(self);
        scan_orphans(self);
      },
      [=](const caf::error&) {
        self->delayed_send(self, std::chrono::milliseconds(200), joined_atom::value,
                           self->state.self);
      });
}

// joining -> active once linked to every active member (the events that
// move here are then reachable from every node), as the view that lists
// this incarnation shows them.
void become_active(self_ptr self) {
  auto& st = self->state;
  if (!st.links) {
    go_active(self);
    return;
  }
  auto again = [=] {
    self->delayed_send(self, std::chrono::milliseconds(100), joined_atom::value,
                       self->state.self);
  };
  if (find_member(st, st.self) == nullptr) {
    again();  // the view does not list this incarnation yet
    return;
  }
  std::vector<std::string> peers;
  for (const auto& m : st.view.members)
    if (m.state == member_state::active && m.id.node_id != st.self.node_id)
      peers.push_back(m.id.node_id);
  const auto joining = st.self;
  self->request(st.links, call_timeout, links_atom::value, std::move(peers))
    .then(
      [=](bool linked) {
        if (self->state.self != joining || self->state.state != member_state::joining)
          return;
        if (linked)
          go_active(self);
        else
          again();
      },
      [=](const caf::error&) { again(); });
}

caf::result<bool> leave(self_ptr self, uint8_t step) {
  auto& st = self->state;
  if (st.self.incarnation == 0)
    return false;
  if (step == 2) {  // wait until every event has moved away
    auto rp = self->make_response_promise<bool>();
    st.handed_over.push_back(rp);
    rebalance(self);
    return rp;
  }
  const auto to = step == 0 ? member_state::leaving : member_state::dead;
  auto rp = self->make_response_promise<bool>();
  self->request(st.agent, call_timeout, state_atom::value, to)
    .then(
      [=](bool changed) mutable {
        auto& st = self->state;
        if (changed)
          st.state = to;
        if (to == member_state::dead && changed)
          lost(self, "left the cluster");
        else if (changed)
          rebalance(self);
        rp.deliver(changed);
      },
      [=](const caf::error&) mutable { rp.deliver(false); });
  return rp;
}

// The database's view of the cluster (every member's owned events), and
// this node's own: its incarnation, state, whether it serves, what it owns.
caf::result<std::string> status(self_ptr self) {
  auto rp = self->make_response_promise<std::string>();
  self->request(self->state.worker, call_timeout, status_atom::value)
    .then(
      [=](std::string& json) mutable {
        const auto& st = self->state;
        auto out = nlohmann::json::parse(json);
        auto owned = nlohmann::json::array();
        for (const auto& [event, epoch] : st.owned)
          owned.push_back({{"event_id", event}, {"epoch", epoch}});
        out["self"] = {{"node_id", st.settings.node_id},
                       {"incarnation", st.self.incarnation},
                       {"state", to_string(st.state)},
                       {"serving", may_serve(st)},
                       {"owned", owned}};
        rp.deliver(out.dump());
      },
      [=](caf::error&) mutable { rp.deliver(make_error(errc::storage_unavailable)); });
  return rp;
}

caf::behavior ownership_behavior(self_ptr self, ownership_settings settings,
                                 membership_worker worker) {
  self->state.settings = std::move(settings);
  self->state.worker = std::move(worker);
  self->send(self, tick_atom::value);
  return {
    [=](caf::actor agent) { self->state.agent = std::move(agent); },
    [=](attach_atom, caf::actor dir) {
      self->state.directory = caf::actor_cast<directory_actor>(std::move(dir));
      tell_directory(self);
    },
    [=](joined_atom, const node_incarnation& id) {
      auto& st = self->state;
      if (id != st.self) {
        st.self = id;
        st.state = member_state::joining;
        st.owned.clear();
      }
      if (!st.agent)  // its handle is on its way
        self->delayed_send(self, std::chrono::milliseconds(50), joined_atom::value, id);
      else if (st.self.incarnation != 0 && st.state == member_state::joining)
        become_active(self);
    },
    [=](const membership_view& view) {
      auto& st = self->state;
      st.view = view;
      for (auto s : {member_state::joining, member_state::active, member_state::leaving}) {
        auto n = std::count_if(view.members.begin(), view.members.end(),
                               [s](const member& m) { return m.state == s; });
        members_in(s).set(static_cast<double>(n));
      }
      if (const auto* me = find_member(st, st.self);
          me && me->state == member_state::leaving && st.state == member_state::active) {
        spdlog::info("cluster: drained: {} hands its events over", st.self.node_id);
        st.state = member_state::leaving;
      }
      scan_orphans(self);
      rebalance(self);
    },
    [=](tick_atom) {
      rebalance(self);
      self->delayed_send(self, std::chrono::milliseconds(self->state.settings.rebalance_ms),
                         tick_atom::value);
    },
    [=](links_atom, caf::actor links) { self->state.links = std::move(links); },
    [=](lease_until_atom, int64_t until_ns) {
      self->state.lease_until_ns = until_ns;
      tell_directory(self);
    },
    [=](dead_atom, const node_incarnation& id, end_reason why) {
      if (id == self->state.self)
        lost(self, std::string{"declared dead: "} + to_string(why));
    },
    [=](acquire_atom, event_id event) { return acquire(self, event); },
    [=](create_atom, event_id at_least) { return create(self, at_least); },
    [=](leave_atom, uint8_t step) { return leave(self, step); },
    [=](cluster_atom) { return status(self); },
    [=](cluster_atom, event_id event) -> caf::result<std::string> {
      auto rp = self->make_response_promise<std::string>();
      self->request(self->state.worker, call_timeout, status_atom::value, uint64_t{event})
        .then([=](std::string& json) mutable { rp.deliver(std::move(json)); },
              [=](caf::error&) mutable { rp.deliver(make_error(errc::storage_unavailable)); });
      return rp;
    },
  };
}

} // namespace

cluster_node start_cluster_node(caf::actor_system& sys, membership_worker agent_worker,
                                membership_worker ownership_worker,
                                ownership_settings settings, agent_settings agent) {
  cluster_node node;
  node.ownership = sys.spawn(ownership_behavior, std::move(settings), std::move(ownership_worker));
  node.agent = spawn_membership_agent(sys, std::move(agent_worker), node.ownership,
                                      std::move(agent));
  caf::anon_send(node.ownership, node.agent);
  return node;
}

ownership_gate gate_of(const cluster_node& node) {
  return caf::actor_cast<ownership_gate>(node.ownership);
}

} // namespace boxoffice::cluster
