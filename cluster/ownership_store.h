// Who owns each event, in PostgreSQL: event_owners(event_id, owner_node,
// owner_incarnation, epoch). Taking an event is a compare-and-set on its
// epoch in one transaction, so of any number of nodes racing to take the
// same epoch exactly one wins, and the epoch only grows. Every take is also
// appended to ownership_log. Which node SHOULD own an event is placement's
// question (cluster/placement.h); this only records who does.
// Every call blocks and throws soci::soci_error when the database fails.
// REQUIRES: PostgreSQL with the cluster schema (cluster/schema.h); a session
// used by one thread at a time.
#pragma once

#include "cluster/member.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace soci {
class session;
}

namespace boxoffice::cluster {

struct event_owner {
  uint64_t event = 0;
  node_incarnation owner;
  int64_t epoch = 0;  // 1 for the first owner, +1 on every take
};

// nullopt: the event was never owned.
std::optional<event_owner> read_owner(soci::session& sql, uint64_t event);

// The events an incarnation owns, ordered by event id: what a survivor
// takes over from a dead member.
std::vector<event_owner> events_owned_by(soci::session& sql, const node_incarnation& owner);

// The events whose owner is no live member (its row is dead, or gone):
// what survivors take over, by placement, after a crash, a hang or a leave.
std::vector<event_owner> orphaned_events(soci::session& sql);

enum class take_outcome : uint8_t {
  taken,         // `self` now owns the event at the returned epoch
  epoch_moved,   // the epoch was not `expected_epoch`: someone else took it
  not_active,    // `self` is not an active member with a live lease
  no_event,      // take_existing_event: no event has this id; nothing written
};

struct take_result {
  take_outcome outcome = take_outcome::not_active;
  // The owner after the call (for epoch_moved: the winner, to retry from);
  // nullopt only when the event has never been owned.
  std::optional<event_owner> owner;
};

// Takes `event` for `self` if its epoch is still `expected_epoch` (0: never
// owned), making it expected_epoch + 1. One transaction: checks that `self`
// is active with a lease left, then the compare-and-set (an UPDATE ... WHERE
// epoch = expected, or an INSERT that does nothing if a row exists), then
// the log row. A commit of the old owner holding the event's row FOR SHARE
// (cluster/fence.h) finishes first; after this commits, that owner's
// commits of the event fail.
// Waits at most lock_timeout_ms for the event's row (a commit holding it
// FOR SHARE); past it the take throws, and the caller tries again later.
take_result take_event(soci::session& sql, const node_incarnation& self, uint64_t event,
                       int64_t expected_epoch, uint32_t lock_timeout_ms = 500);

// take_event for a request's event: the same, but first the event must be
// in the domain's `events` table, else no_event and nothing is written. A
// request for an id no event has must not leave an ownership row behind
// (anyone could grow event_owners with random ids). No race with a create:
// a new id is claimed (claim_new_event, its row written) before its event
// row, so an id with neither row is not being created.
take_result take_existing_event(soci::session& sql, const node_incarnation& self,
                                uint64_t event, int64_t expected_epoch,
                                uint32_t lock_timeout_ms = 500);

// A planned move: hands `event`, which `self` holds at `epoch`, to `to` at
// epoch + 1, in one transaction that also logs it. `to` must be an active
// member with a lease left (its row is read FOR SHARE, so its death waits).
// After this commits, `self`'s commits of the event are fenced and `to`
// reads itself as the owner; a commit of `self` still holding the row FOR
// SHARE finishes first. false, changing nothing, when `self` no longer
// holds that epoch or `to` may not take events. Waits at most
// lock_timeout_ms for the rows, then throws.
bool hand_over_event(soci::session& sql, const node_incarnation& self, uint64_t event,
                     int64_t epoch, const node_incarnation& to, uint32_t lock_timeout_ms = 500);

// A new event id owned by `self` at epoch 1: the first id from `at_least`
// up that no node has ever owned (two nodes creating events at once get
// different ids). nullopt: `self` is not active with a lease left.
std::optional<uint64_t> claim_new_event(soci::session& sql, const node_incarnation& self,
                                        uint64_t at_least);

} // namespace boxoffice::cluster
