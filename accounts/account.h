// Who may call the API: an account is a customer (holds and buys for itself)
// or an admin (creates and runs events). An account's id is the customer id
// of the reservation domain.
#pragma once

#include "actors/domain.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace boxoffice {

enum class account_role : uint8_t { customer, admin };

// "customer" / "admin"
const char* to_string(account_role x);
std::optional<account_role> parse_account_role(std::string_view text);

// The password hash of a disabled account: not an Argon2 string, so no
// password verifies against it (libsodium refuses the format).
inline const std::string disabled_password_hash = "!disabled";

struct account {
  customer_id id = 0;
  std::string email;          // normalised (see accounts/email.h)
  account_role role = account_role::customer;
  std::string password_hash;  // libsodium's Argon2id string; never leaves the server
  timestamp_ms created_at = 0;
};

} // namespace boxoffice
