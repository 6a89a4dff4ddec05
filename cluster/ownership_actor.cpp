#include "cluster/ownership_actor.h"

#include "cluster/ownership_state.h"
#include "cluster/placement.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

namespace boxoffice::cluster {

bool may_serve(const ownership_state& st) {
  return st.self.incarnation != 0
         && (st.state == member_state::active || st.state == member_state::leaving);
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

namespace {

using tick_atom = caf::atom_constant<caf::atom("cl_tick")>;

// The directory's deadline: the lease while active or leaving, else now.
void tell_directory(self_ptr self) {
  auto& st = self->state;
  if (st.directory)
    self->send(st.directory, lease_atom::value, may_serve(st) ? st.lease_until_ns : int64_t{0});
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
        } else if (took.outcome == take_outcome::no_event) {
          rp.deliver(make_error(errc::event_not_found));  // and no row was written
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
  st.stopping = true;
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

// The row went from leaving back to active (`boxoffice cluster undrain`):
// placement counts this node again, so it takes new and orphaned events and
// the others move its share back. A node that is stopping (SIGTERM) goes
// leaving again instead: it is on its way out.
void undrained(self_ptr self) {
  auto& st = self->state;
  if (!st.stopping) {
    spdlog::info("cluster: undrained: {} takes events again", st.self.node_id);
    st.state = member_state::active;
    tell_directory(self);
    scan_orphans(self);
    return;
  }
  spdlog::warn("cluster: undrained while stopping: {} stays leaving", st.self.node_id);
  const auto leaving = st.self;
  self->request(st.agent, call_timeout, state_atom::value, member_state::leaving)
    .then([=](bool) { if (self->state.self == leaving) rebalance(self); },
          [](const caf::error&) {});
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
      count_members(view);
      if (const auto* me = find_member(st, st.self);
          me && me->state == member_state::leaving && st.state == member_state::active) {
        spdlog::info("cluster: drained: {} hands its events over", st.self.node_id);
        st.state = member_state::leaving;
      } else if (me && me->state == member_state::active && st.state == member_state::leaving) {
        undrained(self);
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
