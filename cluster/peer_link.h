// One link actor per linked peer node. Every request this node forwards to
// that peer goes through its link, which keeps the requests still waiting
// for an answer in its own table and monitors the peer's node door.
//
// Why the table: in CAF 0.17 a request to an actor on a node that dies is
// not failed when the down_msg arrives; its response handler runs only at
// its timeout (measured: 10 s late against 1-4 ms for the down_msg). So on
// the door's down_msg the link fails every pending forward AT ONCE with
// errc::owner_unreachable (503 + Retry-After), then quits; the router drops
// it and the link manager connects again when the peer is back.
#pragma once

#include "cluster/link_messages.h"

#include <caf/all.hpp>

#include <string>

namespace boxoffice::cluster {

// Accepts (forward_atom, forward_envelope) -> forward_answer; a forward is
// answered by the owner's answer, by the owner's error (not_owner, a domain
// refusal), by request_timeout once its remaining_ms pass, or by
// owner_unreachable as soon as the door is down.
// (forward_atom) alone -> uint64_t: how many forwards are pending (tests,
// metrics).
caf::actor spawn_peer_link(caf::actor_system& sys, std::string peer, caf::actor door);

} // namespace boxoffice::cluster
