// The real boxoffice binary as a child process of a test: started with a
// database and a node port, reached through its published directory, and
// stopped with SIGTERM or killed with SIGKILL.
#pragma once

#include "actors/protocol.h"

#include <caf/io/all.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace boxoffice::e2e {

// The access-token key every test server signs with, so tests can forge
// expired or tampered tokens with accounts/tokens.h.
inline const std::string test_jwt_secret = "e2e-test-secret-e2e-test-secret-0123456789";

// A free TCP port on 127.0.0.1 below 32768 (outside the ephemeral range).
uint16_t free_port();

// Starts argv[0] (a path) with `argv` and `env` ("NAME=value" each; the
// test's own environment when null). Its stdout goes to `out_path`,
// appended to; its stderr to `err_path`, or with stdout when empty. Throws
// if it cannot start. The one way the e2e tests start a child process.
pid_t spawn_process(std::vector<std::string> argv, const std::string& out_path,
                    const std::string& err_path = {},
                    std::vector<std::string>* env = nullptr);

class server_process {
public:
  // Starts `boxoffice serve` with the given database and further settings
  // (environment overrides such as BOXOFFICE_RESERVATION_HOLD_TTL_S=1); its
  // output goes to `log_path`. Throws if the binary cannot be started.
  // Defaults unless `settings` says otherwise: test_jwt_secret, the cheapest
  // password hashing, no login rate limits. BOXOFFICE_DATABASE_URL in
  // `settings` wins over `database_url` (a test's proxy in between).
  // `serve_args` follow `serve` on the command line (--demo). Its stderr
  // goes to `err_path` (opened for appending) if given, else to the log.
  server_process(const std::string& database_url, const std::string& log_path,
                 const std::map<std::string, std::string>& settings = {},
                 const std::vector<std::string>& serve_args = {},
                 const std::string& err_path = {});
  ~server_process();  // SIGKILL if still running

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  // Waits (up to 20 s) until the node port answers; throws otherwise.
  directory_actor connect(caf::actor_system& sys);

  // Waits (up to 20 s) until GET /v1/ready answers 200; throws otherwise.
  void wait_ready();
  uint16_t http_port() const { return http_port_; }
  // "http://127.0.0.1:<http_port>"
  std::string base_url() const;

  void kill_now();          // SIGKILL, then reap
  int stop();               // SIGTERM, then reap; returns the exit status
  void send_signal(int signal);
  // The exit status (as waitpid gives it) once the process has ended, or
  // nullopt if it is still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }

private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  uint16_t http_port_ = 0;
  std::string log_path_;
};

struct command_result {
  int status = -1;     // the exit status; -1 when killed by a signal
  std::string output;  // stdout and stderr together
};

// Runs a shell command line (test code, not the server) and collects its output.
command_result run_command(const std::string& command);

// SQLite file or PostgreSQL from BOXOFFICE_TEST_PG_URL, emptied first.
std::string fresh_database(const std::string& backend_name, const std::string& sqlite_path);

} // namespace boxoffice::e2e
