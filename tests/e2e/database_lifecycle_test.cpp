// A database's life outside one server run, against the real binary: demo
// accounts do not outlive demo mode, `boxoffice backup` under load holds
// every hold acknowledged before it began and serves as a database, a
// database newer than the binary is refused, and --version says which
// binary this is.
#include "persistence/connection.h"
#include "persistence/database.h"
#include "persistence/migrations.h"
#include "tests/e2e/api_checks.h"

#include <soci/soci.h>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using namespace boxoffice;
using namespace boxoffice::e2e;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

const std::string binary = BOXOFFICE_BINARY;

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / name).string();
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

// `boxoffice <args>` on this database; the URL goes through the
// environment, as an operator's would.
command_result run_boxoffice(const std::string& database_url, const std::string& args) {
  return run_command("BOXOFFICE_DATABASE_URL='" + database_url + "' " + binary + " " + args);
}

long login_status(const server_process& server, const std::string& email,
                  const std::string& password) {
  test::client http;
  return http
    .send("POST", server.base_url() + "/v1/auth/login",
          json{{"email", email}, {"password", password}}.dump(),
          {{"Content-Type", "application/json"}})
    .status;
}

const char* demo_admin_email = "admin@demo.boxoffice.test";
const char* demo_admin_password = "demo-admin-password";
const char* demo_customer_email = "customer@demo.boxoffice.test";
const char* demo_customer_password = "demo-customer-password";

// A hold acknowledged with 201, and when.
struct acknowledged_hold {
  std::string id;  // "event-section-hold"
  std::chrono::steady_clock::time_point at;
};

// Clients taking one place at a time in general admission until stopped.
class hold_load {
public:
  hold_load(api_server& server, uint64_t event, int clients) {
    for (int i = 0; i < clients; ++i) {
      auto token = server.customer_token("backup-" + std::to_string(i));
      threads_.emplace_back([this, &server, event, token] { run(server, event, token); });
    }
  }
  ~hold_load() { stop(); }

  void stop() {
    stopping_ = true;
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
  }
  size_t count() {
    std::lock_guard<std::mutex> guard{m_};
    return holds_.size();
  }
  std::vector<acknowledged_hold> holds() {
    std::lock_guard<std::mutex> guard{m_};
    return holds_;
  }

private:
  void run(api_server& server, uint64_t event, const std::string& token) {
    test::client http;
    auto url = server.url(event_path(event) + "/holds");
    auto body = json{{"section_id", 1}, {"quantity", 1}}.dump();
    std::map<std::string, std::string> headers{{"Authorization", "Bearer " + token},
                                               {"Content-Type", "application/json"}};
    while (!stopping_) {
      test::reply r;
      try {
        r = http.send("POST", url, body, headers);
      } catch (const std::runtime_error&) {
        continue;  // counted as not acknowledged
      }
      auto at = std::chrono::steady_clock::now();
      if (r.status != 201)
        continue;
      std::lock_guard<std::mutex> guard{m_};
      holds_.push_back({json::parse(r.body)["id"].get<std::string>(), at});
    }
  }

  std::atomic<bool> stopping_{false};
  std::mutex m_;
  std::vector<acknowledged_hold> holds_;
  std::vector<std::thread> threads_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(database_lifecycle)

BOOST_AUTO_TEST_CASE(demo_accounts_do_not_outlive_demo_mode) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      auto url = fresh_database(backend, temp_path("boxoffice-demo.db"));
      if (url.empty())
        continue;
      auto log = temp_path("boxoffice-demo-" + backend + ".log");
      fs::remove(log);
      {
        server_process demo{url, log, {}, {"--demo"}};
        demo.wait_ready();
        BOOST_TEST(login_status(demo, demo_admin_email, demo_admin_password) == 200);
        BOOST_TEST(demo.stop() == 0);
      }

      // Without --demo: refused before serving, with one line saying how.
      std::optional<int> status;
      auto demo_lines = read_file(log).size();
      {
        server_process plain{url, log};
        status = plain.wait_exit(20s);
        BOOST_TEST_REQUIRE(status.has_value(), "served a database with the demo accounts");
      }
      BOOST_TEST(WIFEXITED(*status));
      BOOST_TEST(WEXITSTATUS(*status) == 1);
      auto said = read_file(log).substr(demo_lines);
      BOOST_TEST(said.find("demo accounts") != std::string::npos, said);
      BOOST_TEST(said.find("boxoffice remove-demo-accounts") != std::string::npos);
      BOOST_TEST(said.find("boxoffice ready") == std::string::npos);

      auto removed = run_boxoffice(url, "remove-demo-accounts");
      BOOST_TEST(removed.status == 0, removed.output);
      BOOST_TEST(removed.output.find(std::string{"demo account "} + demo_admin_email
                                     + " disabled") != std::string::npos, removed.output);
      auto again = run_boxoffice(url, "remove-demo-accounts");
      BOOST_TEST(again.status == 0);
      BOOST_TEST(again.output.find("no usable demo account") != std::string::npos);

