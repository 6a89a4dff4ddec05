// The files of deploy/ tried for real. Debian's nginx runs deploy/nginx.conf
// in front of the real server on loopback: a customer's flow goes through
// it, boxoffice's answers (problem+json errors, Allow, Location, request
// ids) arrive as boxoffice sent them, and nginx's own 413 is boxoffice's
// problem byte for byte. systemd-analyze checks deploy/boxoffice.service.
#include "tests/e2e/api_checks.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace boxoffice;
using namespace boxoffice::e2e;
namespace fs = std::filesystem;

namespace {

const fs::path deploy_dir = fs::path(__FILE__).parent_path().parent_path().parent_path() / "deploy";
const fs::path nginx_binary = "/usr/sbin/nginx";
const fs::path systemd_analyze_binary = "/usr/bin/systemd-analyze";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// `text` with every `placeholder` replaced; each must occur at least once.
std::string fill(std::string text, const std::map<std::string, std::string>& values) {
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
int reap_within(pid_t pid, int seconds) {
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

// `nginx -c` on deploy/nginx.conf with its placeholders filled in: listening
// on a free loopback port, proxying to `upstream_port`, its pid file, logs
// and temp files in `dir`. In the foreground, as a child of the test.
class nginx_process {
public:
  nginx_process(uint16_t upstream_port, const fs::path& dir)
      : port_(free_port()), dir_(dir) {
    const auto config = dir / "nginx.conf";
    write_text(config, fill(read_text(deploy_dir / "nginx.conf"),
                            {{"@LISTEN@", "127.0.0.1:" + std::to_string(port_)},
                             {"@UPSTREAM_PORT@", std::to_string(upstream_port)},
                             {"@RUNTIME_DIR@", dir.string()}}));
    // -e: errors before the config is read go to `dir` too, not /var/log.
    pid_ = spawn_process({nginx_binary.string(), "-c", config.string(), "-e",
                          (dir / "error.log").string(), "-g", "daemon off;"},
                         (dir / "stdout.log").string());
  }

  // A fast stop (SIGTERM): the master stops its workers before it exits,
  // which SIGKILL would leave behind holding the port.
  ~nginx_process() {
    if (pid_ > 0)
      stop(SIGTERM);
  }

  nginx_process(const nginx_process&) = delete;
  nginx_process& operator=(const nginx_process&) = delete;

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  fs::path access_log() const { return dir_ / "access.log"; }

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
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("nginx exited at start: " + errors());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("nginx did not answer: " + errors());
  }

  // SIGQUIT: a graceful stop, as `nginx -s quit`; SIGKILL after 10 s.
  // Returns the exit status (-1 when killed).
  int stop(int signal = SIGQUIT) {
    ::kill(pid_, signal);
    const int status = reap_within(pid_, 10);
    pid_ = -1;
    return status;
  }

  std::string errors() const {
    return read_text(dir_ / "stdout.log") + read_text(dir_ / "error.log");
  }

private:
  pid_t pid_ = -1;
  uint16_t port_;
  fs::path dir_;
};

const json floor_section = json{{"name", "Floor"}, {"kind", "reserved"}, {"rows", 2},
                                {"seats_per_row", 10}, {"price_cents", 4000}};

std::string header(const test::reply& r, const std::string& name) {
  const auto found = r.headers.find(name);
  return found == r.headers.end() ? "" : found->second;
}

// Every answer through nginx carries boxoffice's X-Request-Id.
test::reply checked(const test::reply& r) {
  BOOST_TEST(!header(r, "x-request-id").empty(),
             "no X-Request-Id on " << r.status << " " << r.body);
  return r;
}

// A customer through nginx: signup, login, hold, purchase (and its
// Idempotency-Key replay), orders. Returns the access token.
std::string customer_flow(test::client& proxy, const std::string& base, uint64_t event) {
  expect_json(checked(proxy.send("GET", base + "/v1/health")), 200);
  json account{{"email", "proxied@customers.e2e.test"}, {"password", "password-of-proxied"}};
  expect_json(checked(proxy.send("POST", base + "/v1/auth/signup", account.dump())), 201);
  auto login =
      expect_json(checked(proxy.send("POST", base + "/v1/auth/login", account.dump())), 200);
  const auto token = login["access_token"].get<std::string>();
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};

  auto held = checked(proxy.send("POST", base + event_path(event) + "/holds",
                                 json{{"section_id", 1}, {"seats", {"A-1", "A-2"}}}.dump(), auth));
  auto hold = expect_json(held, 201);
  const auto hold_id = hold["id"].get<std::string>();
  BOOST_TEST(header(held, "location") == "/v1/holds/" + hold_id);

  auto keyed = auth;
  keyed.emplace("Idempotency-Key", "deploy-purchase-1");
  const auto purchase_url = base + "/v1/holds/" + hold_id + "/purchase";
  auto bought = checked(proxy.send("POST", purchase_url, "", keyed));
  auto order = expect_json(bought, 201);
  BOOST_TEST(order["status"] == "confirmed");
  auto again = checked(proxy.send("POST", purchase_url, "", keyed));
  BOOST_TEST(again.status == 201);
  BOOST_TEST(again.body == bought.body);

  auto orders = expect_json(checked(proxy.send("GET", base + "/v1/orders", "", auth)), 200);
  BOOST_TEST(orders.dump().find(order["id"].get<std::string>()) != std::string::npos,
             orders.dump());
  return token;
}

} // namespace

