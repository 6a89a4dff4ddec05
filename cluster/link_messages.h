// The messages between nodes (docs/cluster.md, "Links and routing"). A
// request for an event owned elsewhere travels as a forward_envelope to the
// owner's node door, which hands its body to its own directory and answers
// a forward_answer holding the directory's reply (or the directory's error).
// The body is the request exactly as the HTTP node parsed it (hold_request,
// event_request, ...): the owner parses nothing again, and a keyed write
// carries its Idempotency-Key inside, so the owner's section commits the
// answer with the change.
#pragma once

#include "actors/protocol.h"

#include <caf/all.hpp>

#include <cstdint>
#include <string>

namespace boxoffice::cluster {

// The wire version of these messages. It goes into CAF's app-identifiers,
// so a node of another version refuses the handshake instead of misreading.
constexpr const char* link_protocol = "boxoffice-links-1";

using forward_atom = caf::atom_constant<caf::atom("cl_fwd")>;

struct forward_envelope {
  uint64_t request_id = 0;    // the sending router's id, for the owner's log
  uint32_t remaining_ms = 0;  // what is left of the request's one deadline when sent
  uint8_t hops = 0;           // forwards so far (the router allows max_forward_hops)
  caf::message body;          // the parsed request
};

struct forward_answer {
  caf::message body;  // the directory's reply: hold_info, event_view, ...
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forward_envelope& x) {
  return f(caf::meta::type_name("forward_envelope"), x.request_id, x.remaining_ms, x.hops, x.body);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, forward_answer& x) {
  return f(caf::meta::type_name("forward_answer"), x.body);
}

// Registers the link messages (on every node, both ends of a link).
void register_link_messages(caf::actor_system_config& cfg);

} // namespace boxoffice::cluster
