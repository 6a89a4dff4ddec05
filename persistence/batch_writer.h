// How sql_store writes a batch of changes inside its transaction: grouped
// into as few statements as the order of the changes allows (one per kind
// per level), with the checks the database makes on top (sql_store.h).
// Throws store_error (conflict) when a check refuses the batch.
// REQUIRES: a write transaction is open on `sql`; the caller commits it.
#pragma once

#include "actors/changes.h"
#include "persistence/database.h"

#include <vector>

namespace boxoffice {

void write_batch(soci::session& sql, backend kind, const std::vector<change>& batch);

} // namespace boxoffice
