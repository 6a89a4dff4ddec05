#include "cluster/router.h"

#include "cluster/link_messages.h"
#include "telemetry/metrics.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace boxoffice::cluster {

namespace {

metrics::counter& forwarded_total() {
  static auto c = metrics::default_registry()
                    .counters("boxoffice_forwarded_requests_total",
                              "Requests sent to the node that owns their event")
                    .with({});
  return *c;
}

// Requests waiting to try again after a not_owner (an event on the move).
metrics::gauge& retrying() {
  static auto g = metrics::default_registry()
                    .gauges("boxoffice_cluster_move_waiting_requests",
                            "Requests held while their event moves between nodes")
                    .with({});
  return *g;
}

// How long after its n-th not_owner a request tries again: 5 ms, doubling
// up to 50 ms. A planned move takes tens of milliseconds.
std::chrono::milliseconds retry_delay(uint16_t tries) {
  return std::chrono::milliseconds(std::min(5 << std::min<int>(tries, 4), 50));
}

struct router_state {
  router_settings settings;
  std::unordered_map<uint64_t, std::function<void()>> parked;  // retry id -> try again
  uint64_t next_retry = 0;
  std::unordered_map<event_id, std::string> owners;  // the owner cache
  std::unordered_map<std::string, caf::actor> links;  // node id -> peer_link
  uint64_t next_request = 0;
  uint64_t forwarded = 0;
};

using self_ptr = router_actor::stateful_pointer<router_state>;
using time_point = caf::actor_clock::time_point;

template <class Reply, class Msg>
void attempt(self_ptr self, caf::typed_response_promise<Reply> rp, Msg msg, time_point deadline,
             uint8_t hops, std::string node, uint16_t tries = 0);

// Nothing ran (a not_owner, or no link to the owner yet): the event is on
// the move, or this node's view of its owner is stale. Try again, where the
// cache points then, after a short wait, at most not_owner_tries_max times
// and never past the deadline; then the client gets the refusal (503 with
// Retry-After). The wait parks the request here, not on a thread.
template <class Reply, class Msg>
void retry_later(self_ptr self, caf::typed_response_promise<Reply> rp, Msg msg,
                 time_point deadline, uint16_t tries, caf::error err) {
  const auto wait = retry_delay(tries);
  if (tries >= self->state.settings.not_owner_tries_max
      || self->clock().now() + wait >= deadline) {
    rp.deliver(std::move(err));
    return;
  }
  auto& st = self->state;
  const auto id = ++st.next_retry;
  retrying().add(1);
  st.parked.emplace(id, [self, rp, msg, deadline, tries]() mutable {
    retrying().add(-1);
    auto& st = self->state;
    auto cached = st.owners.find(event_of(msg));
    auto node = cached == st.owners.end() ? std::string{} : cached->second;
    attempt<Reply>(self, rp, std::move(msg), deadline, 0, std::move(node), tries + 1);
  });
  self->delayed_send(self, wait, retry_atom::value, id);
}

// A failed try at `node`: learn from it, maybe try where it points.
template <class Reply, class Msg>
void on_error(self_ptr self, caf::typed_response_promise<Reply> rp, Msg msg, time_point deadline,
              uint8_t hops, const std::string& node, caf::error err, uint16_t tries) {
  auto& st = self->state;
  auto event = event_of(msg);
  if (auto hint = not_owner_hint(err)) {
    const auto& asked = node.empty() ? st.settings.self_node : node;
    if (hint->node.empty() || hint->node == asked || hint->node == st.settings.self_node)
      st.owners.erase(event);  // nobody, itself (stale), or us: ask locally next time
    else
      st.owners[event] = hint->node;
    if (!hint->node.empty() && hint->node != asked && hops < max_forward_hops) {
      attempt<Reply>(self, rp, std::move(msg), deadline, hops + 1, hint->node, tries);
      return;
    }
    retry_later<Reply>(self, rp, std::move(msg), deadline, tries, std::move(err));
    return;
  }
  if (to_errc(err) == errc::event_not_found)
    st.owners.erase(event);  // no owner to remember for an id no event has
  bool remote = !node.empty() && node != st.settings.self_node;
  if (remote && (to_errc(err) == errc::owner_unreachable
                 || err == caf::sec::request_receiver_down)) {
    st.owners.erase(event);
    rp.deliver(make_error(errc::owner_unreachable));
    return;
  }
  rp.deliver(std::move(err));
}

template <class Reply, class Msg>
void attempt(self_ptr self, caf::typed_response_promise<Reply> rp, Msg msg, time_point deadline,
             uint8_t hops, std::string node, uint16_t tries) {
  auto& st = self->state;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - self->clock().now());
  if (left.count() <= 0) {
    rp.deliver(caf::make_error(caf::sec::request_timeout));
    return;
  }
  if (node.empty() || node == st.settings.self_node) {
    auto copy = msg;
    self->request(st.settings.local, left, std::move(copy))
      .then([rp](Reply& r) mutable { rp.deliver(std::move(r)); },
            [self, rp, msg, deadline, hops, node, tries](caf::error& err) mutable {
              on_error<Reply>(self, rp, std::move(msg), deadline, hops, node, std::move(err),
                              tries);
            });
    return;
  }
  auto link = st.links.find(node);
  if (link == st.links.end()) {  // not linked (yet): nothing was sent
    st.owners.erase(event_of(msg));
    retry_later<Reply>(self, rp, std::move(msg), deadline, tries,
                       make_error(errc::owner_unreachable));
    return;
  }
  ++st.forwarded;
  forwarded_total().inc();
  forward_envelope env{++st.next_request, static_cast<uint32_t>(left.count()), hops,
                       caf::make_message(msg)};
  // The link answers by the deadline itself (or at once if the peer goes
  // down); the margin only keeps this handler from racing it.
  self->request(link->second, left + std::chrono::milliseconds(50), forward_atom::value,
                std::move(env))
    .then(
      [rp](forward_answer& a) mutable {
        if (a.body.match_elements<Reply>())
          rp.deliver(a.body.get_as<Reply>(0));
        else
          rp.deliver(caf::make_error(caf::sec::unexpected_response));
      },
      [self, rp, msg, deadline, hops, node, tries](caf::error& err) mutable {
        on_error<Reply>(self, rp, std::move(msg), deadline, hops, node, std::move(err), tries);
      });
}

