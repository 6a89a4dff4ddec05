#include "tests/e2e/server_process.h"

#include "persistence/database.h"
#include "tests/support/http_client.h"

#include <soci/session.h>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace boxoffice::e2e {

uint16_t free_port() {
  std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto port = static_cast<uint16_t>(pick(rng));
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (free)
      return port;
  }
  throw std::runtime_error("no free port");
}

pid_t spawn_process(std::vector<std::string> argv, const std::string& out_path,
                    const std::string& err_path, std::vector<std::string>* env) {
  auto pointers = [](std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings)
      out.push_back(s.data());
    out.push_back(nullptr);
    return out;
  };
  auto args = pointers(argv);
  std::vector<char*> envp;
  if (env)
    envp = pointers(*env);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (err_path.empty())
    posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  else
    posix_spawn_file_actions_addopen(&files, STDERR_FILENO, err_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
  pid_t pid = -1;
  auto rc = posix_spawn(&pid, args[0], &files, nullptr, args.data(),
                        env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&files);
  if (rc != 0)
    throw std::runtime_error("cannot start " + argv[0]);
  return pid;
}

server_process::server_process(const std::string& database_url, const std::string& log_path,
                               const std::map<std::string, std::string>& settings,
                               const std::vector<std::string>& serve_args,
                               const std::string& err_path)
  : port_(free_port()), http_port_(free_port()), log_path_(log_path) {
  // Each pick is free when picked, so two picks can be the same port (CI
  // once drew it: the HTTP bind then failed on the node port).
  while (http_port_ == port_)
    http_port_ = free_port();
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::string_view{*e}.rfind("BOXOFFICE_", 0) != 0)
      env.emplace_back(*e);
  env.push_back("BOXOFFICE_CLUSTER_LISTEN_PORT=" + std::to_string(port_));
  env.push_back("BOXOFFICE_HTTP_PORT=" + std::to_string(http_port_));
  std::map<std::string, std::string> all{
    {"BOXOFFICE_DATABASE_URL", database_url},
    {"BOXOFFICE_AUTH_JWT_SECRET", test_jwt_secret},
    {"BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS", "1"},
    {"BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB", "8"},
    {"BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN", "0"},
    {"BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN", "0"},
  };
  for (const auto& [name, value] : settings)
    all[name] = value;
  for (const auto& [name, value] : all)
    env.push_back(name + "=" + value);
  std::vector<std::string> argv{BOXOFFICE_BINARY, "serve"};
  argv.insert(argv.end(), serve_args.begin(), serve_args.end());
  pid_ = spawn_process(argv, log_path, err_path, &env);
}

namespace {

// The last `lines` lines of a file, for a failure message.
std::string tail_of(const std::string& path, size_t lines) {
  std::ifstream in{path};
  std::deque<std::string> last;
  for (std::string line; std::getline(in, line);) {
    last.push_back(std::move(line));
    if (last.size() > lines)
      last.pop_front();
  }
  std::string out;
  for (const auto& line : last)
    out += line + "\n";
  return out;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit status " + std::to_string(WEXITSTATUS(status));
}

} // namespace

server_process::~server_process() {
  if (!running())
    return;
  // A server that ended while the test still counted on it crashed (or a
  // sanitizer stopped it): say so with the end of its log, which lives in a
  // temp file that CI does not keep.
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    BOOST_ERROR("the server ended on its own (" << describe_status(status) << "); the end of "
                << log_path_ << ":\n" << tail_of(log_path_, 80));
    return;
  }
  kill_now();
}

directory_actor server_process::connect(caf::actor_system& sys) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    auto dir = sys.middleman().remote_actor<directory_actor>("127.0.0.1", port_);
    if (dir)
      return *dir;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the server exited at start; see " + log_path_);
    }
    // Test code waiting for a child process to open its port, not an actor.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("the server's node port did not open; see " + log_path_);
}

void server_process::wait_ready() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  test::client http;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (http.send("GET", base_url() + "/v1/ready").status == 200)
        return;
    } catch (const std::runtime_error&) {
      // not listening yet
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the server exited at start; see " + log_path_);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  throw std::runtime_error("the server did not become ready; see " + log_path_);
}

std::string server_process::base_url() const {
  return "http://127.0.0.1:" + std::to_string(http_port_);
}

void server_process::kill_now() {
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

int server_process::stop() {
  ::kill(pid_, SIGTERM);
  // Bounded: a server that hangs on SIGTERM fails the test (with its log)
  // instead of stalling the whole suite until CI's own limit kills it.
  if (auto status = wait_exit(std::chrono::seconds(30)))
    return *status;
  BOOST_ERROR("the server did not exit within 30 s of SIGTERM; the end of " << log_path_
              << ":\n" << tail_of(log_path_, 80));
  kill_now();
  return -1;
}

void server_process::send_signal(int signal) {
  ::kill(pid_, signal);
}

std::optional<int> server_process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

command_result run_command(const std::string& command) {
  command_result r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe)
    throw std::runtime_error("cannot run " + command);
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    r.output.append(buf, n);
  int status = ::pclose(pipe);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string fresh_database(const std::string& backend_name, const std::string& sqlite_path) {
  if (backend_name == "sqlite") {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(sqlite_path + suffix);
    return "sqlite://" + sqlite_path;
  }
  const char* url = std::getenv("BOXOFFICE_TEST_PG_URL");
  if (!url) {
    const char* allow = std::getenv("BOXOFFICE_TEST_ALLOW_NO_PG");
    if (allow && std::string{allow} == "1")
      return {};
    BOOST_FAIL("BOXOFFICE_TEST_PG_URL is not set: run through tools/with-postgres.sh, or set "
               "BOXOFFICE_TEST_ALLOW_NO_PG=1 to skip PostgreSQL on purpose");
  }
  auto sql = open_session(url);
  execute_sql(*sql, "drop schema public cascade");
  execute_sql(*sql, "create schema public");
  return url;
}

} // namespace boxoffice::e2e
