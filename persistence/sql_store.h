// The store on an SQL database (an SQLite file or PostgreSQL) through one
// SOCI session. Connects lazily: the constructor only reads the URL, the
// first call connects and migrates the schema (see migrations.h), so a
// database that is down at start is not an error until the store is used.
// After a lost connection the call fails with kind::unavailable and the next
// call reconnects first, so the store recovers by itself when the database
// returns. A connection found dead before a transaction began (nothing sent)
// is reconnected and retried at once.
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

// What the database enforces on top of storing the changes, each refusal a
// store_error of kind::conflict that rolls back the whole batch:
// - a seat is ticketed at most once per section (unique index on tickets);
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

  backend kind() const { return target_.kind; }

private:
  // Runs `work` on a connected session and turns any failure into a
  // store_error. `work` sets its bool once it has sent something that must
  // not be repeated; until then a lost connection is retried once.
  void guarded(const char* what, const std::function<void(soci::session&, bool&)>& work);
  soci::session& connection();

  database_target target_;
  std::unique_ptr<soci::session> session_;  // null until connected
  bool broken_ = false;                      // reconnect before the next use
};

} // namespace boxoffice
