#include "persistence/connection.h"

#include "persistence/migrations.h"

#include <soci/soci.h>

#include <utility>

namespace boxoffice {

namespace {

// SOCI appends every bound value to its message, which for a big batch is
// megabytes.
constexpr std::size_t message_chars_max = 1000;

// Binds every parameter to `st`. SOCI binds by reference: `values` must
// outlive the statement's execution.
void bind_params(soci::statement& st, std::vector<sql_param>& values) {
  for (auto& p : values) {
    if (p.type == sql_type::text)
      st.exchange(soci::use(p.text, p.name));
    else
      st.exchange(soci::use(p.number, p.name));
  }
}

} // namespace

sql_connection::sql_connection(const std::string& database_url)
  : target_(parse_database_url(database_url)) {}

sql_connection::~sql_connection() = default;

soci::session& sql_connection::connected() {
  if (!session_) {
    auto fresh = open_session(target_);
    migrate(*fresh, target_.kind);
    session_ = std::move(fresh);
  } else if (broken_) {
    reconnect_session(*session_, target_.kind);
  }
  broken_ = false;
  return *session_;
}

void sql_connection::guarded(const char* what,
                             const std::function<void(soci::session&, bool&)>& work) {
  for (int attempt = 1;; ++attempt) {
    bool fresh = !session_ || broken_;
    bool sent = false;
    try {
      work(connected(), sent);
      return;
    } catch (const store_error&) {
      throw;
    } catch (const std::exception& e) {
      auto why = classify_failure(e);
      if (why == store_error::kind::unavailable)
        broken_ = true;
      // A connection that died while idle is found out by the first
      // statement; if nothing was sent that counts, go again at once.
      if (why == store_error::kind::unavailable && !fresh && !sent && attempt == 1)
        continue;
      std::string message = e.what();
      if (message.size() > message_chars_max)
        message = message.substr(0, message_chars_max) + "...";
      throw store_error(why, std::string(what) + ": " + message);
    }
  }
}

long long execute_statement(soci::session& sql, const std::string& statement,
                            const std::vector<sql_param>& params) {
  auto values = params;
  soci::statement st(sql);
  bind_params(st, values);
  st.alloc();
  st.prepare(statement, soci::details::st_one_time_query);
  st.define_and_bind();
  st.execute(true);  // SQLite steps only with data exchange
  return st.get_affected_rows();
}

std::vector<std::vector<sql_value>> query_rows(soci::session& sql, const std::string& query,
                                               const std::vector<sql_param>& params,
                                               std::initializer_list<sql_type> columns) {
  auto values = params;
  std::vector<sql_type> types(columns);
  std::vector<long long> numbers(types.size());
  std::vector<std::string> texts(types.size());
  std::vector<soci::indicator> indicators(types.size(), soci::i_null);
  soci::statement st(sql);
  for (std::size_t i = 0; i < types.size(); ++i) {
    if (types[i] == sql_type::text)
      st.exchange(soci::into(texts[i], indicators[i]));
    else
      st.exchange(soci::into(numbers[i], indicators[i]));
  }
  bind_params(st, values);
  st.alloc();
  st.prepare(query, soci::details::st_one_time_query);
  st.define_and_bind();
  std::vector<std::vector<sql_value>> rows;
  if (!st.execute(true))
    return rows;
  do {
    auto& row = rows.emplace_back();
    for (std::size_t i = 0; i < types.size(); ++i) {
      if (indicators[i] != soci::i_ok)
        row.emplace_back();
      else if (types[i] == sql_type::text)
        row.emplace_back(texts[i]);
      else
        row.emplace_back(numbers[i]);
    }
  } while (st.fetch());
  return rows;
}

} // namespace boxoffice
