// The load generator (bench/loadgen, BOXOFFICE_LOADGEN_BINARY) against the
// real server, on both backends: short flash and mixed runs on a small event
// must succeed and pass their audit; a hold written into the database behind
// the server's back must fail it. The open loop (--rate) keeps its rate and
// counts a stalled server's time as latency; conditional seat-map reads
// (304) are answers.
#include "persistence/database.h"
#include "tests/e2e/api_fixture.h"

#include <soci/session.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

// Hold-only and mixed runs keep many live holds per customer.
const std::map<std::string, std::string> loadgen_settings = {
  {"BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER", "1000"},
};

struct loadgen_run {
  int exit_status = -1;
  std::string out;  // stdout: the --json report
  json report;
};

// Starts the generator on `server` with the run's arguments; stdout and
// stderr go to files next to the server's log.
class loadgen_process {
public:
  loadgen_process(api_server& server, const std::vector<std::string>& args,
                  const std::string& name) {
    auto dir = std::filesystem::temp_directory_path();
    out_path_ = (dir / ("boxoffice-loadgen-" + name + ".json")).string();
    err_path_ = (dir / ("boxoffice-loadgen-" + name + ".log")).string();
    std::vector<std::string> argv{BOXOFFICE_LOADGEN_BINARY,
                                  "--url",          server.url(""),
                                  "--admin-email",  admin_email,
                                  "--admin-password", admin_password,
                                  "--db",           server.database_url(),
                                  "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::filesystem::remove(out_path_);  // the report of an earlier run
    std::filesystem::remove(err_path_);
    pid_ = spawn_process(argv, out_path_, err_path_);
  }

  ~loadgen_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  bool exited() {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) != pid_)
      return false;
    pid_ = -1;
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return true;
  }

  loadgen_run wait() {
    if (pid_ > 0) {
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    loadgen_run r;
    r.exit_status = exit_status_;
    std::ifstream in{out_path_};
    std::stringstream text;
    text << in.rdbuf();
    r.out = text.str();
    r.report = json::parse(r.out, nullptr, false);
    return r;
  }

  std::string log() const {
    std::ifstream in{err_path_};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::string out_path_;
  std::string err_path_;
};

uint64_t successes(const json& report, const char* operation) {
  auto ops = report.find("operations");
  if (ops == report.end() || !ops->contains(operation))
    return 0;
  return (*ops)[operation].value("successes", uint64_t{0});
}

void check_passed(const loadgen_process& p, const loadgen_run& r) {
  BOOST_TEST_INFO("loadgen log:\n" << p.log());
  BOOST_REQUIRE_MESSAGE(r.report.is_object(), "not a JSON report: " << r.out);
  BOOST_TEST(r.exit_status == 0);
  BOOST_TEST(r.report["audit"]["ran"] == true);
  BOOST_TEST(r.report["audit"]["passed"] == true);
  BOOST_TEST(r.report["audit"]["violations"].size() == 0u);
}

} // namespace

BOOST_AUTO_TEST_SUITE(loadgen_smoke)

BOOST_AUTO_TEST_CASE(flash_and_mixed_runs_pass_their_audit) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "loadgen-smoke", loadgen_settings};
      if (!server.started())
        continue;
      {
        loadgen_process flash{server,
                              {"--scenario", "flash", "--sections", "1", "--rows", "10",
                               "--seats-per-row", "20", "--connections", "16",
                               // A flash run ends when sold out (well under a second);
                               // the limit is only a bound for a slow disk.
                               "--duration-s", "30"},
                              "flash-" + backend};
        auto r = flash.wait();
        check_passed(flash, r);
        BOOST_TEST(successes(r.report, "hold") == 200u);  // sold out
        BOOST_TEST(successes(r.report, "purchase") == 200u);
        BOOST_TEST(r.report["audit"]["facts"]["db_tickets_sold"] == 200);
      }
      {
        loadgen_process mixed{server,
                              {"--scenario", "mixed", "--sections", "4", "--rows", "10",
                               "--seats-per-row", "20", "--connections", "16", "--duration-s", "2"},
                              "mixed-" + backend};
        auto r = mixed.wait();
        check_passed(mixed, r);
        BOOST_TEST(successes(r.report, "hold") > 0u);
        BOOST_TEST(successes(r.report, "purchase") > 0u);
        BOOST_TEST(successes(r.report, "seat_map") + successes(r.report, "event") > 0u);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_hold_written_behind_the_servers_back_fails_the_audit) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "loadgen-forged", loadgen_settings};
      if (!server.started())
        continue;
      loadgen_process run{server,
                          {"--scenario", "mixed", "--sections", "2", "--rows", "10",
                           "--seats-per-row", "20", "--connections", "8", "--duration-s", "3"},
                          "forged-" + backend};
      // While the generator runs, once its event is on sale: a live hold it
      // was never granted, with an id the server will not reach in 3 s.
      auto sql = open_session(server.database_url());
      bool forged = false;
      while (!forged && !run.exited()) {
        auto event = query_number(*sql, "select max(id) from events where status = 'on_sale'");
        if (event) {
          auto e = std::to_string(*event);
          execute_sql(*sql, "insert into holds (event_id, section_id, id, customer_id, seats,"
                            " quantity, created_at, expires_at, status) values ("
                              + e + ", 1, 999999, 1, '199', 1, 0, 4102444800000, 'live')");
          forged = true;
        } else {
          // Waiting for the child process to put its event on sale.
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
      BOOST_REQUIRE_MESSAGE(forged, "the generator ended before its event was on sale:\n"
                                      << run.log());
      auto r = run.wait();
      BOOST_TEST_INFO("loadgen log:\n" << run.log());
      BOOST_TEST(r.exit_status == 1);
      BOOST_REQUIRE(r.report.is_object());
      BOOST_TEST(r.report["audit"]["passed"] == false);
      auto violations = r.report["audit"]["violations"].dump();
      BOOST_TEST(violations.find("never granted") != std::string::npos, violations);
    }
  }
}

