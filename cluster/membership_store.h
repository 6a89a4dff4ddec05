// The cluster membership in PostgreSQL: a row per node incarnation with its
// state and a lease on the DATABASE clock (now() + lease; a node's own clock
// is never written or compared), and one version row that every membership
// change bumps under its row lock, so that all views are totally ordered.
// Renewing a lease is not a membership change and leaves the version alone.
// Every call is one transaction, blocks, and throws soci::soci_error when the
// database fails; the membership worker (cluster/membership_actor.h) is the
// one caller in the server, so no actor ever blocks on it.
// REQUIRES: PostgreSQL with the cluster schema (cluster/schema.h); a session
// used by one thread at a time.
#pragma once

#include "cluster/member.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace boxoffice::cluster {

// Every membership change NOTIFYs this channel, with the version it made,
// in its own transaction (cluster/membership_listener.h).
constexpr const char* membership_channel = "boxoffice_cluster_members";

struct member_addresses {
  std::string http_address;  // host:port of the HTTP API
  std::string node_address;  // host:port of the node port (CAF middleman)
};

struct member {
  node_incarnation id;
  member_addresses addresses;
  member_state state = member_state::joining;
  // Lease left on the database clock when the list was read; negative:
  // expired, not yet declared dead.
  int64_t lease_left_ms = 0;
  int64_t changed_in_version = 0;
};

// The live members (all but dead), ordered by node id, and the version they
// are at: two views with the same version are the same.
struct membership_view {
  int64_t version = 0;
  std::vector<member> members;
};

struct join_result {
  node_incarnation self;                  // the new incarnation, state joining
  int64_t version = 0;                    // the version its join made
  std::vector<node_incarnation> replaced; // older live incarnations, now dead
};

// Registers a new incarnation of `node_id` (one above any before) as
// joining, with a lease of `lease_ms`. A still-live older incarnation of the
// same node id is declared dead (replaced) in the same transaction: a node
// id names one process, and a restarted process must not wait out the lease
// of the one that crashed.
join_result join(soci::session& sql, const std::string& node_id,
                 const member_addresses& addresses, uint32_t lease_ms);

// Moves this incarnation from `from` to `to` (joining -> active -> leaving
// -> dead), bumping the version; to dead records end_reason::left. nullopt,
// changing nothing, when the row is not in `from`: it was declared dead.
std::optional<int64_t> change_state(soci::session& sql, const node_incarnation& self,
                                    member_state from, member_state to);

struct lease_renewal {
  bool renewed = false;
  // When not renewed: why this incarnation is dead (nullopt: it has no row).
  std::optional<end_reason> ended_by;
};

// The heartbeat: lease_expires_at = now() + lease_ms, unless the row is dead.
// A lease that expired but was not yet declared dead is renewed: the fence
// refused the node's commits meanwhile, and nobody took over. Not renewed
// (the UPDATE matched no row) means: stop serving, and rejoin as a new
// incarnation unless ended_by is replaced (another process has this id).
lease_renewal renew_lease(soci::session& sql, const node_incarnation& self, uint32_t lease_ms);

struct dead_declaration {
  int64_t version = 0;                // the version it made; 0: nobody expired
  std::vector<node_incarnation> dead; // ordered by node id
};

// Declares every live member whose lease is past (database clock) dead, in
// one transaction that bumps the version once. Any node may call it; when
// several do at once, each expired member is declared exactly once.
dead_declaration declare_expired_dead(soci::session& sql);

// Whether `self` has a lease left on the database clock (clock_timestamp():
// this moment, not the transaction's start) in a state that may take events
// (take: active; the row is locked FOR SHARE, so a declaration of its death
// waits for the caller's transaction) or commit them (commit: active or
// leaving; not locked, see cluster/fence.h).
enum class lease_use : uint8_t { take, commit };
bool holds_live_lease(soci::session& sql, const node_incarnation& self, lease_use use);

// `boxoffice cluster drain NODE`: the live incarnation of `node_id`, if
// active, goes to leaving (a membership change): placement leaves it out,
// and the node hands its events over while it keeps serving the rest.
// nullopt when `node_id` has no active incarnation.
std::optional<node_incarnation> drain_member(soci::session& sql, const std::string& node_id);

// `boxoffice cluster undrain NODE`: the live incarnation of `node_id`, if
// leaving, goes back to active (a membership change): placement counts it
// again and its share of the events moves back to it. A node that is
// stopping (SIGTERM) sets itself leaving again at its next poll. nullopt
// when `node_id` has no leaving incarnation.
std::optional<node_incarnation> undrain_member(soci::session& sql, const std::string& node_id);

// The live members and the version, read in one snapshot.
membership_view read_membership(soci::session& sql);

} // namespace boxoffice::cluster
