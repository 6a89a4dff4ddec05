// deploy/nginx.conf run for real in front of a test's server: Debian's
// nginx with the file's placeholders filled in, on a free loopback port,
// its pid file, logs and temp files in a directory of the test's own.
// Header-only, for the e2e suites that go through the proxy.
#pragma once

#include "tests/e2e/api_checks.h"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <sys/wait.h>
#include <unistd.h>

namespace boxoffice::e2e {

namespace nginx {

namespace fs = std::filesystem;

// From the source tree, wherever the test runs (__FILE__ is relative to the
// build directory).
inline const fs::path deploy_dir = fs::path(BOXOFFICE_SOURCE_DIR) / "deploy";
inline const fs::path binary = "/usr/sbin/nginx";

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `text` with every `placeholder` replaced; each must occur at least once.
inline std::string fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [placeholder, value] : values) {
    auto at = text.find(placeholder);
    if (at == std::string::npos)
      throw std::runtime_error("deploy/nginx.conf has no " + placeholder);
    for (; at != std::string::npos; at = text.find(placeholder, at + value.size()))
      text.replace(at, placeholder.size(), value);
  }
  std::smatch left;
  if (std::regex_search(text, left, std::regex("@[A-Z_]+@")))
    throw std::runtime_error("deploy/nginx.conf has an unfilled " + left.str());
  return text;
}

// A fresh directory under the temp directory, removed at the end.
struct temp_dir {
  fs::path path;
  explicit temp_dir(const std::string& name)
      : path(fs::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
};

// Waits for `pid` to end, at most `seconds`, then kills it. Returns its exit
// status, or -1 if it was killed.
inline int reap_within(pid_t pid, int seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `nginx -c` on deploy/nginx.conf, proxying to `upstream_port`, in the
// foreground as a child of the test; stopped (SIGTERM, so the master stops
// its workers, which SIGKILL would leave holding the port) at the end.
class process {
public:
  process(uint16_t upstream_port, const fs::path& dir) : port_(free_port()), dir_(dir) {
    const auto config = dir / "nginx.conf";
    std::ofstream(config, std::ios::binary)
      << fill(read_text(deploy_dir / "nginx.conf"),
              {{"@LISTEN@", "127.0.0.1:" + std::to_string(port_)},
               {"@UPSTREAM_PORT@", std::to_string(upstream_port)},
               {"@RUNTIME_DIR@", dir.string()}});
    // -e: errors before the config is read go to `dir` too, not /var/log.
    pid_ = spawn_process({binary.string(), "-c", config.string(), "-e",
                          (dir / "error.log").string(), "-g", "daemon off;"},
                         (dir / "stdout.log").string());
  }
  ~process() {
    if (pid_ > 0)
      stop(SIGTERM);
  }
  process(const process&) = delete;
  process& operator=(const process&) = delete;

  uint16_t port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  fs::path access_log() const { return dir_ / "access.log"; }

  // SIGQUIT: a graceful stop, as `nginx -s quit`; SIGKILL after 10 s.
  // Returns the exit status (-1 when killed).
  int stop(int signal = SIGQUIT) {
    ::kill(pid_, signal);
    const int status = reap_within(pid_, 10);
    pid_ = -1;
    return status;
  }

  // Waits (up to 10 s) until GET /v1/health through nginx answers 200.
  void wait_answering() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    test::client http;
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        if (http.send("GET", base_url() + "/v1/health").status == 200)
          return;
      } catch (const std::runtime_error&) {
        // not listening yet
      }
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("nginx exited at start: " + errors());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("nginx did not answer: " + errors());
  }

  std::string errors() const {
    return read_text(dir_ / "stdout.log") + read_text(dir_ / "error.log");
  }

private:
  pid_t pid_ = -1;
  uint16_t port_;
  fs::path dir_;
};

} // namespace nginx

} // namespace boxoffice::e2e
