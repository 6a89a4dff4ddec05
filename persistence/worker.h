// What the detached workers that block on the database share (the account,
// query and idempotency workers): a pool that spreads requests round-robin,
// and the one way a store failure reaches the requester.
#pragma once

#include "actors/protocol.h"
#include "persistence/store.h"
#include "telemetry/instruments.h"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <utility>

namespace boxoffice {

// `workers` actors made by `make` (each spawning a detached actor with its
// own connection) behind one round-robin handle.
template <class Make>
caf::actor spawn_worker_pool(caf::actor_system& sys, uint32_t workers, Make make) {
  return caf::actor_pool::make(sys.dummy_execution_unit(), workers,
                               [make] { return caf::actor_cast<caf::actor>(make()); },
                               caf::actor_pool::round_robin());
}

// Runs blocking store work in a worker's handler. A store_error becomes
// storage_unavailable for the requester, logged by operation and kind only:
// its text may carry bound values such as an email.
template <class T, class F>
caf::result<T> store_call(const char* what, F&& work) {
  try {
    return std::forward<F>(work)();
  } catch (const store_error& e) {
    telemetry::count_database_error(what);
    spdlog::error("{} failed: {}", what,
                  e.why == store_error::kind::unavailable ? "database unavailable"
                  : e.why == store_error::kind::conflict  ? "conflict"
                                                          : "database error");
    return make_error(errc::storage_unavailable);
  }
}

} // namespace boxoffice
