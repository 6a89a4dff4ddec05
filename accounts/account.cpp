#include "accounts/account.h"

namespace boxoffice {

const char* to_string(account_role x) {
  return x == account_role::admin ? "admin" : "customer";
}

std::optional<account_role> parse_account_role(std::string_view text) {
  if (text == "customer")
    return account_role::customer;
  if (text == "admin")
    return account_role::admin;
  return std::nullopt;
}

} // namespace boxoffice
