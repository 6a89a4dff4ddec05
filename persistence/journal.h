// The journal: the one writer of a node. Section and event actors send it
// the changes that must be durable before they reply; it collects them for
// at most batch_wait_ms or batch_rows_max rows, commits them in one
// transaction through the committer, and answers every write of the batch.
// While a commit is in flight the next batch collects (group commit). The
// queue is bounded: past queue_rows_max rows a write is refused with
// `overloaded` at once.
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
loader_actor spawn_loader(caf::actor_system& sys, store_factory make_store,
                          thread_model model = thread_model::detached);
// `count` detached loaders, each with its own connection, behind one
// round-robin handle: a node that takes many events at once (a join, a
// takeover) recovers them in parallel rather than one after another.
loader_actor spawn_loaders(caf::actor_system& sys, const store_factory& make_store,
                           uint32_t count);

} // namespace boxoffice