// A server stopped (SIGSTOP) for half a second in a 3 s open-loop run at
// 400 requests/s: the slots of the stall (about 200 of 1,200) leave late and
// their wait counts from their intended send time, so p90 is far above the
// sub-millisecond of a health answer. Timed from the send instead (the
// coordinated omission of a closed loop) the same stall leaves p90 low:
// only the 4 requests in flight during it are slow.
namespace {

// A 3 s health run at `rate` (0: closed loop) with a 500 ms SIGSTOP of the
// server after 1 s; the report's health operation.
json health_with_a_stall(api_server& server, const std::string& rate, const std::string& name) {
  loadgen_process run{server,
                      {"--scenario", "health", "--connections", "4", "--threads", "1",
                       "--rate", rate, "--duration-s", "3"},
                      name};
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  server.process().send_signal(SIGSTOP);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server.process().send_signal(SIGCONT);
  auto r = run.wait();
  BOOST_TEST_INFO("loadgen log:\n" << run.log());
  BOOST_REQUIRE_MESSAGE(r.report.is_object(), "not a JSON report: " << r.out);
  BOOST_TEST(r.exit_status == 0);
  BOOST_TEST(r.report["open_loop"] == (rate != "0"));
  return r.report["operations"]["health"];
}

} // namespace

BOOST_AUTO_TEST_CASE(an_open_loop_run_keeps_its_rate_and_counts_a_stall_as_latency) {
  api_server server{"sqlite", "loadgen-open-loop"};
  BOOST_REQUIRE(server.started());
  auto open = health_with_a_stall(server, "400", "open-loop");
  // 400/s for 3 s, the stall's slots sent once it ends: the rate held.
  BOOST_TEST(open["attempts"].get<uint64_t>() >= 1100u);
  BOOST_TEST(open["attempts"].get<uint64_t>() <= 1260u);
  BOOST_TEST(open["failures"].size() == 0u);
  BOOST_TEST(open["latency_ms_p90"].get<double>() >= 100.0);
  BOOST_TEST(open["latency_ms_max"].get<double>() >= 400.0);
  // The same stall in a closed loop: only the 4 requests in flight wait.
  auto closed = health_with_a_stall(server, "0", "closed-loop");
  BOOST_TEST(closed["latency_ms_p90"].get<double>() < 100.0);
  BOOST_TEST(closed["latency_ms_max"].get<double>() >= 400.0);
}

BOOST_AUTO_TEST_CASE(conditional_seat_map_reads_are_answered_304) {
  api_server server{"sqlite", "loadgen-seat-map"};
  BOOST_REQUIRE(server.started());
  loadgen_process run{server,
                      {"--scenario", "seat_map_cached", "--rows", "10", "--seats-per-row", "20",
                       "--connections", "4", "--duration-s", "1"},
                      "seat-map-cached"};
  auto r = run.wait();
  check_passed(run, r);
  BOOST_TEST(r.report["sections"] == 1);
  BOOST_TEST(successes(r.report, "seat_map") > 100u);
  // A 304 without a Content-Length is an answer, not a protocol error.
  BOOST_TEST(r.report["operations"]["seat_map"]["failures"].size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
