// The account workers: signup, login, token refresh and logout, and reading
// an account. Every rule of an account lives here; the HTTP layer only turns
// requests into these messages (http/account_routes.cpp).
//
// Hashing a password (Argon2id) and the database both block, so the workers
// are detached actors, each with its own database connection, behind one
// round-robin pool. Access tokens are verified without them (tokens.h, on
// the HTTP thread); they are only needed to issue tokens.
//
// Refresh tokens are random, stored only as a digest, rotated on each use;
// presenting an already-rotated token revokes its whole family (every token
// descended from the same login): a stolen token stops working for thief and
// owner alike, and the owner logs in again.
#pragma once

#include "accounts/account.h"
#include "accounts/password.h"
#include "accounts/tokens.h"
#include "actors/errc.h"

#include <caf/all.hpp>

#include <memory>
#include <string>

namespace boxoffice {

struct signup_request {
  std::string email;
  std::string password;
};

struct login_request {
  std::string email;
  std::string password;
};

struct refresh_request {
  std::string refresh_token;
};

struct logout_request {
  std::string refresh_token;
};

struct account_request {
  customer_id id = 0;
};

// What login and refresh answer.
struct token_pair {
  account who;
  std::string access_token;
  uint32_t expires_in_s = 0;
  std::string refresh_token;
};

struct account_rules {
  uint32_t password_min_length = 10;
  static constexpr size_t password_max_bytes = 1024;  // hashing cost stays bounded
  password_hash_params hashing;
  uint32_t refresh_token_ttl_s = 2592000;
  // Each worker lowers its own thread to this nice value (setpriority on the
  // thread id; Linux nices threads one by one), so hashing never takes the
  // cores the sale needs. 0: unchanged.
  uint32_t worker_nice = 0;
};

// Checks and normalises signup input: invalid_email, weak_password.
// Returns the normalised email.
outcome<std::string> check_signup(const std::string& email, const std::string& password,
                                  const account_rules& rules);

// A pool of `workers` detached workers, each with its own connection to
// database_url. Replies: signup_request -> account (errors invalid_email,
// weak_password, email_taken), login_request -> token_pair
// (invalid_credentials), refresh_request -> token_pair
// (invalid_refresh_token, refresh_token_reused), logout_request -> bool
// (true: revoked), account_request -> account (hold_not_found never: a
// missing account is invalid_credentials). storage_unavailable when the
// database is down.
caf::actor spawn_account_workers(caf::actor_system& sys, uint32_t workers,
                                 const std::string& database_url,
                                 std::shared_ptr<const token_signer> signer,
                                 const account_rules& rules);

// Creates the account or, if the email exists, makes it an admin with this
// password. Blocks: for start-up and the create-admin subcommand only.
account ensure_admin(const std::string& database_url, const std::string& email,
                     const std::string& password, const account_rules& rules);

} // namespace boxoffice

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::signup_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::login_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::refresh_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::logout_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::account_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::token_pair)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::account)
