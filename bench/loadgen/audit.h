// The audit after a run: reads the run's event back from the server's
// database (SQLite or PostgreSQL, the server's database.url) and checks it
// against what the run saw acknowledged and against the API's counts:
//   - tickets of live orders <= capacity, per section;
//   - no seat in two live orders, nor in two live holds, nor held and sold;
//   - every 2xx purchase has its order, confirmed, with its quantity of
//     tickets on the seats it named;
//   - no order the run did not see acknowledged, except from purchases with
//     an unknown outcome (503 request_timeout, no answer), which are counted;
//   - every 2xx hold is in the database with its seats; no hold the run did
//     not see granted, beyond the number of holds with an unknown outcome;
//   - GET /v1/events/{id}: free, held, sold agree with the database.
#pragma once

#include "bench/loadgen/options.h"
#include "bench/loadgen/scenario.h"
#include "bench/loadgen/setup.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace boxoffice::loadgen {

struct audit_result {
  std::vector<std::string> violations;
  nlohmann::json facts = nlohmann::json::object();  // counts, for the report
};

// Throws (database or setup errors) when the audit cannot run at all.
audit_result audit_sale(const options& o, const sale& s, const sale_record& seen);

} // namespace boxoffice::loadgen
