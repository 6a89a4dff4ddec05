// Tests for persistence/sqlite_backup.h: a backup taken while another
// connection keeps committing holds every row committed before it began
// and is a valid, migrated database; what it refuses, it names.
#include "persistence/database.h"
#include "persistence/migrations.h"
#include "persistence/sqlite_backup.h"
#include "tests/db_fixture.h"

#include <boost/test/unit_test.hpp>

#include <soci/soci.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace {

using namespace boxoffice;
namespace fs = std::filesystem;

void insert_event(soci::session& sql, long long id) {
  execute_sql(sql, "insert into events (id, title, description, venue, starts_at,"
                   " max_tickets_per_customer, status) values ("
                     + std::to_string(id) + ", 'Event', 'A test event', 'Hall', 0, 6, 'draft')");
}

// A path in the temp directory, free before and after the test.
struct scratch_file {
  explicit scratch_file(const std::string& name)
      : path((fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()))).string()) {
    clean();
  }
  ~scratch_file() { clean(); }
  void clean() {
    for (const char* suffix : {"", "-wal", "-shm", ".partial", ".partial-journal"})
      fs::remove(path + suffix);
  }
  std::string path;
};

bool message_has(const backup_error& e, const std::string& part) {
  return std::string{e.what()}.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(sqlite_backup)

BOOST_AUTO_TEST_CASE(a_backup_under_writes_holds_everything_committed_before_it) {
  test::scratch_database db{"sqlite"};
  auto writer = open_session(db.url());
  migrate(*writer, backend::sqlite);
  for (long long id = 1; id <= 200; ++id)
    insert_event(*writer, id);
  // Another connection goes on committing while the backup runs, as a
  // server would; `committed` is the newest id known durable.
  std::atomic<long long> committed{200};
  std::atomic<bool> stop{false};
  std::thread load([&] {
    for (long long id = 201; !stop; ++id) {
      insert_event(*writer, id);
      committed = id;
    }
  });
  while (committed < 400)
    std::this_thread::yield();
  auto before = committed.load();
  scratch_file copy{"boxoffice-backup-test.db"};
  auto report = backup_sqlite(db.url(), copy.path);
  auto after = committed.load();
  stop = true;
  load.join();
  BOOST_TEST_MESSAGE("backup: " << report.pages << " pages; " << before
                                << " rows committed before it, " << after << " after");

  BOOST_TEST(report.schema_version == schema_version());
  BOOST_TEST(report.bytes == fs::file_size(copy.path));
  BOOST_TEST(!fs::exists(copy.path + ".partial"));
  auto restored = open_session("sqlite://" + copy.path);
  BOOST_TEST(query_text(*restored, "pragma integrity_check").value_or("") == "ok");
  auto rows = query_number(*restored, "select count(*) from events").value_or(0);
  auto newest = query_number(*restored, "select max(id) from events").value_or(0);
  // Every row up to `before` is there, and no gap: one snapshot.
  BOOST_TEST(newest >= before);
  BOOST_TEST(newest <= after);
  BOOST_TEST(rows == newest);
  BOOST_TEST(database_version(*restored, backend::sqlite) == schema_version());
  // The search index came along with its table.
  BOOST_TEST(query_number(*restored, "select count(*) from events_fts where events_fts match "
                                     "'hall'").value_or(-1) == rows);
}

BOOST_AUTO_TEST_CASE(postgresql_is_refused_with_a_pointer_to_pg_dump) {
  scratch_file copy{"boxoffice-backup-pg.db"};
  BOOST_CHECK_EXCEPTION(backup_sqlite("postgresql://u:secret@127.0.0.1:1/db", copy.path),
                        backup_error, [](const backup_error& e) {
                          return message_has(e, "pg_dump") && !message_has(e, "secret");
                        });
  BOOST_TEST(!fs::exists(copy.path));
}

BOOST_AUTO_TEST_CASE(an_existing_file_is_never_overwritten) {
  test::scratch_database db{"sqlite"};
  migrate(*open_session(db.url()), backend::sqlite);
  scratch_file copy{"boxoffice-backup-exists.db"};
  std::ofstream{copy.path} << "keep me";
  BOOST_CHECK_EXCEPTION(backup_sqlite(db.url(), copy.path), backup_error,
                        [](const backup_error& e) { return message_has(e, "exists"); });
  std::ifstream in{copy.path};
  std::string kept;
  std::getline(in, kept);
  BOOST_TEST(kept == "keep me");
}

BOOST_AUTO_TEST_CASE(a_missing_or_foreign_source_is_refused_and_not_created) {
  scratch_file source{"boxoffice-backup-source.db"};
  scratch_file copy{"boxoffice-backup-foreign.db"};
  BOOST_CHECK_EXCEPTION(backup_sqlite("sqlite://" + source.path, copy.path), backup_error,
                        [](const backup_error& e) { return message_has(e, "no database at"); });
  BOOST_TEST(!fs::exists(source.path));
  {
    auto other = open_session("sqlite://" + source.path);
    execute_sql(*other, "create table notes (text text)");
  }
  BOOST_CHECK_EXCEPTION(backup_sqlite("sqlite://" + source.path, copy.path), backup_error,
                        [](const backup_error& e) {
                          return message_has(e, "not a boxoffice database");
                        });
  BOOST_TEST(!fs::exists(copy.path));
}

BOOST_AUTO_TEST_SUITE_END()
