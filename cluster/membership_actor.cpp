#include "cluster/membership_actor.h"

#include "cluster/membership_listener.h"

#include "cluster/schema.h"
#include "cluster/status.h"
#include "persistence/connection.h"
#include "persistence/worker.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

namespace boxoffice::cluster {

namespace {

// --- The worker: one connection, one blocking call at a time ---------------

struct worker_state {
  std::unique_ptr<sql_connection> connection;
  bool schema_ready = false;
  uint32_t take_lock_timeout_ms = 500;
  static inline const char* name = "cluster_membership_worker";
};

using worker_pointer = membership_worker::stateful_pointer<worker_state>;

// Runs `work` on the connected session, migrating the cluster schema first
// once. `repeatable`: the call may run twice after a lost connection (reads
// and lease renewals); joins, state changes and takes may not.
template <class T, class Work>
caf::result<T> on_database(worker_pointer self, const char* what, bool repeatable, Work work) {
  return store_call<T>(what, [&] {
    T out;
    self->state.connection->guarded(what, [&](soci::session& sql, bool& sent) {
      if (!self->state.schema_ready) {
        migrate_cluster_schema(sql);
        self->state.schema_ready = true;
      }
      sent = !repeatable;
      out = work(sql);
    });
    return out;
  });
}

membership_worker::behavior_type worker_behavior(worker_pointer self, std::string url,
                                                 uint32_t take_lock_timeout_ms) {
  self->state.connection = std::make_unique<sql_connection>(url);
  self->state.take_lock_timeout_ms = take_lock_timeout_ms;
  return {
    [=](join_atom, const std::string& node_id, const member_addresses& addresses,
        uint32_t lease_ms) {
      return on_database<join_result>(self, "cluster join", false, [&](soci::session& sql) {
        return join(sql, node_id, addresses, lease_ms);
      });
    },
    [=](renew_atom, const node_incarnation& id, uint32_t lease_ms) {
      return on_database<lease_renewal>(self, "cluster heartbeat", true,
                                        [&](soci::session& sql) {
                                          return renew_lease(sql, id, lease_ms);
                                        });
    },
    [=](state_atom, const node_incarnation& id, member_state from, member_state to) {
      return on_database<state_change>(self, "cluster state change", false,
                                       [&](soci::session& sql) {
                                         return state_change{change_state(sql, id, from, to)};
                                       });
    },
    [=](declare_atom) {
      return on_database<dead_declaration>(self, "cluster declare dead", true,
                                           [&](soci::session& sql) {
                                             return declare_expired_dead(sql);
                                           });
    },
    [=](members_atom) {
      return on_database<membership_view>(self, "cluster members", true,
                                          [&](soci::session& sql) {
                                            return read_membership(sql);
                                          });
    },
    [=](take_atom, const node_incarnation& id, uint64_t event, int64_t expected_epoch) {
      return on_database<take_result>(self, "cluster take event", false,
                                      [&](soci::session& sql) {
                                        return take_existing_event(
                                          sql, id, event, expected_epoch,
                                          self->state.take_lock_timeout_ms);
                                      });
    },
    [=](owner_atom, uint64_t event) {
      return on_database<owner_lookup>(self, "cluster owner", true, [&](soci::session& sql) {
        return owner_lookup{read_owner(sql, event)};
      });
    },
    [=](orphans_atom) {
      return on_database<orphan_list>(self, "cluster orphans", true, [&](soci::session& sql) {
        return orphan_list{orphaned_events(sql)};
      });
    },
    [=](status_atom) {
      return on_database<std::string>(self, "cluster status", true, [&](soci::session& sql) {
        return read_status_json(sql).dump();
      });
    },
    [=](status_atom, uint64_t event) {
      return on_database<std::string>(self, "cluster event owner", true,
                                      [&](soci::session& sql) {
                                        return read_event_owner_json(sql, event).dump();
                                      });
    },
    [=](handoff_atom, const node_incarnation& id, uint64_t event, int64_t epoch,
        const node_incarnation& to) {
      return on_database<bool>(self, "cluster hand over event", false, [&](soci::session& sql) {
        return hand_over_event(sql, id, event, epoch, to, self->state.take_lock_timeout_ms);
      });
    },
    [=](claim_atom, const node_incarnation& id, uint64_t at_least) {
      return on_database<claimed_event>(self, "cluster claim event", false,
                                        [&](soci::session& sql) {
                                          return claimed_event{claim_new_event(sql, id, at_least)};
                                        });
    },
  };
}

// --- The agent: keeps this node in the membership ---------------------------

using steady = caf::actor_clock;  // steady; virtual in tests

struct agent_state {
  agent_settings settings;
  membership_worker worker;
  caf::actor owner;
  node_incarnation self;  // incarnation 0 while (re)joining
  member_state state = member_state::joining;
  steady::time_point lease_deadline;  // on this node's clock; see the header
  int64_t seen_version = -1;
  bool reading = false;     // a member list read is under way
  bool read_again = false;  // a change was notified meanwhile
  static inline const char* name = "cluster_membership_agent";
};

using agent_pointer = caf::stateful_actor<agent_state>*;

std::chrono::milliseconds ms(uint32_t n) {
  return std::chrono::milliseconds(n);
}

// A store call answers within the lease or counts as failed; the caller
// tries again at its next tick, so at most one of each kind is in flight.
std::chrono::milliseconds call_timeout(agent_pointer self) {
  return ms(self->state.settings.lease_ms);
}

// The owner serves until the local lease deadline, as a count the
// directory compares with its own actor clock (the same steady clock).
void tell_lease(agent_pointer self) {
  const auto& st = self->state;
  self->send(st.owner, lease_until_atom::value,
             static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                    st.lease_deadline.time_since_epoch())
                                    .count()));
}