      // Now it serves, the demo's data is still there, and the published
      // passwords log in as nobody.
      server_process plain{url, log};
      plain.wait_ready();
      test::client http;
      BOOST_TEST(http.send("GET", plain.base_url() + "/v1/events/1").status == 200);
      BOOST_TEST(login_status(plain, demo_admin_email, demo_admin_password) == 401);
      BOOST_TEST(login_status(plain, demo_customer_email, demo_customer_password) == 401);
      BOOST_TEST(plain.stop() == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_backup_under_load_holds_every_hold_acknowledged_before_it) {
  api_server server{"sqlite", "backup",
                    {{"BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER", "1000"},
                     {"BOXOFFICE_RESERVATION_MAX_TICKETS_PER_CUSTOMER", "10000"}}};
  auto event = server.create_event("Backup", {json{{"name", "Standing"},
                                                   {"kind", "general"},
                                                   {"capacity", 100000},
                                                   {"price_cents", 1500}}});
  auto file = temp_path("boxoffice-backup-copy.db");
  for (const char* suffix : {"", "-wal", "-shm", ".partial"})
    fs::remove(file + suffix);

  hold_load load{server, event, 6};
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (load.count() < 300 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  BOOST_TEST_REQUIRE(load.count() >= 300u, "the load made only " << load.count() << " holds");
  auto started = std::chrono::steady_clock::now();
  auto backup = run_boxoffice(server.database_url(), "backup " + file);
  auto finished = std::chrono::steady_clock::now();
  // The load goes on a moment after the backup, then stops.
  std::this_thread::sleep_for(100ms);
  load.stop();
  BOOST_TEST_REQUIRE(backup.status == 0, backup.output);
  BOOST_TEST(backup.output.find("schema version " + std::to_string(schema_version()))
             != std::string::npos, backup.output);

  std::set<std::string> in_backup;
  {
    auto copy = open_session("sqlite://" + file);
    BOOST_TEST(query_text(*copy, "pragma integrity_check").value_or("") == "ok");
    auto rows = query_rows(*copy, "select section_id, id from holds where event_id = :event",
                           {{"event", static_cast<long long>(event)}},
                           {sql_type::bigint, sql_type::bigint});
    for (const auto& r : rows)
      in_backup.insert(std::to_string(event) + "-" + std::to_string(r.at(0).number) + "-"
                       + std::to_string(r.at(1).number));
  }
  size_t before = 0, during = 0, after = 0;
  for (const auto& h : load.holds()) {
    if (h.at < started) {
      ++before;
      BOOST_TEST(in_backup.count(h.id) == 1u, "hold " << h.id << " acknowledged before the "
                                                      << "backup is not in it");
    } else if (h.at < finished) {
      ++during;
    } else {
      ++after;
    }
  }
  BOOST_TEST_MESSAGE("backup: " << before << " holds acknowledged before it, " << during
                                << " during, " << after << " after; " << in_backup.size()
                                << " in the copy");
  BOOST_TEST(before >= 300u);
  BOOST_TEST(in_backup.size() >= before);

  // The copy is a boxoffice database: a server serves it as it was.
  auto log = temp_path("boxoffice-backup-restored.log");
  fs::remove(log);
  server_process restored{"sqlite://" + file, log};
  restored.wait_ready();
  test::client http;
  auto view = expect_json(http.send("GET", restored.base_url() + event_path(event)), 200);
  BOOST_TEST(view["sections"][0]["held"].get<size_t>() == in_backup.size());
  BOOST_TEST(restored.stop() == 0);
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(file + suffix);
}

BOOST_AUTO_TEST_CASE(backup_refuses_postgresql_and_names_pg_dump) {
  auto url = fresh_database("postgresql", "");
  if (url.empty())
    return;
  auto file = temp_path("boxoffice-backup-pg.db");
  fs::remove(file);
  auto r = run_boxoffice(url, "backup " + file);
  BOOST_TEST(r.status == 1);
  BOOST_TEST(r.output.find("pg_dump") != std::string::npos, r.output);
  BOOST_TEST(!fs::exists(file));
}

BOOST_AUTO_TEST_CASE(a_database_newer_than_the_binary_is_refused) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      auto url = fresh_database(backend, temp_path("boxoffice-newer.db"));
      if (url.empty())
        continue;
      auto migrated = run_boxoffice(url, "migrate");
      BOOST_TEST_REQUIRE(migrated.status == 0, migrated.output);
      auto newer = schema_version() + 1;
      execute_sql(*open_session(url), "insert into schema_migrations (version, applied_at)"
                                      " values (" + std::to_string(newer) + ", 0)");
      auto again = run_boxoffice(url, "migrate");
      BOOST_TEST(again.status == 1);
      BOOST_TEST(again.output.find("newer than this binary") != std::string::npos,
                 again.output);

      auto log = temp_path("boxoffice-newer-" + backend + ".log");
      fs::remove(log);
      server_process server{url, log};
      auto status = server.wait_exit(20s);
      BOOST_TEST_REQUIRE(status.has_value(), "served a database newer than the binary");
      BOOST_TEST(WIFEXITED(*status));
      BOOST_TEST(WEXITSTATUS(*status) == 1);
      auto said = read_file(log);
      BOOST_TEST(said.find("database schema is at version " + std::to_string(newer))
                 != std::string::npos, said);
      // Refused, not changed: the version the newer binary wrote is still there.
      BOOST_TEST(database_version(*open_session(url), parse_database_url(url).kind) == newer);
    }
  }
}

BOOST_AUTO_TEST_CASE(version_names_the_release_and_its_schema) {
  auto r = run_command(binary + " --version");
  BOOST_TEST(r.status == 0);
  BOOST_TEST(r.output == std::string{"boxoffice "} + BOXOFFICE_VERSION
                           + " (database schema version " + std::to_string(schema_version())
                           + ")\n");
}

BOOST_AUTO_TEST_SUITE_END()