BOOST_AUTO_TEST_SUITE(deploy)

BOOST_AUTO_TEST_CASE(a_flow_through_nginx_arrives_as_boxoffice_sent_it) {
  if (!fs::exists(nginx_binary)) {
    BOOST_TEST_MESSAGE("SKIPPED deploy/nginx.conf: " << nginx_binary
                       << " is not installed (tools/install-deps.sh installs it)");
    return;
  }
  api_server server{"sqlite", "deploy", {{"BOXOFFICE_HTTP_TRUSTED_PROXIES", "127.0.0.1"}}};
  BOOST_TEST_REQUIRE(server.started());
  const auto event = server.create_event("Proxied Night", {floor_section});
  temp_dir dir("boxoffice-deploy-nginx");
  nginx_process nginx(server.process().http_port(), dir.path);
  nginx.wait_answering();
  const auto base = nginx.base_url();
  test::client proxy;

  const auto token = customer_flow(proxy, base, event);
  const std::map<std::string, std::string> auth{{"Authorization", "Bearer " + token}};

  // boxoffice's refusals, through nginx and straight, are the same bytes.
  const auto taken = json{{"section_id", 1}, {"seats", {"A-1"}}}.dump();
  auto proxied = checked(proxy.send("POST", base + event_path(event) + "/holds", taken, auth));
  check_problem(proxied, 409, "seat_unavailable");
  auto direct = server.call("POST", event_path(event) + "/holds", taken, token);
  BOOST_TEST(proxied.body == direct.body);
  auto not_allowed = checked(proxy.send("DELETE", base + "/v1/health"));
  check_problem(not_allowed, 405, "method_not_allowed");
  BOOST_TEST(header(not_allowed, "allow") == header(server.call("DELETE", "/v1/health"), "allow"));

  // A body over http.max_body_bytes: nginx answers, with boxoffice's problem.
  const std::string too_large(65537, ' ');
  auto by_nginx = proxy.send("POST", base + "/v1/auth/login", too_large);
  check_problem(by_nginx, 413, "body_too_large");
  BOOST_TEST(by_nginx.body == server.call("POST", "/v1/auth/login", too_large).body);

  // The client's request id reaches nginx's log beside boxoffice's own.
  auto traced =
      checked(proxy.send("GET", base + "/v1/health", "", {{"X-Request-Id", "deploy-trace-1"}}));
  BOOST_TEST(traced.status == 200);
  BOOST_TEST(nginx.stop() == 0, nginx.errors());
  const auto log = read_text(nginx.access_log());
  BOOST_TEST(log.find("id=deploy-trace-1 upstream_id=" + header(traced, "x-request-id") + "\n")
                 != std::string::npos,
             log);
}

// The unit as shipped, but for ExecStart, which names the binary of this
// build so that verify finds an executable.
BOOST_AUTO_TEST_CASE(the_systemd_unit_verifies) {
  if (!fs::exists(systemd_analyze_binary)) {
    BOOST_TEST_MESSAGE("SKIPPED deploy/boxoffice.service: " << systemd_analyze_binary
                       << " is not installed");
    return;
  }
  temp_dir dir("boxoffice-deploy-systemd");
  auto unit = read_text(deploy_dir / "boxoffice.service");
  const std::string exec = "ExecStart=/usr/local/bin/boxoffice ";
  const auto at = unit.find(exec);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  unit.replace(at, exec.size(), "ExecStart=" + std::string(BOXOFFICE_BINARY) + " ");
  write_text(dir.path / "boxoffice.service", unit);
  const auto log = dir.path / "verify.log";
  const int status = reap_within(
      spawn_process({systemd_analyze_binary.string(), "verify",
                     (dir.path / "boxoffice.service").string()},
                    log.string()),
      60);
  BOOST_TEST(status == 0, read_text(log));
  BOOST_TEST(read_text(log).empty(), read_text(log));
}

BOOST_AUTO_TEST_SUITE_END()
