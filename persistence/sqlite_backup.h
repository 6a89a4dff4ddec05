// `boxoffice backup FILE`: a consistent copy of a live SQLite database,
// taken with SQLite's online backup API on a connection of its own.
// Copying boxoffice.db with cp while the server runs is wrong: committed
// changes may still be in the -wal file only. The backup reads the database
// (main file and WAL) in one read transaction, so it is one snapshot that
// holds every change committed before the backup began; in WAL mode the
// server's writers go on meanwhile (only checkpoints wait for it).
// PostgreSQL is backed up with pg_dump; this refuses it and says so.
// Blocks: a command-line tool, never called from an actor.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace boxoffice {

// A backup that could not be taken; what() is one line for the operator.
struct backup_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct backup_report {
  std::string source;    // the database file copied
  uint64_t pages = 0;
  uint64_t bytes = 0;
  int schema_version = 0;
};

// Copies the SQLite database of `database_url` into `file`, which must not
// exist yet. Written to "<file>.partial" and renamed when complete and
// checked (PRAGMA quick_check), so `file` is either a whole, valid database
// or absent. Throws backup_error for a PostgreSQL URL (pointing to pg_dump),
// a missing source, a source that is not a boxoffice database, an existing
// `file`, or a failure while copying; database_url_error for a bad URL.
backup_report backup_sqlite(const std::string& database_url, const std::string& file);

} // namespace boxoffice