void join_now(agent_pointer self) {
  auto& st = self->state;
  const auto sent_at = self->clock().now();
  self->request(st.worker, call_timeout(self), join_atom::value, st.settings.node_id,
                st.settings.addresses, st.settings.lease_ms)
    .then(
      [=](const join_result& joined) {
        auto& st = self->state;
        st.self = joined.self;
        st.state = member_state::joining;
        st.lease_deadline = sent_at + ms(st.settings.lease_ms);
        spdlog::info("cluster: joined as {} incarnation {}", st.self.node_id,
                     st.self.incarnation);
        self->send(st.owner, joined_atom::value, st.self);
      },
      [=](const caf::error&) {
        spdlog::warn("cluster: join failed; trying again");
        self->delayed_send(self, ms(self->state.settings.heartbeat_ms), join_atom::value);
      });
}

// This incarnation is dead: the owner stops serving, and the agent comes
// back as a new incarnation unless another process took the node id.
void lost_membership(agent_pointer self, std::optional<end_reason> why) {
  auto& st = self->state;
  const auto reason = why.value_or(end_reason::lease_expired);
  spdlog::warn("cluster: {} incarnation {} was declared dead ({})", st.self.node_id,
               st.self.incarnation, to_string(reason));
  self->send(st.owner, dead_atom::value, st.self, reason);
  st.self.incarnation = 0;
  st.state = member_state::dead;
  if (reason == end_reason::replaced) {
    spdlog::error("cluster: another process joined as {}; this one stops",
                  st.settings.node_id);
    self->quit();
    return;
  }
  // It left on its own (SIGTERM, leave step 1): a renewal that raced the
  // change found the row dead. Coming back would list a node that is
  // exiting (seen: a SIGTERMed node rejoined as incarnation 2 before exit).
  if (reason == end_reason::left)
    return;
  join_now(self);
}

void heartbeat(agent_pointer self) {
  auto& st = self->state;
  auto next = [=] {
    self->delayed_send(self, ms(self->state.settings.heartbeat_ms), heartbeat_atom::value);
  };
  if (st.self.incarnation == 0) {  // a join is under way
    next();
    return;
  }
  const auto sent_at = self->clock().now();
  const auto renewing = st.self;
  self->request(st.worker, call_timeout(self), renew_atom::value, renewing, st.settings.lease_ms)
    .then(
      [=](const lease_renewal& renewal) {
        next();
        auto& st = self->state;
        if (st.self != renewing)
          return;  // an answer for an incarnation already given up
        if (renewal.renewed) {
          st.lease_deadline = sent_at + ms(st.settings.lease_ms);
          tell_lease(self);
        } else
          lost_membership(self, renewal.ended_by);
      },
      [=](const caf::error&) { next(); });  // the local lease runs out on its own
}

