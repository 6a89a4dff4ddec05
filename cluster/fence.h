// The fence: may this node still commit changes of these events? Called by
// the journal INSIDE its group-commit transaction, before it writes, so that
// the answer and the writes are one atomic step (the Temporal pattern: the
// store checks the ownership epoch on every write).
//
// Intended call site (not wired yet; persistence/journal.cpp and the store
// are changed by another engineer this session): sql_store::apply, right
// after it opens its write transaction, with the (event, epoch) pairs of the
// batch; the changes of the fenced events are dropped from the batch and
// answered not_owner (HTTP 503 + Retry-After, never a 2xx), the rest commit,
// and fenced_commits_total counts the dropped ones.
//
// Why it is safe: the epoch rows are read FOR SHARE, so a takeover (an
// UPDATE of the same row, cluster/ownership_store.h) waits until this
// transaction ends, and a commit that starts after a takeover committed
// reads the new epoch. Every commit is therefore strictly before or strictly
// after each takeover, and none of an old epoch lands after it.
// REQUIRES: an open write transaction on `sql` (PostgreSQL, cluster schema),
// held until the batch's writes commit.
#pragma once

#include "cluster/member.h"
#include "persistence/sql_store.h"

#include <cstdint>
#include <vector>

namespace soci {
class session;
}

namespace boxoffice::cluster {

struct held_epoch {
  uint64_t event = 0;
  int64_t epoch = 0;  // the epoch this node took the event at
};

// The events of `held` that `self` may NOT commit, ordered by id: another
// node took the event (its epoch or owner moved on), or it was never taken,
// or `self` is no longer an active or leaving member with a live lease
// (then all of them). Empty: commit everything. Locks the epoch rows of the
// events it lets through until the caller's transaction ends.
std::vector<uint64_t> fenced_events(soci::session& sql, const node_incarnation& self,
                                    const std::vector<held_epoch>& held);

// The fence as the journal's store runs it (persistence/sql_store.h): the
// claims of `node_id`'s writes, grouped by incarnation (a rejoin can leave
// writes of the old one in a batch), each group through fenced_events.
commit_fence journal_fence(std::string node_id);

} // namespace boxoffice::cluster
