// The database schema as an ordered list of versioned migrations. Each is
// applied once, in its own transaction, and recorded in
// schema_migrations(version, applied_at); a database written by a newer
// binary is refused rather than guessed at.
// REQUIRES: the session is used by one thread at a time. Two processes may
// migrate the same database at once: they queue on a lock (PostgreSQL: an
// advisory lock, SQLite: the write lock) and the second finds nothing to do.
#pragma once

#include "persistence/database.h"

#include <stdexcept>
#include <string>
#include <vector>

namespace soci {
class session;
}

namespace boxoffice {

struct migration {
  int version = 0;
  std::string description;
  std::vector<dialect_sql> statements;  // one statement each, run in order
};

// Every migration this binary knows, oldest first, versions 1, 2, 3...
const std::vector<migration>& migrations();

// The newest version this binary knows.
int schema_version();

struct migration_report {
  int from_version = 0;       // the database's newest version before
  int to_version = 0;         // and after
  std::vector<int> applied;   // what this call applied, oldest first
};

// The database is newer than this binary, or a migration failed.
struct migration_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The newest version recorded in the database; 0 for an empty database.
int database_version(soci::session& sql, backend kind);

// Applies every pending migration up to `version` (the tests build older
// databases with a lower one). Throws migration_error when the database is
// newer than schema_version(); soci::soci_error when the database fails.
migration_report migrate(soci::session& sql, backend kind, int version = schema_version());

} // namespace boxoffice
