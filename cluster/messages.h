// The messages of the cluster's membership actors, in one place. They stay
// on their node (the worker and the agent are local), so they are never
// serialized; the wire messages between nodes come with the links.
#pragma once

#include "cluster/member.h"
#include "cluster/membership_store.h"
#include "cluster/ownership_store.h"

#include <caf/all.hpp>

#include <optional>

namespace boxoffice::cluster {

using join_atom = caf::atom_constant<caf::atom("cl_join")>;
using renew_atom = caf::atom_constant<caf::atom("cl_renew")>;
using state_atom = caf::atom_constant<caf::atom("cl_state")>;
using declare_atom = caf::atom_constant<caf::atom("cl_declare")>;
using members_atom = caf::atom_constant<caf::atom("cl_members")>;
using take_atom = caf::atom_constant<caf::atom("cl_take")>;
using owner_atom = caf::atom_constant<caf::atom("cl_owner")>;
// The agent's timers and what it tells its owner.
using heartbeat_atom = caf::atom_constant<caf::atom("cl_beat")>;
using poll_atom = caf::atom_constant<caf::atom("cl_poll")>;
using joined_atom = caf::atom_constant<caf::atom("cl_joined")>;
using dead_atom = caf::atom_constant<caf::atom("cl_dead")>;
using serving_atom = caf::atom_constant<caf::atom("cl_serving")>;
// The agent's lease, to its owner on every renewal: (lease_until_atom,
// int64_t ns) on the actor clock, the moment past which it must not serve.
using lease_until_atom = caf::atom_constant<caf::atom("cl_until")>;
using orphans_atom = caf::atom_constant<caf::atom("cl_orphans")>;
using claim_atom = caf::atom_constant<caf::atom("cl_claim")>;
using leave_atom = caf::atom_constant<caf::atom("cl_leave")>;
using status_atom = caf::atom_constant<caf::atom("cl_status")>;
using attach_atom = caf::atom_constant<caf::atom("cl_attach")>;
// A planned move's database step (hand_over_event), and the link manager
// the ownership actor asks before the node goes active.
using handoff_atom = caf::atom_constant<caf::atom("cl_handoff")>;
using links_atom = caf::atom_constant<caf::atom("cl_links")>;

// orphaned_events' answer.
struct orphan_list {
  std::vector<event_owner> events;
};

// claim_new_event's answer: nullopt when this node may not take events.
struct claimed_event {
  std::optional<uint64_t> event;
};

// change_state's answer: the version it made, or nullopt (not in `from`).
struct state_change {
  std::optional<int64_t> version;
};

// read_owner's answer.
struct owner_lookup {
  std::optional<event_owner> owner;
};

// The blocking store calls of cluster/membership_store.h and
// cluster/ownership_store.h as requests to one detached actor. A failure of
// the database answers errc::storage_unavailable.
using membership_worker = caf::typed_actor<
  caf::replies_to<join_atom, std::string, member_addresses, uint32_t>::with<join_result>,
  caf::replies_to<renew_atom, node_incarnation, uint32_t>::with<lease_renewal>,
  caf::replies_to<state_atom, node_incarnation, member_state, member_state>::with<state_change>,
  caf::replies_to<declare_atom>::with<dead_declaration>,
  caf::replies_to<members_atom>::with<membership_view>,
  caf::replies_to<take_atom, node_incarnation, uint64_t, int64_t>::with<take_result>,
  caf::replies_to<owner_atom, uint64_t>::with<owner_lookup>,
  caf::replies_to<orphans_atom>::with<orphan_list>,
  caf::replies_to<claim_atom, node_incarnation, uint64_t>::with<claimed_event>,
  caf::replies_to<handoff_atom, node_incarnation, uint64_t, int64_t, node_incarnation>::with<bool>,
  caf::replies_to<status_atom>::with<std::string>,
  caf::replies_to<status_atom, uint64_t>::with<std::string>>;

} // namespace boxoffice::cluster

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::node_incarnation)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::member_state)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::end_reason)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::member_addresses)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::join_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::lease_renewal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::state_change)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::dead_declaration)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::membership_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::take_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::owner_lookup)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::orphan_list)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::cluster::claimed_event)
