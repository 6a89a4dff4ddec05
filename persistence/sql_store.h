// The store on an SQL database (an SQLite file or PostgreSQL) through one
// SOCI session (see connection.h): connects lazily and migrates on first
// use, and recovers by itself after a lost connection.
// REQUIRES: one thread at a time (a SOCI session is not thread-safe).
#pragma once

#include "persistence/database.h"
#include "persistence/store.h"

#include <functional>
#include <memory>
#include <string>

namespace soci {
class session;
}

namespace boxoffice {

class sql_connection;

// What the database enforces on top of storing the changes, each refusal a
// store_error of kind::conflict that rolls back the whole batch:
// - a seat has at most one live ticket per section (a unique index over
//   live tickets: a cancelled order keeps its tickets, marked cancelled);
// - order_placed needs its hold live, hold_extended its hold live, and
//   order_cancelled its order sold.
// hold_ended changes a hold only while it is live; otherwise it does nothing.
// One event of a fenced batch and the ownership its writes were made under.
struct fence_claim {
  event_id event = 0;
  ownership owner;
};

// The cluster's fence (cluster/fence.h), run inside apply_fenced's write
// transaction before anything is written: the events of `claims` that must
// not commit. Given by the app, so that persistence/ knows nothing of the
// cluster.
using commit_fence =
  std::function<std::vector<event_id>(soci::session&, const std::vector<fence_claim>& claims)>;

class sql_store : public store {
public:
  // Throws database_url_error for a URL no backend accepts. `fence`: cluster
  // mode only (PostgreSQL); idle_in_transaction_ms bounds how long a fenced
  // transaction may sit idle (a node paused between its fence and its
  // COMMIT must not hold the event rows' locks against a takeover).
  explicit sql_store(const std::string& database_url, commit_fence fence = {},
                     uint32_t idle_in_transaction_ms = 2000);
  ~sql_store() override;

  void apply(const std::vector<change>& batch) override;
  std::vector<event_id> apply_fenced(const std::vector<journal_write>& writes) override;
  std::vector<event_id> event_ids() override;
  std::optional<event_snapshot> load_event(event_id id) override;

  backend kind() const;

private:
  std::unique_ptr<sql_connection> db_;
  commit_fence fence_;
  uint32_t idle_in_transaction_ms_;
};

} // namespace boxoffice
