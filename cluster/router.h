// The router: what the HTTP layer talks to in place of the directory. It
// has the directory's interface; a request for an event this node owns (or
// whose owner it does not know yet) goes to the local directory, one for an
// event owned elsewhere goes over the owner's peer link to its node door.
//
// The owner cache (event -> node id) is filled from not_owner answers,
// whichever node gave them: a not_owner names the owner, the router
// remembers it and forwards there at once, at most max_forward_hops times
// per request. A not_owner from the node the cache named, and an
// unreachable owner, invalidate the entry, so the next request asks the
// local directory again (which knows the ownership rows).
//
// A not_owner means nothing ran the request: its event is moving, or the
// cache was stale. The request waits here a few milliseconds and tries
// again (where the cache points then), up to not_owner_tries_max times
// within its deadline, so a planned move fails no request. The same for a
// node not linked yet (nothing was sent). handover_atom and moved_atom pass
// to the local directory; moved also points the cache at the new owner.
//
// One deadline: a request gets forward_deadline from its arrival at the
// router (the gateway's http.request_deadline_ms less a margin); every try
// and every forward carries what is left of it, and the owner asks its
// directory with that. The HTTP thread never waits: the gateway job awaits
// the router's answer like any actor answer.
#pragma once

#include "actors/protocol.h"

#include <caf/all.hpp>

#include <chrono>
#include <string>

namespace boxoffice::cluster {

using link_atom = caf::atom_constant<caf::atom("cl_link")>;
using cache_atom = caf::atom_constant<caf::atom("cl_cache")>;
using retry_atom = caf::atom_constant<caf::atom("cl_retry")>;

constexpr uint8_t max_forward_hops = 2;

// (link_atom, node, link): forward to `node` through `link` (a peer_link);
// the router monitors it and forgets it when it is down.
// (cache_atom, event) -> node id the cache names for it ("" none).
// (cache_atom) -> forwards made so far (tests).
using router_actor = directory_actor::extend<
  caf::reacts_to<link_atom, std::string, caf::actor>,
  caf::reacts_to<retry_atom, uint64_t>,
  caf::replies_to<cache_atom, event_id>::with<std::string>,
  caf::replies_to<cache_atom>::with<uint64_t>>;

struct router_settings {
  std::string self_node;
  directory_actor local;
  std::chrono::milliseconds forward_deadline{2000};
  // Tries again after a not_owner (or no link yet): 5+10+20+40 ms, then
  // every 50 ms; 40 is about 2 s in all: ten times a planned move's goal
  // (200 ms), room for a loaded or sanitized build, inside the deadline
  // (cluster.forward_retries_max).
  uint32_t not_owner_tries_max = 40;
};

router_actor spawn_router(caf::actor_system& sys, router_settings settings);

} // namespace boxoffice::cluster