// Reads the member list and, on a new version, tells the owner. One read
// at a time: a notification that comes during one reads again after it.
void read_view(agent_pointer self) {
  auto& st = self->state;
  if (st.reading) {
    st.read_again = true;
    return;
  }
  st.reading = true;
  self->request(st.worker, call_timeout(self), members_atom::value)
    .then(
      [=](const membership_view& view) {
        auto& st = self->state;
        st.reading = false;
        if (view.version != st.seen_version) {
          st.seen_version = view.version;
          // Drained (`boxoffice cluster drain`): the row went to
          // leaving; undrained: back to active.
          for (const auto& m : view.members)
            if (m.id == st.self && m.state == member_state::leaving
                && st.state == member_state::active)
              st.state = member_state::leaving;
            else if (m.id == st.self && m.state == member_state::active
                     && st.state == member_state::leaving)
              st.state = member_state::active;
          self->send(st.owner, view);
        }
        if (std::exchange(st.read_again, false))
          read_view(self);
      },
      [=](const caf::error&) {
        self->state.reading = false;
        self->state.read_again = false;  // the next poll reads
      });
}

void poll(agent_pointer self) {
  auto next = [=] {
    self->delayed_send(self, ms(self->state.settings.poll_ms), poll_atom::value);
  };
  self->request(self->state.worker, call_timeout(self), declare_atom::value)
    .then(
      [=](const dead_declaration&) {
        next();
        read_view(self);
      },
      [=](const caf::error&) { next(); });
}

caf::behavior agent_behavior(agent_pointer self, membership_worker worker, caf::actor owner,
                             agent_settings settings) {
  auto& st = self->state;
  st.settings = std::move(settings);
  st.worker = std::move(worker);
  st.owner = std::move(owner);
  join_now(self);
  self->send(self, heartbeat_atom::value);
  self->send(self, poll_atom::value);
  return {
    [=](join_atom) { join_now(self); },
    [=](heartbeat_atom) { heartbeat(self); },
    [=](poll_atom) { poll(self); },
    // A membership change committed (cluster/membership_listener.h).
    [=](notified_atom) { read_view(self); },
    [=](state_atom, member_state to) -> caf::result<bool> {
      auto& st = self->state;
      if (st.self.incarnation == 0)
        return false;
      auto promise = self->make_response_promise<bool>();
      const auto changing = st.self;
      self->request(st.worker, call_timeout(self), state_atom::value, changing, st.state, to)
        .then(
          [=](const state_change& change) mutable {
            auto& st = self->state;
            const bool changed = change.version.has_value() && st.self == changing;
            if (changed)
              st.state = to;
            if (changed && to == member_state::dead)
              st.self.incarnation = 0;  // left: no heartbeat, no rejoin
            promise.deliver(changed);
          },
          [=](const caf::error&) mutable { promise.deliver(false); });
      return promise;
    },
    [=](serving_atom) {
      const auto& st = self->state;
      return st.self.incarnation != 0
             && (st.state == member_state::active || st.state == member_state::leaving)
             && self->clock().now() < st.lease_deadline;
    },
  };
}

} // namespace

membership_worker spawn_membership_worker(caf::actor_system& sys,
                                          const std::string& database_url,
                                          uint32_t take_lock_timeout_ms) {
  return sys.spawn<caf::detached>(worker_behavior, database_url, take_lock_timeout_ms);
}

caf::actor spawn_membership_agent(caf::actor_system& sys, membership_worker worker,
                                  caf::actor owner, agent_settings settings) {
  return sys.spawn(agent_behavior, std::move(worker), std::move(owner), std::move(settings));
}

} // namespace boxoffice::cluster