template <class Reply, class Msg>
caf::typed_response_promise<Reply> route(self_ptr self, Msg& msg) {
  auto rp = self->template make_response_promise<Reply>();
  auto& st = self->state;
  auto cached = st.owners.find(event_of(msg));
  std::string node = cached == st.owners.end() ? std::string{} : cached->second;
  attempt<Reply>(self, rp, std::move(msg), self->clock().now() + st.settings.forward_deadline, 0,
                 std::move(node));
  return rp;
}

router_actor::behavior_type router(self_ptr self, router_settings settings) {
  self->state.settings = std::move(settings);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& links = self->state.links;
    for (auto i = links.begin(); i != links.end();)
      i = i->second.address() == dm.source ? links.erase(i) : std::next(i);
  });
  return {
    [self](hold_request& m) { return route<hold_info>(self, m); },
    [self](hold_query& m) { return route<hold_info>(self, m); },
    [self](extend_request& m) { return route<hold_info>(self, m); },
    [self](release_request& m) { return route<hold_info>(self, m); },
    [self](purchase_request& m) { return route<order_info>(self, m); },
    [self](cancel_request& m) { return route<order_info>(self, m); },
    [self](seat_map_request& m) { return route<seat_map>(self, m); },
    [self](stats_request& m) { return route<section_stats>(self, m); },
    [self](event_request& m) { return route<event_view>(self, m); },
    [self](set_status_request& m) { return route<event_info>(self, m); },
    [self](edit_event_request& m) { return route<event_info>(self, m); },
    [self](add_section_request& m) { return route<section_info>(self, m); },
    [self](queue_join_request& m) { return route<queue_status>(self, m); },
    [self](queue_status_request& m) { return route<queue_status>(self, m); },
    [self](queue_leave_request& m) { return route<queue_status>(self, m); },
    [self](queue_settings_request& m) { return route<queue_room_status>(self, m); },
    [self](queue_settings_query& m) { return route<queue_room_status>(self, m); },
    // A new event is created here: this node takes it (the directory does).
    [self](create_event_request& m) { return self->delegate(self->state.settings.local, m); },
    [self](sweep_atom) { self->send(self->state.settings.local, sweep_atom::value); },
    // The cluster's orders to the node's directory (lease, takeover, drop)
    // pass through: the router holds no events.
    [self](lease_atom, int64_t until) {
      self->send(self->state.settings.local, lease_atom::value, until);
    },
    [self](adopt_atom, event_id e, ownership held) {
      self->send(self->state.settings.local, adopt_atom::value, e, held);
    },
    [self](drop_atom) { self->send(self->state.settings.local, drop_atom::value); },
    [self](handover_atom a, event_id e) { return self->delegate(self->state.settings.local, a, e); },
    // The event lives on `node` now: requests go there at once.
    [self](moved_atom a, event_id e, std::string& node, std::string& address) {
      if (node.empty() || node == self->state.settings.self_node)
        self->state.owners.erase(e);
      else
        self->state.owners[e] = node;
      self->send(self->state.settings.local, a, e, std::move(node), std::move(address));
    },
    [self](retry_atom, uint64_t id) {
      auto i = self->state.parked.find(id);
      if (i == self->state.parked.end())
        return;
      auto again = std::move(i->second);
      self->state.parked.erase(i);
      again();
    },
    [self](link_atom, std::string& node, caf::actor& link) {
      self->monitor(link);
      self->state.links[std::move(node)] = std::move(link);
    },
    [self](cache_atom, event_id e) {
      auto i = self->state.owners.find(e);
      return i == self->state.owners.end() ? std::string{} : i->second;
    },
    [self](cache_atom) { return self->state.forwarded; },
  };
}

} // namespace

router_actor spawn_router(caf::actor_system& sys, router_settings settings) {
  return sys.spawn(router, std::move(settings));
}

} // namespace boxoffice::cluster
