// The demo event that `boxoffice serve --demo` puts on sale, so a newcomer
// has something to hold and buy within a minute of cloning.
#pragma once

#include "actors/protocol.h"

namespace boxoffice {

// Creates the demo event with its sections through the directory and puts it
// on sale. Runs on the main thread before serving (it waits for answers).
caf::expected<event_view> create_demo_event(caf::actor_system& sys, const directory_actor& dir);

} // namespace boxoffice
