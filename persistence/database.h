// Which database a `database.url` names, and how to talk to it through SOCI:
// opening a configured session, write transactions, and what a failure means.
// Everything here blocks; see persistence/store.h for who may call it.
// REQUIRES: a soci::session is used by one thread at a time.
#pragma once

#include "persistence/store.h"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace soci {
class session;
}

namespace boxoffice {

enum class backend { sqlite, postgresql };

const char* to_string(backend x);

// One SQL statement in both dialects; usually the same text.
struct dialect_sql {
  std::string sqlite;
  std::string postgresql;
};

// A database URL split into what SOCI needs.
struct database_target {
  backend kind = backend::sqlite;
  std::string connect_string;
  std::string sqlite_file;  // SQLite: the path as the URL gives it; empty for PostgreSQL
};

// A database.url this build cannot use; what() names it (password masked).
struct database_url_error : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// sqlite://./relative.db, sqlite:///absolute/path.db (anything after
// "sqlite://" is a file path; a leading '/' makes it absolute), or
// postgresql://user:password@host:port/dbname[?key=value&...] as libpq reads
// it (%-escapes, [v6]:port, several hosts). The PostgreSQL URL becomes
// libpq's key=value form: SOCI 4.0.3 re-splits its connect string on '='
// and spaces, which turns a URI's database "db" into "db=". Throws
// database_url_error for anything else, or for a double quote in a value.
database_target parse_database_url(const std::string& url);

// A connected session. SQLite gets WAL, synchronous=FULL, foreign keys on and
// a busy timeout; PostgreSQL gets client_min_messages=warning (no NOTICE
// lines on stderr). Throws soci::soci_error when the database is unreachable.
// Include <soci/soci.h> where the session is used or destroyed.
std::unique_ptr<soci::session> open_session(const database_target& target);
std::unique_ptr<soci::session> open_session(const std::string& url);

// Runs one statement without parameters or results, or reads the first
// column of the first row (nullopt: no row, or NULL). Use these rather than
// SOCI's `sql << ...`: its helper class has no exported typeinfo in Debian's
// libsoci, so UBSan's vptr check (the ASan build) fails to link with it.
void execute_sql(soci::session& sql, const std::string& statement);
std::optional<std::string> query_text(soci::session& sql, const std::string& query);
std::optional<long long> query_number(soci::session& sql, const std::string& query);

// Reconnects a session whose connection was lost, with the same settings.
void reconnect_session(soci::session& sql, backend kind);

// One transaction that rolls back unless committed.
// write: on SQLite BEGIN IMMEDIATE, so the write lock is taken at once and
//   two writers queue in the busy timeout instead of one failing when it
//   first writes; on PostgreSQL a plain BEGIN (read committed).
// snapshot_read: every statement sees the same snapshot (SQLite: a deferred
//   BEGIN under WAL, which does not block writers; PostgreSQL: repeatable
//   read, read only).
class sql_transaction {
public:
  enum class mode { write, snapshot_read };

  sql_transaction(soci::session& sql, backend kind, mode m = mode::write);
  sql_transaction(const sql_transaction&) = delete;
  sql_transaction& operator=(const sql_transaction&) = delete;
  ~sql_transaction();  // rolls back if not committed; never throws

  void commit();

private:
  soci::session& sql_;
  bool open_ = true;
};

enum class sql_type : uint8_t { bigint, text };

// Ids are unsigned in the domain and bigint in SQL; a cast each way keeps
// every value, including those above 2^63.
template <class T>
long long i64(T x) {
  return static_cast<long long>(x);
}

// One value of a row: a number, a text, or NULL (default).
struct sql_value {
  sql_value() = default;
  sql_value(long long value) : number(value), is_null(false) {}
  sql_value(std::string value) : text(std::move(value)), is_null(false) {}
  sql_value(const char* value) : text(value), is_null(false) {}
  long long number = 0;
  std::string text;
  bool is_null = true;
};

// The rows of a statement that writes many rows at once, kept column by
// column so that each column binds as one vector (or one array literal).
class row_set {
public:
  struct column {
    std::string name;  // the table's column name and the statement's :name
    sql_type type = sql_type::bigint;
    std::vector<long long> numbers;
    std::vector<std::string> texts;
    std::vector<bool> nulls;
  };

  row_set(std::initializer_list<std::pair<const char*, sql_type>> columns);
  void add(std::initializer_list<sql_value> row);  // one value per column, in order
  std::size_t size() const { return size_; }
  std::vector<column>& columns() { return columns_; }
  const std::vector<column>& columns() const { return columns_; }

private:
  std::vector<column> columns_;
  std::size_t size_ = 0;
};

// Statements over every row of a row_set. SQLite binds each column as a
// vector (one step per row, all in one call); PostgreSQL binds each column as
// one array literal and unnests them, so N rows cost one round trip.
// `extra` is a further SQL condition, with table-qualified column names.
dialect_sql insert_rows_sql(const std::string& table, const row_set& rows,
                            const std::string& suffix = "");
dialect_sql update_rows_sql(const std::string& table, const row_set& rows,
                            const std::vector<std::string>& set_columns, const std::string& extra);

// Runs one of the statements above; returns the number of rows it changed.
long long execute_rows(soci::session& sql, backend kind, const dialect_sql& statement,
                       row_set& rows);

// What a failure of a database call means for the caller: a unique violation
// is a conflict (PostgreSQL 23505, SQLite 19 "UNIQUE ..."), a lost or refused
// connection is unavailable (SQLSTATE class 08, 57P01-57P03, libpq's
// connection messages, SQLite busy/locked), anything else is other.
store_error::kind classify_failure(const std::exception& e);

} // namespace boxoffice
