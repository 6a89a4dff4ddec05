// Planned moves, the old owner's side (docs/cluster.md, "Planned moves"):
// which owned events go where, and the steps of one move (hold and drain in
// the directory, record the new owner at the next epoch, hand the held
// requests on, or call the move off). The ownership actor calls rebalance
// on every membership view, every rebalance_ms, and when it starts leaving.
#include "cluster/ownership_state.h"

#include "telemetry/metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace boxoffice::cluster {

namespace {

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

} // namespace

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

void count_members(const membership_view& view) {
  for (auto s : {member_state::joining, member_state::active, member_state::leaving}) {
    auto n = std::count_if(view.members.begin(), view.members.end(),
                           [s](const member& m) { return m.state == s; });
    members_in(s).set(static_cast<double>(n));
  }
}

// Leaving, this node is in no placement, so all of its events go.
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

} // namespace boxoffice::cluster
