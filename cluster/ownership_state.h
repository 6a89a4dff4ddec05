// The ownership actor's state and the helpers its two files share:
// cluster/ownership_actor.cpp (grants, takeovers, joining and leaving) and
// cluster/moves.cpp (planned moves). Internal to those two files.
#pragma once

#include "cluster/ownership_actor.h"

#include <caf/all.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace boxoffice::cluster {

struct ownership_state {
  ownership_settings settings;
  membership_worker worker;
  caf::actor agent;
  directory_actor directory;
  node_incarnation self;  // incarnation 0: not joined
  member_state state = member_state::joining;
  int64_t lease_until_ns = 0;  // the agent's last renewal
  membership_view view;
  std::map<uint64_t, int64_t> owned;  // event -> epoch this incarnation took it at
  bool scanning = false;              // a takeover scan is under way
  bool rescan = false;                // a new view came meanwhile
  caf::actor links;                   // the link manager; null: active once joined
  std::map<uint64_t, std::string> moving;  // event -> node it is moving to
  bool stopping = false;  // leave_atom came (SIGTERM): an undrain does not hold
  // Leaving (SIGTERM): answered once every event has moved away.
  std::vector<caf::typed_response_promise<bool>> handed_over;
  static inline const char* name = "cluster_ownership";
};

using self_ptr = caf::stateful_actor<ownership_state>*;

constexpr auto call_timeout = std::chrono::seconds(10);

// Serving: joined, and active or leaving.
bool may_serve(const ownership_state& st);
const member* find_member(const ownership_state& st, const node_incarnation& id);
std::string http_address_of(const ownership_state& st, const std::string& node_id);
// Where the event should live: placement over the active members, this
// node included while it is active (the view may not show it yet).
std::optional<std::string> placed(const ownership_state& st, uint64_t event);
// not_owner naming `node_id` and its HTTP address.
caf::error elsewhere(const ownership_state& st, const std::string& node_id);

// cluster/moves.cpp. Every owned event that placement puts on another
// active member moves there (at most moves_in_flight_max at once); then
// settle.
void rebalance(self_ptr self);
// After any change of what this node owns: the owned-events gauge, and a
// leave waiting for every event to be gone (or for nowhere to put them).
void settle(self_ptr self);
// The members-by-state gauges, from a view.
void count_members(const membership_view& view);

} // namespace boxoffice::cluster
