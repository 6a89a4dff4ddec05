#include "cluster/node_door.h"

#include "cluster/link_messages.h"
#include "cluster/router.h"

#include <memory>

namespace boxoffice::cluster {

namespace {

template <class Reply, class Msg>
void ask(caf::event_based_actor* self, const directory_actor& dir,
         std::chrono::milliseconds timeout, Msg& msg, caf::response_promise rp) {
  self->request(dir, timeout, std::move(msg))
    .then([rp](Reply& r) mutable { rp.deliver(forward_answer{caf::make_message(std::move(r))}); },
          [rp](caf::error& err) mutable {
            // A directory already gone (a node that handed its events over
            // and is stopping) ran nothing: not_owner lets the sender's
            // router try the owner again, instead of an outcome unknown.
            if (err == caf::sec::request_receiver_down)
              err = make_not_owner(owner_hint{});
            rp.deliver(std::move(err));
          });
}

caf::behavior node_door(caf::event_based_actor* self, directory_actor dir) {
  auto manager = std::make_shared<caf::actor>();
  return {
    // The node's link manager, once it runs.
    [manager](link_atom, caf::actor& m) { *manager = std::move(m); },
    // A peer that dialled this node introduces its own door (node_links.h:
    // one connection per pair of nodes); the link manager links back
    // through it.
    [manager](link_atom, std::string& node, caf::actor& door) {
      if (*manager)
        caf::anon_send(*manager, link_atom::value, std::move(node), std::move(door));
    },
    [self, dir](forward_atom, forward_envelope& env) {
      auto rp = self->make_response_promise();
      auto t = std::chrono::milliseconds(std::max<uint32_t>(env.remaining_ms, 1));
      // Every request of event_api, and nothing else.
      caf::message_handler open{
        [&](hold_request& m) { ask<hold_info>(self, dir, t, m, rp); },
        [&](hold_query& m) { ask<hold_info>(self, dir, t, m, rp); },
        [&](extend_request& m) { ask<hold_info>(self, dir, t, m, rp); },
        [&](release_request& m) { ask<hold_info>(self, dir, t, m, rp); },
        [&](purchase_request& m) { ask<order_info>(self, dir, t, m, rp); },
        [&](cancel_request& m) { ask<order_info>(self, dir, t, m, rp); },
        [&](seat_map_request& m) { ask<seat_map>(self, dir, t, m, rp); },
        [&](stats_request& m) { ask<section_stats>(self, dir, t, m, rp); },
        [&](event_request& m) { ask<event_view>(self, dir, t, m, rp); },
        [&](set_status_request& m) { ask<event_info>(self, dir, t, m, rp); },
        [&](edit_event_request& m) { ask<event_info>(self, dir, t, m, rp); },
        [&](add_section_request& m) { ask<section_info>(self, dir, t, m, rp); },
        [&](queue_join_request& m) { ask<queue_status>(self, dir, t, m, rp); },
        [&](queue_status_request& m) { ask<queue_status>(self, dir, t, m, rp); },
        [&](queue_leave_request& m) { ask<queue_status>(self, dir, t, m, rp); },
        [&](queue_settings_request& m) { ask<queue_room_status>(self, dir, t, m, rp); },
        [&](queue_settings_query& m) { ask<queue_room_status>(self, dir, t, m, rp); },
      };
      if (!open(env.body))
        rp.deliver(make_error(errc::invalid_request));
      return rp;
    },
  };
}

} // namespace

caf::actor spawn_node_door(caf::actor_system& sys, directory_actor directory) {
  return sys.spawn(node_door, std::move(directory));
}

} // namespace boxoffice::cluster
