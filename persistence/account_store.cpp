#include "persistence/account_store.h"

#include "actors/wall_clock.h"
#include "persistence/connection.h"

#include <soci/soci.h>


namespace boxoffice {

const char* const idempotency_upsert =
  "on conflict (scope, key) do update set fingerprint = excluded.fingerprint,"
  " status = excluded.status, content_type = excluded.content_type,"
  " location = excluded.location, body = excluded.body, answer = excluded.answer,"
  " created_at = excluded.created_at";

const char* const idempotency_insert_once =
  "on conflict (scope, key) do update set created_at = excluded.created_at"
  " where idempotency_keys.answer = excluded.answer"
  " and idempotency_keys.fingerprint = excluded.fingerprint";

namespace {

using row = std::vector<sql_value>;
constexpr auto bigint = sql_type::bigint;
constexpr auto text = sql_type::text;

constexpr const char* account_columns = "select id, email, role, password_hash, created_at";

account to_account(const row& r) {
  account a;
  a.id = static_cast<customer_id>(r.at(0).number);
  a.email = r.at(1).text;
  a.role = parse_account_role(r.at(2).text).value_or(account_role::customer);
  a.password_hash = r.at(3).text;
  a.created_at = r.at(4).number;
  return a;
}

std::optional<account> find_one_account(soci::session& sql, const std::string& where,
                                        const sql_param& param) {
  auto rows = query_rows(sql, std::string(account_columns) + " from accounts where " + where,
                         {param}, {bigint, text, text, text, bigint});
  if (rows.empty())
    return std::nullopt;
  return to_account(rows.front());
}

// The token as found by use_refresh_token.
struct token_state {
  customer_id account = 0;
  std::string family;
  timestamp_ms expires_at = 0;
  bool used = false;
  bool revoked = false;
};

// Reads a token and, on PostgreSQL, locks its row until the transaction
// ends, so that a second use of it waits for the first to commit and then
// sees it used. On SQLite the write transaction already excludes every
// other writer.
std::optional<token_state> lock_token(soci::session& sql, backend kind,
                                      const std::string& token_hash) {
  auto rows = query_rows(sql,
                         std::string("select account_id, family, expires_at,"
                                     " case when used_at is null then 0 else 1 end,"
                                     " case when revoked_at is null then 0 else 1 end"
                                     " from refresh_tokens where token_hash = :token_hash")
                           + (kind == backend::postgresql ? " for update" : ""),
                         {{"token_hash", token_hash}}, {bigint, text, bigint, bigint, bigint});
  if (rows.empty())
    return std::nullopt;
  const auto& r = rows.front();
  return token_state{static_cast<customer_id>(r[0].number), r[1].text, r[2].number,
                     r[3].number != 0, r[4].number != 0};
}

void insert_token(soci::session& sql, const refresh_token_record& t) {
  execute_statement(sql,
                    "insert into refresh_tokens (token_hash, account_id, family, issued_at,"
                    " expires_at) values (:token_hash, :account_id, :family, :issued_at,"
                    " :expires_at)",
                    {{"token_hash", t.token_hash},
                     {"account_id", i64(t.account)},
                     {"family", t.family},
                     {"issued_at", t.issued_at},
                     {"expires_at", t.expires_at}});
}

} // namespace

account_store::account_store(const std::string& database_url)
  : db_(std::make_unique<sql_connection>(database_url)) {}

account_store::~account_store() = default;

std::optional<account> account_store::create_account(const std::string& email,
                                                     const std::string& password_hash,
                                                     account_role role, timestamp_ms now) {
  std::optional<account> created;
  db_->guarded("create_account", [&](soci::session& sql, bool& sent) {
    sent = true;
    // The unique index decides between two concurrent sign-ups: the loser
    // inserts nothing and gets no id back.
    auto rows = query_rows(sql,
                           "insert into accounts (email, role, password_hash, created_at)"
                           " values (:email, :role, :password_hash, :created_at)"
                           " on conflict (email) do nothing returning id",
                           {{"email", email},
                            {"role", to_string(role)},
                            {"password_hash", password_hash},
                            {"created_at", now}},
                           {bigint});
    created.reset();
    if (!rows.empty())
      created = account{static_cast<customer_id>(rows.front().at(0).number), email, role,
                        password_hash, now};
  });
  return created;
}

std::optional<account> account_store::find_account(customer_id id) {
  std::optional<account> found;
  db_->guarded("find_account", [&](soci::session& sql, bool&) {
    found = find_one_account(sql, "id = :id", {"id", i64(id)});
  });
  return found;
}

std::optional<account> account_store::find_account_by_email(const std::string& email) {
  std::optional<account> found;
  db_->guarded("find_account_by_email", [&](soci::session& sql, bool&) {
    found = find_one_account(sql, "email = :email", {"email", email});
  });
  return found;
}

bool account_store::update_account(customer_id id, const std::string& password_hash,
                                   account_role role) {
  long long changed = 0;
  // Safe to repeat after a lost connection: the same values again.
  db_->guarded("update_account", [&](soci::session& sql, bool&) {
    changed = execute_statement(
      sql, "update accounts set password_hash = :password_hash, role = :role where id = :id",
      {{"password_hash", password_hash}, {"role", to_string(role)}, {"id", i64(id)}});
  });
  return changed == 1;
}

bool account_store::disable_account(customer_id id, timestamp_ms now) {
  long long changed = 0;
  // Safe to repeat after a lost connection: the same values again.
  db_->guarded("disable_account", [&](soci::session& sql, bool&) {
    sql_transaction tx(sql, db_->kind());
    changed = execute_statement(
      sql, "update accounts set password_hash = :password_hash, role = :role where id = :id",
      {{"password_hash", disabled_password_hash},
       {"role", to_string(account_role::customer)},
       {"id", i64(id)}});
    execute_statement(sql,
                      "update refresh_tokens set revoked_at = :now"
                      " where account_id = :id and revoked_at is null",
                      {{"now", now}, {"id", i64(id)}});
    tx.commit();
  });
  return changed == 1;
}

void account_store::store_refresh_token(const refresh_token_record& token) {
  db_->guarded("store_refresh_token", [&](soci::session& sql, bool& sent) {
    sent = true;
    insert_token(sql, token);
  });
}

refresh_use account_store::use_refresh_token(const std::string& token_hash,
                                             const refresh_token_record& replacement,
                                             timestamp_ms now) {
  refresh_use outcome;
  db_->guarded("use_refresh_token", [&](soci::session& sql, bool& sent) {
    outcome = {};
    sql_transaction tx(sql, db_->kind());
    sent = true;
    auto token = lock_token(sql, db_->kind(), token_hash);
    if (!token || token->revoked)
      return;  // unknown; the transaction rolls back, having changed nothing
    if (token->used) {
      execute_statement(sql,
                        "update refresh_tokens set revoked_at = :now"
                        " where family = :family and revoked_at is null",
                        {{"now", now}, {"family", token->family}});
      tx.commit();
      outcome = {refresh_use::verdict::reused, token->account};
      return;
    }
    if (now >= token->expires_at) {
      outcome = {refresh_use::verdict::expired, token->account};
      return;
    }
    execute_statement(sql,
                      "update refresh_tokens set used_at = :now where token_hash = :token_hash",
                      {{"now", now}, {"token_hash", token_hash}});
    auto next = replacement;
    next.account = token->account;
    next.family = token->family;
    insert_token(sql, next);
    tx.commit();
    outcome = {refresh_use::verdict::rotated, token->account};
  });
  return outcome;
}

bool account_store::revoke_refresh_token(const std::string& token_hash) {
  long long changed = 0;
  db_->guarded("revoke_refresh_token", [&](soci::session& sql, bool& sent) {
    sent = true;
    changed = execute_statement(sql,
                                "update refresh_tokens set revoked_at = :now"
                                " where token_hash = :token_hash and used_at is null"
                                " and revoked_at is null",
                                {{"now", system_clock_ms()}, {"token_hash", token_hash}});
  });
  return changed == 1;
}

std::optional<idempotency_record> account_store::find_idempotency(customer_id scope,
                                                                   const std::string& key,
                                                                   timestamp_ms not_before) {
  std::optional<idempotency_record> found;
  db_->guarded("find_idempotency", [&](soci::session& sql, bool&) {
    auto rows = query_rows(sql,
                           "select fingerprint, status, content_type, location, body, answer,"
                           " created_at"
                           " from idempotency_keys where scope = :scope and key = :key"
                           " and created_at >= :not_before",
                           {{"scope", i64(scope)}, {"key", key}, {"not_before", not_before}},
                           {text, bigint, text, text, text, text, bigint});
    found.reset();
    if (rows.empty())
      return;
    const auto& r = rows.front();
    found.emplace();
    found->scope = scope;
    found->key = key;
    found->fingerprint = r[0].text;
    found->status = static_cast<uint16_t>(r[1].number);
    found->content_type = r[2].text;
    found->location = r[3].text;
    found->body = r[4].text;
    found->answer = r[5].text;
    found->created_at = r[6].number;
  });
  return found;
}

void account_store::save_idempotency(const idempotency_record& record, bool only_new) {
  // Safe to repeat after a lost connection: the same row again.
  db_->guarded("save_idempotency", [&](soci::session& sql, bool&) {
    execute_statement(
      sql,
      std::string{"insert into idempotency_keys (scope, key, fingerprint, status, content_type,"
                  " location, body, answer, created_at) values (:scope, :key, :fingerprint,"
                  " :status, :content_type, :location, :body, :answer, :created_at) "}
        + (only_new ? "on conflict (scope, key) do nothing" : idempotency_upsert),
      {{"scope", i64(record.scope)},
       {"key", record.key},
       {"fingerprint", record.fingerprint},
       {"status", i64(record.status)},
       {"content_type", record.content_type},
       {"location", record.location},
       {"body", record.body},
       {"answer", record.answer},
       {"created_at", record.created_at}});
  });
}

void account_store::forget_idempotency(customer_id scope, const std::string& key,
                                       timestamp_ms before) {
  db_->guarded("forget_idempotency", [&](soci::session& sql, bool&) {
    execute_statement(sql,
                      "delete from idempotency_keys where scope = :scope and key = :key"
                      " and created_at < :before",
                      {{"scope", i64(scope)}, {"key", key}, {"before", before}});
  });
}

uint64_t account_store::prune_idempotency(timestamp_ms before) {
  long long deleted = 0;
  db_->guarded("prune_idempotency", [&](soci::session& sql, bool& sent) {
    sent = true;
    deleted = execute_statement(sql, "delete from idempotency_keys where created_at < :before",
                                {{"before", before}});
  });
  return static_cast<uint64_t>(deleted);
}

} // namespace boxoffice
