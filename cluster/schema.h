// The cluster's own tables in the shared PostgreSQL database: the member
// list and its version row, who owns each event at which epoch, and the log
// of every epoch ever taken. Versioned apart from the domain schema
// (persistence/migrations.h) so that the two evolve independently; recorded
// in cluster_schema_migrations.
// REQUIRES: PostgreSQL (cluster mode refuses SQLite at config load), and a
// session used by one thread at a time. Nodes starting at once queue on an
// advisory lock; the second finds nothing to do.
#pragma once

namespace soci {
class session;
}

namespace boxoffice::cluster {

// The newest cluster schema version this binary knows.
int cluster_schema_version();

// Applies every pending cluster migration, each in its own transaction.
// Throws std::runtime_error when the database is newer than this binary,
// soci::soci_error when the database fails.
void migrate_cluster_schema(soci::session& sql);

} // namespace boxoffice::cluster
