// Wall-clock milliseconds read through the actor system's clock, so that the
// deterministic test coordinator's virtual time drives hold expiry exactly
// like real time does in the server.
#pragma once

#include "actors/domain.h"

#include <caf/actor_clock.hpp>

namespace boxoffice {

timestamp_ms wall_clock_ms(const caf::actor_clock& clock);

// The system clock in Unix milliseconds, for code outside the actors'
// virtual time (detached workers, stores, start-up).
timestamp_ms system_clock_ms();

} // namespace boxoffice
