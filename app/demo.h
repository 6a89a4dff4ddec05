// The demo event and accounts that `boxoffice serve --demo` makes, so a
// newcomer has something to hold and buy within a minute of cloning; and
// what keeps the demo's accounts from serving outside demo mode.
#pragma once

#include "accounts/service.h"
#include "actors/protocol.h"

#include <string>
#include <vector>

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

// Demo accounts must not outlive demo mode: their passwords are published.
// A start without --demo on a database that still has a usable one is
// refused (refuse_demo_accounts), and `boxoffice remove-demo-accounts`
// disables them. Refused rather than disabled at start, because the
// operator then learns that the database was a demo's (its events, orders
// and admin-made changes came from one) and decides; a start that quietly
// edits accounts would hide that. Disabled rather than deleted, because
// holds and orders name the account's id, and SQLite would give a deleted
// highest id to the next signup, who would inherit the demo's orders.

// The emails of the demo accounts that can still log in.
std::vector<std::string> usable_demo_accounts(const std::string& database_url);

// Throws std::runtime_error, one line saying how to remove them, when
// usable_demo_accounts is not empty.
void refuse_demo_accounts(const std::string& database_url);

// Disables every usable demo account (account_store::disable_account);
// returns the emails disabled.
std::vector<std::string> remove_demo_accounts(const std::string& database_url);

} // namespace boxoffice
