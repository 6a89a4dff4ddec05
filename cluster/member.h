// Who a cluster member is: a node id (its configured name, cluster.node_id)
// and an incarnation (a number the database gives each start of that node).
// Plain values, shared by the membership, ownership and fencing code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>

namespace boxoffice::cluster {

struct node_incarnation {
  std::string node_id;
  int64_t incarnation = 0;  // 1, 2, 3... per node id; 0: not joined
};

inline bool operator==(const node_incarnation& x, const node_incarnation& y) {
  return x.node_id == y.node_id && x.incarnation == y.incarnation;
}
inline bool operator!=(const node_incarnation& x, const node_incarnation& y) {
  return !(x == y);
}
inline bool operator<(const node_incarnation& x, const node_incarnation& y) {
  return std::tie(x.node_id, x.incarnation) < std::tie(y.node_id, y.incarnation);
}

// joining: registered, not yet linked to every peer; owns nothing.
// active: owns events and takes new ones. leaving: hands its events off,
// takes none. dead: gone for good; a node that finds itself dead rejoins as
// a new incarnation.
enum class member_state : uint8_t { joining, active, leaving, dead };

const char* to_string(member_state x);
std::optional<member_state> parse_member_state(const std::string& text);

// Why a member is dead, as recorded in its row.
enum class end_reason : uint8_t {
  left,           // it left on its own (SIGTERM, drain)
  lease_expired,  // it was not heard from within its lease
  replaced,       // a newer incarnation of the same node id joined
};

const char* to_string(end_reason x);
std::optional<end_reason> parse_end_reason(const std::string& text);

} // namespace boxoffice::cluster
