// The store on an SQL database (an SQLite file or PostgreSQL) through one
// SOCI session (see connection.h): connects lazily and migrates on first
// use, and recovers by itself after a lost connection.
// REQUIRES: one thread at a time (a SOCI session is not thread-safe).
#pragma once

#include "persistence/database.h"
#include "persistence/store.h"

#include <memory>
#include <string>

namespace boxoffice {

class sql_connection;

// What the database enforces on top of storing the changes, each refusal a
// store_error of kind::conflict that rolls back the whole batch:
// - a seat has at most one live ticket per section (a unique index over
//   live tickets: a cancelled order keeps its tickets, marked cancelled);
// - order_placed needs its hold live, hold_extended its hold live, and
//   order_cancelled its order sold.
// hold_ended changes a hold only while it is live; otherwise it does nothing.
class sql_store : public store {
public:
  // Throws database_url_error for a URL no backend accepts.
  explicit sql_store(const std::string& database_url);
  ~sql_store() override;

  void apply(const std::vector<change>& batch) override;
  std::vector<event_id> event_ids() override;
  std::optional<event_snapshot> load_event(event_id id) override;

  backend kind() const;

private:
  std::unique_ptr<sql_connection> db_;
};

} // namespace boxoffice
