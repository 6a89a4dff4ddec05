// The demo event that `boxoffice serve --demo` puts on sale, so a newcomer
// has something to hold and buy within a minute of cloning.
#pragma once

#include "accounts/service.h"
#include "actors/protocol.h"

#include <string>

namespace boxoffice {

// Creates the demo event with its sections through the directory and puts it
// on sale. Runs on the main thread before serving (it waits for answers).
caf::expected<event_view> create_demo_event(caf::actor_system& sys, const directory_actor& dir);

// The demo's accounts; their passwords are public, printed at start.
struct demo_credentials {
  const char* email;
  const char* password;
};
inline constexpr demo_credentials demo_admin{"admin@demo.boxoffice.test", "demo-admin-password"};
inline constexpr demo_credentials demo_customer{"customer@demo.boxoffice.test",
                                                "demo-customer-password"};

// Creates (or resets) the demo admin and customer. Blocks on the database:
// main thread, before serving.
void create_demo_accounts(const std::string& database_url, const account_rules& rules);

} // namespace boxoffice
