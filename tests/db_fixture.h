// An empty database of one backend for one data test case, for the suites
// that run on both: a fresh SQLite file (removed afterwards), or PostgreSQL
// from BOXOFFICE_TEST_PG_URL (as set by tools/with-postgres.sh) with its
// schema public dropped and recreated. Without that variable a PostgreSQL
// case fails, unless BOXOFFICE_TEST_ALLOW_NO_PG=1 skips it on purpose.
#pragma once

#include "persistence/database.h"

#include <boost/test/unit_test.hpp>

#include <soci/soci.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

namespace boxoffice::test {

// The sample for BOOST_DATA_TEST_CASE(..., data::make(backends), name).
inline const std::vector<std::string> backends{"sqlite", "postgresql"};

// "3,4,5": seat indices on one line, for messages that compare records.
inline std::string seat_list(const std::vector<uint32_t>& seats) {
  std::string out;
  for (auto s : seats)
    out += (out.empty() ? "" : ",") + std::to_string(s);
  return out;
}

inline std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

class scratch_database {
public:
  explicit scratch_database(const std::string& name) {
    if (name == "sqlite") {
      static int counter = 0;
      file_ = std::filesystem::temp_directory_path()
              / ("boxoffice sql_store " + std::to_string(getpid()) + "-"
                 + std::to_string(++counter) + ".db");  // a space: paths are quoted
      remove_files();
      url_ = "sqlite://" + file_.string();
      return;
    }
    url_ = env("BOXOFFICE_TEST_PG_URL");
    if (url_.empty()) {
      if (env("BOXOFFICE_TEST_ALLOW_NO_PG") == "1")
        return;
      BOOST_FAIL("BOXOFFICE_TEST_PG_URL is not set: run through tools/with-postgres.sh, "
                 "or set BOXOFFICE_TEST_ALLOW_NO_PG=1 to skip PostgreSQL on purpose");
    }
    auto sql = open_session(url_);
    execute_sql(*sql, "drop schema public cascade");
    execute_sql(*sql, "create schema public");
  }
  ~scratch_database() { remove_files(); }
  scratch_database(const scratch_database&) = delete;
  scratch_database& operator=(const scratch_database&) = delete;

  // False only for PostgreSQL skipped on purpose; the case then passes empty.
  bool available() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  backend kind() const { return parse_database_url(url_).kind; }

private:
  void remove_files() {
    if (file_.empty())
      return;
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(file_.string() + suffix);
  }

  std::filesystem::path file_;
  std::string url_;
};

} // namespace boxoffice::test
