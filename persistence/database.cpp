#include "persistence/database.h"

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <algorithm>
#include <cctype>
#include <vector>

namespace boxoffice {

namespace {

constexpr const char* sqlite_prefix = "sqlite://";
constexpr const char* postgresql_prefix = "postgresql://";
// How long an SQLite writer waits for another one before giving up.
constexpr int sqlite_busy_timeout_s = 5;

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// The password of user:password@ is never shown in a message.
std::string masked(const std::string& url) {
  auto scheme_end = url.find("://");
  auto credentials_end = url.rfind('@');
  if (scheme_end == std::string::npos || credentials_end == std::string::npos
      || credentials_end < scheme_end)
    return url;
  auto password_begin = url.find(':', scheme_end + 3);
  if (password_begin == std::string::npos || password_begin > credentials_end)
    return url;
  return url.substr(0, password_begin + 1) + "***" + url.substr(credentials_end);
}

[[noreturn]] void refuse(const std::string& url, const std::string& why) {
  throw database_url_error("database.url: '" + masked(url) + "' " + why);
}

// SOCI's SQLite backend reads `db="..."` up to the next double quote, so
// only a path containing one cannot be written; a leading space would be
// misread as the end of the value, and "./" in front keeps its meaning.
std::string sqlite_connect_string(const std::string& url, std::string path) {
  if (path.find('"') != std::string::npos)
    refuse(url, "has a double quote in its path, which SQLite paths here cannot contain");
  if (path.find('\0') != std::string::npos)
    refuse(url, "has a NUL byte in its path");
  if (path.front() == ' ')
    path = "./" + path;
  return "db=\"" + path + "\" timeout=" + std::to_string(sqlite_busy_timeout_s);
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  for (std::size_t begin = 0;;) {
    auto end = text.find(separator, begin);
    parts.push_back(text.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos)
      return parts;
    begin = end + 1;
  }
}

std::string percent_decoded(const std::string& url, const std::string& part) {
  std::string out;
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (part[i] != '%') {
      out += part[i];
      continue;
    }
    if (i + 2 >= part.size() || !std::isxdigit(static_cast<unsigned char>(part[i + 1]))
        || !std::isxdigit(static_cast<unsigned char>(part[i + 2])))
      refuse(url, "has a malformed %-escape");
    out += static_cast<char>(std::stoi(part.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

// Appends key="'value'". SOCI 4.0.3's PostgreSQL backend re-splits its
// connect string on spaces and '=' (looking for its own options) and drops
// the double quotes around a value, which would mangle a URI; the single
// quotes inside survive and keep the value whole for libpq.
void add_pg_param(std::string& out, const std::string& url, const std::string& key,
                  const std::string& value) {
  if (value.empty())
    return;
  if (key.empty() || key.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos)
    refuse(url, "has a malformed parameter name '" + key + "'");
  if (value.find('"') != std::string::npos)
    refuse(url, "has a double quote in its " + key + ", which SOCI cannot pass to libpq");
  std::string quoted;
  for (char c : value) {
    if (c == '\'' || c == '\\')
      quoted += '\\';
    quoted += c;
  }
  out += (out.empty() ? "" : " ") + key + "=\"'" + quoted + "'\"";
}

// postgresql://[user[:password]@][host[:port][,...]][/dbname][?key=value&...]
// as libpq's key=value form.
std::string pg_connect_string(const std::string& url) {
  auto rest = url.substr(std::string(postgresql_prefix).size());
  std::string query, out;
  if (auto mark = rest.find('?'); mark != std::string::npos) {
    query = rest.substr(mark + 1);
    rest.resize(mark);
  }
  // The last '@' ends the credentials, as in config's masking.
  if (auto at = rest.rfind('@'); at != std::string::npos) {
    auto credentials = rest.substr(0, at);
    auto colon = credentials.find(':');
    add_pg_param(out, url, "user", percent_decoded(url, credentials.substr(0, colon)));
    if (colon != std::string::npos)
      add_pg_param(out, url, "password", percent_decoded(url, credentials.substr(colon + 1)));
    rest = rest.substr(at + 1);
  }
  auto slash = rest.find('/');
  if (slash != std::string::npos)
    add_pg_param(out, url, "dbname", percent_decoded(url, rest.substr(slash + 1)));
  std::string hosts, ports;
  bool first = true;
  for (const auto& item : split(rest.substr(0, slash), ',')) {
    // name:port or [v6::address]:port; a missing port is libpq's default.
    auto colon = item.rfind(':');
    if (colon != std::string::npos && item.find(']', colon) != std::string::npos)
      colon = std::string::npos;
    auto host = item.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    hosts += (first ? "" : ",") + percent_decoded(url, host);
    ports += (first ? "" : ",") + (colon == std::string::npos ? "" : item.substr(colon + 1));
    first = false;
  }
  if (hosts.find_first_not_of(',') != std::string::npos)
    add_pg_param(out, url, "host", hosts);
  if (ports.find_first_not_of(',') != std::string::npos)
    add_pg_param(out, url, "port", ports);
  for (const auto& pair : split(query, '&')) {
    if (pair.empty())
      continue;
    auto equals = pair.find('=');
    if (equals == std::string::npos)
      refuse(url, "has a query parameter without a value: '" + pair + "'");
    add_pg_param(out, url, percent_decoded(url, pair.substr(0, equals)),
                 percent_decoded(url, pair.substr(equals + 1)));
  }
  return out;
}

const soci::backend_factory& factory_of(backend kind) {
  if (kind == backend::postgresql)
    return soci::postgresql;
  return soci::sqlite3;
}

void configure(soci::session& sql, backend kind) {
  if (kind == backend::postgresql) {
    execute_sql(sql, "set client_min_messages = warning");
    return;
  }
  auto mode = query_text(sql, "pragma journal_mode = wal");
  if (mode != "wal")
    throw soci::soci_error("SQLite refused journal_mode=WAL (got '" + mode.value_or("") + "')");
  execute_sql(sql, "pragma synchronous = full");
  execute_sql(sql, "pragma foreign_keys = on");
}

bool contains(const std::string& text, const char* part) {
  return text.find(part) != std::string::npos;
}

// libpq reports a lost or refused connection without an SQLSTATE; these are
// the words it (and SOCI around it) uses.
bool says_connection_failed(const std::string& message) {
  return contains(message, "Cannot establish connection") || contains(message, "could not connect")
         || contains(message, "server closed the connection")
         || contains(message, "no connection to the server")
         || contains(message, "connection to server") || contains(message, "terminating connection")
         || contains(message, "could not receive data from server")
         || contains(message, "could not send data to server");
}

// A column as a PostgreSQL array literal: {1,NULL,3} or {"a","b\"c"}.
std::string pg_array(const row_set::column& c) {
  std::string out = "{";
  auto rows = c.nulls.size();
  for (std::size_t i = 0; i < rows; ++i) {
    if (i > 0)
      out += ',';
    if (c.nulls[i]) {
      out += "NULL";
    } else if (c.type == sql_type::bigint) {
      out += std::to_string(c.numbers[i]);
    } else {
      out += '"';
      for (char ch : c.texts[i]) {
        if (ch == '"' || ch == '\\')
          out += '\\';
        out += ch;
      }
      out += '"';
    }
  }
  return out + "}";
}

// unnest(:a::bigint[], :b::text[]) as v(a, b): the rows of a row_set.
std::string pg_unnest(const row_set& rows) {
  std::string arrays, names;
  for (const auto& c : rows.columns()) {
    arrays += (arrays.empty() ? ":" : ", :") + c.name
              + (c.type == sql_type::bigint ? "::bigint[]" : "::text[]");
    names += (names.empty() ? "" : ", ") + c.name;
  }
  return "unnest(" + arrays + ") as v (" + names + ")";
}

} // namespace

const char* to_string(backend x) {
  return x == backend::postgresql ? "postgresql" : "sqlite";
}

database_target parse_database_url(const std::string& url) {
  if (starts_with(url, sqlite_prefix)) {
    auto path = url.substr(std::string(sqlite_prefix).size());
    if (path.empty())
      refuse(url, "names no file; use sqlite://./relative.db or sqlite:///absolute/path.db");
    return {backend::sqlite, sqlite_connect_string(url, path), path};
  }
  if (starts_with(url, postgresql_prefix) && url.size() > std::string(postgresql_prefix).size())
    return {backend::postgresql, pg_connect_string(url), {}};
  refuse(url, "is not supported; use sqlite://<path> or "
              "postgresql://user:password@host:port/dbname");
}

std::unique_ptr<soci::session> open_session(const database_target& target) {
  auto sql = std::make_unique<soci::session>();
  sql->open(factory_of(target.kind), target.connect_string);
  configure(*sql, target.kind);
  return sql;
}

std::unique_ptr<soci::session> open_session(const std::string& url) {
  return open_session(parse_database_url(url));
}

void execute_sql(soci::session& sql, const std::string& statement) {
  soci::statement st(sql);
  st.alloc();
  st.prepare(statement, soci::details::st_one_time_query);
  st.define_and_bind();
  st.execute(true);  // as `sql << ...` does: SQLite steps only with data exchange
}

namespace {

template <class T>
std::optional<T> query_first(soci::session& sql, const std::string& query) {
  T value{};
  soci::indicator ind = soci::i_null;
  soci::statement st(sql);
  st.exchange(soci::into(value, ind));
  st.alloc();
  st.prepare(query, soci::details::st_one_time_query);
  st.define_and_bind();
  if (!st.execute(true) || ind != soci::i_ok)
    return std::nullopt;
  return value;
}

} // namespace

std::optional<std::string> query_text(soci::session& sql, const std::string& query) {
  return query_first<std::string>(sql, query);
}

std::optional<long long> query_number(soci::session& sql, const std::string& query) {
  return query_first<long long>(sql, query);
}

void reconnect_session(soci::session& sql, backend kind) {
  sql.reconnect();
  configure(sql, kind);
}

sql_transaction::sql_transaction(soci::session& sql, backend kind, mode m) : sql_(sql) {
  if (kind == backend::postgresql && m == mode::snapshot_read)
    execute_sql(sql_, "begin transaction isolation level repeatable read read only");
  else if (kind == backend::sqlite && m == mode::write)
    execute_sql(sql_, "begin immediate");
  else
    sql_.begin();
}

sql_transaction::~sql_transaction() {
  if (!open_)
    return;
  try {
    sql_.rollback();
  } catch (...) {
    // The connection is gone: the server has already dropped the transaction.
  }
}

void sql_transaction::commit() {
  open_ = false;
  sql_.commit();
}

row_set::row_set(std::initializer_list<std::pair<const char*, sql_type>> columns) {
  for (const auto& [name, type] : columns)
    columns_.push_back(column{name, type, {}, {}, {}});
}

void row_set::add(std::initializer_list<sql_value> row) {
  if (row.size() != columns_.size())
    throw std::logic_error("row_set: a row of " + std::to_string(row.size()) + " values for "
                           + std::to_string(columns_.size()) + " columns");
  auto value = row.begin();
  for (auto& c : columns_) {
    if (c.type == sql_type::text)
      c.texts.push_back(value->text);
    else
      c.numbers.push_back(value->number);
    c.nulls.push_back(value->is_null);
    ++value;
  }
  ++size_;
}

dialect_sql insert_rows_sql(const std::string& table, const row_set& rows,
                            const std::string& suffix) {
  std::string names, values;
  for (const auto& c : rows.columns()) {
    names += (names.empty() ? "" : ", ") + c.name;
    values += (values.empty() ? ":" : ", :") + c.name;
  }
  auto head = "insert into " + table + " (" + names + ") ";
  auto tail = suffix.empty() ? "" : " " + suffix;
  return {head + "values (" + values + ")" + tail,
          head + "select * from " + pg_unnest(rows) + tail};
}

dialect_sql update_rows_sql(const std::string& table, const row_set& rows,
                            const std::vector<std::string>& set_columns, const std::string& extra) {
  std::string lite_set, pg_set, lite_where = extra, pg_where = extra;
  auto append = [](std::string& to, const char* separator, const std::string& part) {
    to += (to.empty() ? "" : separator) + part;
  };
  for (const auto& c : rows.columns()) {
    if (std::find(set_columns.begin(), set_columns.end(), c.name) != set_columns.end()) {
      append(lite_set, ", ", c.name + " = :" + c.name);
      append(pg_set, ", ", c.name + " = v." + c.name);
    } else {
      append(lite_where, " and ", c.name + " = :" + c.name);
      append(pg_where, " and ", table + "." + c.name + " = v." + c.name);
    }
  }
  return {"update " + table + " set " + lite_set + " where " + lite_where,
          "update " + table + " set " + pg_set + " from " + pg_unnest(rows) + " where "
              + pg_where};
}

long long execute_rows(soci::session& sql, backend kind, const dialect_sql& statement,
                       row_set& rows) {
  if (rows.size() == 0)
    return 0;
  // Bound by reference: these must outlive execute().
  std::vector<std::string> arrays;
  std::vector<std::vector<soci::indicator>> indicators;
  arrays.reserve(rows.columns().size());
  indicators.reserve(rows.columns().size());
  soci::statement st(sql);
  for (auto& c : rows.columns()) {
    if (kind == backend::postgresql) {
      arrays.push_back(pg_array(c));
      st.exchange(soci::use(arrays.back(), c.name));
      continue;
    }
    auto& ind = indicators.emplace_back();
    for (bool null : c.nulls)
      ind.push_back(null ? soci::i_null : soci::i_ok);
    if (c.type == sql_type::text)
      st.exchange(soci::use(c.texts, ind, c.name));
    else
      st.exchange(soci::use(c.numbers, ind, c.name));
  }
  st.alloc();
  // A one-time query: PostgreSQL runs it without a named prepared statement
  // that would cost two more round trips (PREPARE, DEALLOCATE).
  st.prepare(kind == backend::postgresql ? statement.postgresql : statement.sqlite,
             soci::details::st_one_time_query);
  st.define_and_bind();
  st.execute(true);
  return st.get_affected_rows();
}

store_error::kind classify_failure(const std::exception& e) {
  using kind = store_error::kind;
  if (auto pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
    auto state = pg->sqlstate();
    if (state == "23505")
      return kind::conflict;
    if (starts_with(state, "08") || state == "57P01" || state == "57P02" || state == "57P03")
      return kind::unavailable;
  }
  if (auto lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
    constexpr int sqlite_busy = 5, sqlite_locked = 6, sqlite_constraint = 19;
    if (lite->result() == sqlite_constraint && contains(e.what(), "UNIQUE"))
      return kind::conflict;
    if (lite->result() == sqlite_busy || lite->result() == sqlite_locked)
      return kind::unavailable;
    return kind::other;
  }
  if (auto soci_failure = dynamic_cast<const soci::soci_error*>(&e)) {
    if (soci_failure->get_error_category() == soci::soci_error::connection_error)
      return kind::unavailable;
    if (says_connection_failed(e.what()))
      return kind::unavailable;
  }
  return kind::other;
}

} // namespace boxoffice
