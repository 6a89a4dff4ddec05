#include "persistence/sqlite_backup.h"

#include "persistence/database.h"

#include <sqlite3.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

namespace boxoffice {

namespace {

namespace fs = std::filesystem;

// How long a step may keep finding the source locked (it only is while
// another connection recovers its WAL or takes an exclusive lock) before the
// backup gives up.
constexpr auto source_locked_max = std::chrono::seconds(30);
constexpr int busy_timeout_ms = 5000;

struct close_db {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using db_handle = std::unique_ptr<sqlite3, close_db>;

[[noreturn]] void fail(const std::string& what) {
  throw backup_error("backup: " + what);
}

db_handle open_db(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db_handle db{raw};
  if (rc != SQLITE_OK)
    fail("cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);
  return db;
}

// The first column of the first row as text; nullopt when the statement
// fails or has no row.
std::optional<std::string> first_value(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
    return std::nullopt;
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st{raw, sqlite3_finalize};
  if (sqlite3_step(st.get()) != SQLITE_ROW)
    return std::nullopt;
  auto text = sqlite3_column_text(st.get(), 0);
  return text ? std::string{reinterpret_cast<const char*>(text)} : std::string{};
}

// Every page in one step: one read transaction, so one snapshot. Steps of a
// few pages would each see the newest state, and a write by the server
// between two of them restarts the copy, which under load may never end.
uint64_t copy_all(sqlite3* source, sqlite3* target) {
  sqlite3_backup* b = sqlite3_backup_init(target, "main", source, "main");
  if (!b)
    fail(std::string{"cannot start: "} + sqlite3_errmsg(target));
  auto give_up = std::chrono::steady_clock::now() + source_locked_max;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (std::chrono::steady_clock::now() >= give_up)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto pages = static_cast<uint64_t>(sqlite3_backup_pagecount(b));
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE)
    fail(std::string{"copy failed: "} + sqlite3_errstr(rc));
  if (sqlite3_errcode(target) != SQLITE_OK)
    fail(std::string{"copy failed: "} + sqlite3_errmsg(target));
  return pages;
}

void sync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0)
    fail("cannot open " + path + " to sync it: " + std::strerror(errno));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0)
    fail("cannot sync " + path + ": " + std::strerror(saved));
}

// `partial` becomes `file` only if no `file` appeared meanwhile: link(2)
// refuses an existing name, where rename(2) would replace it.
void publish(const std::string& partial, const std::string& file) {
  sync_path(partial, O_RDONLY);
  if (::link(partial.c_str(), file.c_str()) != 0)
    fail("cannot create " + file + ": " + std::strerror(errno));
  ::unlink(partial.c_str());
  auto dir = fs::absolute(file).parent_path().string();
  sync_path(dir, O_RDONLY | O_DIRECTORY);
}

} // namespace

backup_report backup_sqlite(const std::string& database_url, const std::string& file) {
  auto target = parse_database_url(database_url);
  if (target.kind == backend::postgresql)
    fail("database.url is a PostgreSQL database; back it up with pg_dump (see the README, "
         "\"Backups and upgrades\")");
  if (!fs::is_regular_file(target.sqlite_file))
    fail("no database at " + target.sqlite_file + " (database.url)");
  if (fs::exists(file))
    fail(file + " exists; give the name of a new file");

  // Read and write, never create: SQLite may need to create the -shm file
  // of a WAL database that no server has open.
  auto source = open_db(target.sqlite_file, SQLITE_OPEN_READWRITE);
  auto version = first_value(source.get(), "select max(version) from schema_migrations");
  if (!version)
    fail(target.sqlite_file + " is not a boxoffice database (it has no schema_migrations)");

  const std::string partial = file + ".partial";
  for (const char* suffix : {"", "-journal", "-wal", "-shm"})
    fs::remove(partial + suffix);
  backup_report report;
  report.source = target.sqlite_file;
  report.schema_version = std::stoi(version->empty() ? "0" : *version);
  {
    auto copy = open_db(partial, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    report.pages = copy_all(source.get(), copy.get());
    auto check = first_value(copy.get(), "pragma quick_check");
    if (check != "ok")
      fail("the copy in " + partial + " fails its check: " + check.value_or("no answer"));
    if (sqlite3_close(copy.release()) != SQLITE_OK)
      fail("cannot close " + partial);
  }
  if (fs::exists(partial + "-wal"))
    fail("the copy left " + partial + "-wal behind; not published");
  publish(partial, file);
  report.bytes = fs::file_size(file);
  return report;
}

} // namespace boxoffice
