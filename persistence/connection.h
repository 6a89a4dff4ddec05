// One SOCI session to the database of a `database.url`, as every store uses
// it: connects lazily (the constructor only reads the URL; the first call
// connects and migrates the schema, see migrations.h), so a database that is
// down at start is not an error until it is used. After a lost connection
// the call fails with kind::unavailable and the next call reconnects first.
// A connection found dead before anything that counts was sent is
// reconnected and retried at once.
// Also the statements the stores run with bound parameters: user input is
// always bound, never spliced into SQL text.
// REQUIRES: one thread at a time (a SOCI session is not thread-safe).
#pragma once

#include "persistence/database.h"

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace soci {
class session;
}

namespace boxoffice {

class sql_connection {
public:
  // Throws database_url_error for a URL no backend accepts.
  explicit sql_connection(const std::string& database_url);
  ~sql_connection();
  sql_connection(const sql_connection&) = delete;
  sql_connection& operator=(const sql_connection&) = delete;

  // Runs `work` on a connected session and turns any failure other than a
  // store_error into one (store_errors pass through). `work` sets its bool
  // once it has sent something that must not be repeated; until then a lost
  // connection is retried once. `what` names the call in the message.
  void guarded(const char* what, const std::function<void(soci::session&, bool&)>& work);

  backend kind() const { return target_.kind; }

private:
  soci::session& connected();

  database_target target_;
  std::unique_ptr<soci::session> session_;  // null until connected
  bool broken_ = false;                      // reconnect before the next use
};

// A statement's parameter: `:name` in its text, bound as a bigint or a text.
struct sql_param {
  sql_param(std::string name, long long number)
    : name(std::move(name)), type(sql_type::bigint), number(number) {}
  sql_param(std::string name, std::string text)
    : name(std::move(name)), type(sql_type::text), text(std::move(text)) {}
  std::string name;
  sql_type type;
  long long number = 0;
  std::string text;
};

// Runs a statement with parameters; returns the rows it changed.
long long execute_statement(soci::session& sql, const std::string& statement,
                            const std::vector<sql_param>& params);

// Runs a query with parameters and returns every row, one sql_value per
// column of `columns` (the types to read them as); NULL reads as is_null.
// For results of bounded size only (a page, one record): all rows are held.
std::vector<std::vector<sql_value>> query_rows(soci::session& sql, const std::string& query,
                                               const std::vector<sql_param>& params,
                                               std::initializer_list<sql_type> columns);

} // namespace boxoffice
