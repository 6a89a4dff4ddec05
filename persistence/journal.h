// The journal: the one writer of a node. Section and event actors send it
// the changes that must be durable before they reply; it collects them for
// at most batch_wait_ms or batch_rows_max rows, commits them in one
// transaction through the committer, and answers every write of the batch.
// Up to batches_in_flight_max batches commit at the same time (each on its
// own connection), but never two with a change that depends on the other
// (the same hold, order, section or event row: write_keys.h); every write
// is answered in the order the journal took it, and a write that depends on
// one that failed before it was sent fails too. The queue is bounded: past
// queue_rows_max rows a write is refused with `overloaded` at once.
//
// The committer and the loader are the only actors that call the database;
// they block, so the server spawns them detached (own threads). Tests spawn
// them on the deterministic scheduler instead.
#pragma once

#include "actors/protocol.h"
#include "persistence/store.h"

namespace boxoffice {

struct journal_settings {
  uint32_t batch_rows_max = 512;
  uint32_t batch_wait_ms = 1;  // 0: commit as soon as no commit is in flight
  uint32_t queue_rows_max = 65536;
  // 1: the next batch collects while one commits. More overlap commits, so
  // that a write waits for about one commit rather than the rest of the one
  // in flight and then its own; give the committer as many connections.
  uint32_t batches_in_flight_max = 1;
};

journal_actor spawn_journal(caf::actor_system& sys, const journal_settings& settings,
                            committer_actor committer);

enum class thread_model { detached, scheduled };

// fenced (cluster mode): every batch goes through store::apply_fenced, and
// the writes it refuses are answered not_owner and counted in
// boxoffice_fenced_commits_total. direct (a single node): store::apply, as
// before the cluster existed.
enum class commit_mode { direct, fenced };

committer_actor spawn_committer(caf::actor_system& sys, store_factory make_store,
                                thread_model model = thread_model::detached,
                                commit_mode mode = commit_mode::direct);
// `count` committers, each with its own connection, behind one round-robin
// handle, for a journal with batches_in_flight_max = count: the journal
// answers in order, so the next batch always goes to a committer that is
// done.
committer_actor spawn_committers(caf::actor_system& sys, const store_factory& make_store,
                                 uint32_t count, commit_mode mode = commit_mode::direct);
loader_actor spawn_loader(caf::actor_system& sys, store_factory make_store,
                          thread_model model = thread_model::detached);
// `count` detached loaders, each with its own connection, behind one
// round-robin handle: a node that takes many events at once (a join, a
// takeover) recovers them in parallel rather than one after another.
loader_actor spawn_loaders(caf::actor_system& sys, const store_factory& make_store,
                           uint32_t count);

} // namespace boxoffice
