// The files of deploy/ tried for real. Debian's nginx runs deploy/nginx.conf
// in front of the real server on loopback: a customer's flow goes through
// it, boxoffice's answers (problem+json errors, Allow, Location, request
// ids) arrive as boxoffice sent them, and nginx's own 413 is boxoffice's
// problem byte for byte. systemd-analyze checks deploy/boxoffice.service.
#include "tests/e2e/nginx_process.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
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

using nginx::deploy_dir;
using nginx::read_text;
using nginx::reap_within;
using nginx::temp_dir;
const fs::path systemd_analyze_binary = "/usr/bin/systemd-analyze";

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

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
  if (!fs::exists(nginx::binary)) {
    BOOST_TEST_MESSAGE("SKIPPED deploy/nginx.conf: " << nginx::binary
                       << " is not installed (tools/install-deps.sh installs it)");
    return;
  }
  api_server server{"sqlite", "deploy", {{"BOXOFFICE_HTTP_TRUSTED_PROXIES", "127.0.0.1"}}};
  BOOST_TEST_REQUIRE(server.started());
  const auto event = server.create_event("Proxied Night", {floor_section});
  temp_dir dir("boxoffice-deploy-nginx");
  nginx::process nginx(server.process().http_port(), dir.path);
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
