// Accounts, refresh tokens and idempotency records on the SQL database (the
// same SQLite file or PostgreSQL database and migrations as the rest).
// Everything here blocks: only the detached account workers and the
// idempotency store actor call it (see http/ and accounts/), never a section,
// event or directory actor, never an HTTP thread.
// Connects lazily and reconnects after a lost connection, like sql_store;
// failures throw store_error (kind::unavailable when the database is gone).
// REQUIRES: one thread at a time per object.
#pragma once

#include "accounts/account.h"
#include "actors/domain.h"
#include "persistence/store.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boxoffice {

class sql_connection;

// A refresh token as stored: only its hash. Tokens issued from one login
// form a family; rotation marks the old token used and stores the new one in
// the same family.
struct refresh_token_record {
  std::string token_hash;  // hex
  customer_id account = 0;
  std::string family;      // hex, random per login
  timestamp_ms issued_at = 0;
  timestamp_ms expires_at = 0;
};

// What presenting a refresh token found.
struct refresh_use {
  enum class verdict : uint8_t {
    rotated,   // it was live: now used; `replacement` stored in its family
    unknown,   // no such token (or its family was revoked)
    expired,   // past expires_at: nothing changed
    reused,    // already used once: the whole family is now revoked
  };
  verdict result = verdict::unknown;
  customer_id account = 0;  // rotated, reused, expired: whose it was
};

// The answer a request with an Idempotency-Key got, kept to replay it:
// either as sent (status, content_type, location, body), stored after the
// request by the HTTP layer, or as the actors' reply (answer), stored by the
// journal in the transaction of the change it answers (answer_saved).
struct idempotency_record {
  customer_id scope = 0;    // the caller's account; 0 for unauthenticated calls
  std::string key;          // the client's Idempotency-Key
  std::string fingerprint;  // hash of method, path and body (hex)
  uint16_t status = 0;
  std::string content_type;
  std::string location;     // Location header of a 201, "" if none
  std::string body;
  std::string answer;       // encode_answer of the reply; "" for an answer as sent
  timestamp_ms created_at = 0;
};

// How both writers of idempotency_keys end their insert: a record for the
// same (scope, key) is replaced.
extern const char* const idempotency_upsert;
// How the journal ends its insert of a committed answer (answer_saved): an
// older record of the key is kept, and the insert counts no row, unless it
// is the same answer again; the journal then refuses the write, so a second
// attempt's change never commits beside the first's.
extern const char* const idempotency_insert_once;

class account_store {
public:
  // Throws database_url_error for a URL no backend accepts.
  explicit account_store(const std::string& database_url);
  ~account_store();

  // --- Accounts ---
  // nullopt when the email is taken (unique index on the normalised email).
  std::optional<account> create_account(const std::string& email,
                                        const std::string& password_hash, account_role role,
                                        timestamp_ms now);
  std::optional<account> find_account(customer_id id);
  std::optional<account> find_account_by_email(const std::string& email);
  // Sets the role and password of an existing account (create-admin on an
  // email that exists). False when there is no such account.
  bool update_account(customer_id id, const std::string& password_hash, account_role role);
  // Makes an account unable to log in or refresh, keeping its id and history
  // (holds and orders name it): its password becomes disabled_password_hash,
  // its role customer, and every live refresh token of it is revoked, in one
  // transaction. False when there is no such account.
  bool disable_account(customer_id id, timestamp_ms now);

  // --- Refresh tokens ---
  void store_refresh_token(const refresh_token_record& token);
  // Atomically (one transaction; safe against two concurrent uses of the
  // same token from two processes): if the token is live and not expired,
  // marks it used and stores `replacement` (same account and family);
  // if it was used before, revokes every token of its family.
  // `replacement` needs only its hash and times: its account and family are
  // taken from the presented token. Expired: now >= expires_at.
  refresh_use use_refresh_token(const std::string& token_hash,
                                const refresh_token_record& replacement, timestamp_ms now);
  // Logout: revokes the token (only it). False when unknown or already
  // revoked or used.
  bool revoke_refresh_token(const std::string& token_hash);

  // --- Idempotency ---
  // The record for (scope, key) created at or after not_before, if any.
  std::optional<idempotency_record> find_idempotency(customer_id scope, const std::string& key,
                                                     timestamp_ms not_before);
  // Stores a record; a record for the same (scope, key) is replaced.
  // only_new: a record already there (the journal's committed answer) stays.
  void save_idempotency(const idempotency_record& record, bool only_new = false);
  // Deletes the key's record older than `before` (past idempotency.ttl_s):
  // the key may be used again, and the journal refuses a key with a record.
  void forget_idempotency(customer_id scope, const std::string& key, timestamp_ms before);
  // Deletes records created before `before`; returns how many.
  uint64_t prune_idempotency(timestamp_ms before);

private:
  std::unique_ptr<sql_connection> db_;
};

} // namespace boxoffice
