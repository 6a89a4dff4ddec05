// The one actor a node publishes to its peers: the door through which
// forwarded requests reach this node's directory. It replaces publishing
// the directory itself, so a peer can do exactly this and nothing else
// (no create, no sweep), and only over mutual TLS in cluster mode.
//
// It opens the envelope, asks the directory with what is left of the
// request's deadline, and answers forward_answer{reply}, or the directory's
// error as is: a domain refusal, or not_owner with the owner it knows (the
// sender then forwards there, within its hop budget). A body that is not a
// request of the event API is refused invalid_request.
#pragma once

#include "actors/protocol.h"

#include <caf/all.hpp>

namespace boxoffice::cluster {

caf::actor spawn_node_door(caf::actor_system& sys, directory_actor directory);

} // namespace boxoffice::cluster
