// What an operator sees of the real binary: /metrics (valid for promtool,
// counting what a flow did), the JSON log (a line per request with its id,
// no secrets), /v1/ready following the database, and the command line
// (--help, --print-config, one-line config errors).
#include "tests/e2e/api_checks.h"
#include "tests/e2e/tcp_proxy.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

const json stalls = json{{"name", "Stalls"}, {"kind", "reserved"}, {"rows", 2},
                         {"seats_per_row", 10}, {"price_cents", 2500}};

// The value of one series of a /metrics text ("name{a=\"b\"}"), 0 if absent.
double sample(const std::string& metrics, const std::string& series) {
  std::istringstream in{metrics};
  std::string line;
  while (std::getline(in, line))
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  return 0;
}

command_result run(const std::string& command) {
  return run_command(command);
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

const std::string binary = BOXOFFICE_BINARY;

} // namespace

BOOST_AUTO_TEST_SUITE(operability)

BOOST_AUTO_TEST_CASE(metrics_pass_promtool_and_count_what_a_flow_did) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "metrics"};
      if (!server.started())
        continue;
      auto event = server.create_event("Metrics", {stalls});
      auto customer = server.customer_token("metrics");
      auto before = server.call("GET", "/metrics").body;
      auto a = expect_json(server.call_json("POST", event_path(event) + "/holds",
                                            {{"section_id", 1}, {"seats", {"A-1", "A-2"}}},
                                            customer),
                           201);
      auto b = expect_json(server.call_json("POST", event_path(event) + "/holds",
                                            {{"section_id", 1}, {"quantity", 1}}, customer),
                           201);
      BOOST_TEST(server.call("DELETE", "/v1/holds/" + b["id"].get<std::string>(), "", customer)
                   .status == 200);
      auto hold = a["id"].get<std::string>();
      BOOST_TEST(server.call("POST", "/v1/holds/" + hold + "/purchase", "", customer).status
                 == 201);
      BOOST_TEST(server.call("POST", "/v1/orders/" + hold + "/cancel", "", customer).status
                 == 200);
      check_problem(server.call("GET", "/v1/holds/x-y", "", customer), 404, "hold_not_found");

      auto reply = server.call("GET", "/metrics");
      BOOST_TEST(reply.status == 200);
      BOOST_TEST(reply.headers["content-type"].rfind("text/plain; version=0.0.4", 0) == 0);
      auto after = reply.body;
      auto moved = [&](const std::string& series) {
        return sample(after, series) - sample(before, series);
      };
      const std::string holds_route =
        R"(boxoffice_http_requests_total{method="POST",route="/v1/events/:event_id/holds",)";
      BOOST_TEST(moved(holds_route + R"(status="201"})") == 2);
      BOOST_TEST(moved(R"(boxoffice_reservations_total{outcome="held"})") == 2);
      BOOST_TEST(moved(R"(boxoffice_reservations_total{outcome="released"})") == 1);
      BOOST_TEST(moved(R"(boxoffice_reservations_total{outcome="purchased"})") == 1);
      BOOST_TEST(moved(R"(boxoffice_reservations_total{outcome="cancelled"})") == 1);
      auto seats = [&](const char* state) {
        return sample(after, "boxoffice_seats{event=\"" + std::to_string(event)
                               + "\",section=\"1\",state=\"" + state + "\"}");
      };
      BOOST_TEST(seats("free") == 20);
      BOOST_TEST(seats("held") == 0);
      BOOST_TEST(seats("sold") == 0);
      BOOST_TEST(moved("boxoffice_journal_commit_duration_seconds_count") >= 4);
      BOOST_TEST(sample(after, "process_resident_memory_bytes") > 0);
      BOOST_TEST(after.find("boxoffice_actor_mailbox_depth_bucket") != std::string::npos);

      auto file = server.log_path() + ".metrics";
      std::ofstream{file} << after;
      auto check = run("promtool check metrics < " + file);
      BOOST_TEST(check.status == 0, "promtool check metrics: " << check.output);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_log_is_json_lines_with_a_request_line_and_no_secrets) {
  api_server server{"sqlite", "logs"};
  auto event = server.create_event("Logs", {stalls});
  const std::string password = "a-customer-password-in-logs";
  BOOST_TEST(server.call_json("POST", "/v1/auth/signup",
                              {{"email", "logs@e2e.test"}, {"password", password}})
               .status == 201);
  auto login = server.login("logs@e2e.test", password);
  auto token = login["access_token"].get<std::string>();
  auto refresh = login["refresh_token"].get<std::string>();
  auto held = server.call_json("POST", event_path(event) + "/holds",
                               {{"section_id", 1}, {"seats", {"B-3"}}}, token);
  BOOST_TEST_REQUIRE(held.status == 201);
  auto id = held.headers["x-request-id"];
  server.process().stop();

  auto log = read_file(server.log_path());
  BOOST_TEST(log.find(password) == std::string::npos);
  BOOST_TEST(log.find(token) == std::string::npos);
  BOOST_TEST(log.find(refresh) == std::string::npos);
  BOOST_TEST(log.find(admin_password) == std::string::npos);
  std::istringstream lines{log};
  std::string line;
  int requests = 0;
  bool found = false;
  while (std::getline(lines, line)) {
    auto j = json::parse(line, nullptr, false);
    BOOST_TEST_REQUIRE(j.is_object(), "not a JSON line: " << line);
    BOOST_TEST(j.contains("time"));
    BOOST_TEST(j.contains("level"));
    BOOST_TEST(j.contains("msg"));
    if (j["msg"] != "request")
      continue;
    ++requests;
    BOOST_TEST(j.contains("route"));
    BOOST_TEST(j.contains("duration_ms"));
    if (j.value("request_id", "") == id) {
      found = true;
      BOOST_TEST(j["route"] == "/v1/events/:event_id/holds");
      BOOST_TEST(j["path"] == event_path(event) + "/holds");
      BOOST_TEST(j["status"] == 201);
      BOOST_TEST(j["method"] == "POST");
      BOOST_TEST(j["created"] == held.headers["location"]);  // the new hold's id
    }
  }
  BOOST_TEST(found, "no request line with id " << id);
  BOOST_TEST(requests >= 5);  // ready, login x2, create event, section, status, signup, hold
}

// The log is written in batches (telemetry/logging.cpp), but a batch ends
// when the queue is drained: a request's line is in the file while the
// server runs on, idle, not only once it stops.
BOOST_AUTO_TEST_CASE(a_request_line_is_written_while_the_server_runs) {
  api_server server{"sqlite", "log-batches"};
  auto health = server.call("GET", "/v1/health");
  BOOST_TEST_REQUIRE(health.status == 200);
  auto id = health.headers["x-request-id"];
  BOOST_TEST_REQUIRE(!id.empty());
  bool found = false;
  for (int i = 0; i < 100 && !found; ++i) {
    found = read_file(server.log_path()).find("\"request_id\":\"" + id + "\"") != std::string::npos;
    if (!found)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  BOOST_TEST(found, "no line for request " << id << " within 2 s");
  BOOST_TEST(server.process().running());
}

// PostgreSQL behind a proxy the test can cut: ready answers 503 with the
// reason while the database is gone, 200 again once it is back. (SQLite is
// a file inside the process: there is no database to lose.)
BOOST_AUTO_TEST_CASE(ready_follows_the_database) {
  auto url = fresh_database("postgresql", "");
  if (url.empty())
    return;
  std::smatch m;
  BOOST_REQUIRE(std::regex_search(url, m, std::regex{R"(^(.*@127\.0\.0\.1:)(\d+)(/.*)$)"}));
  tcp_proxy proxy{static_cast<uint16_t>(std::stoi(m[2]))};
  api_server server{"postgresql", "ready",
                    {{"BOXOFFICE_DATABASE_URL",
                      std::string(m[1]) + std::to_string(proxy.port()) + std::string(m[3])}}};
  BOOST_TEST(server.call("GET", "/v1/ready").status == 200);
  proxy.cut();
  auto down = server.call("GET", "/v1/ready");
  check_problem(down, 503, "not_ready");
  BOOST_TEST(json::parse(down.body)["detail"].get<std::string>().find("database")
             != std::string::npos);
  BOOST_TEST(server.call("GET", "/v1/health").status == 200);  // alive all the same
  proxy.restore();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  long status = 0;
  while ((status = server.call("GET", "/v1/ready").status) != 200 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  BOOST_TEST(status == 200);
}

// Behind a trusted proxy the client is the address it forwards: the login
// rate limit counts per client, not per proxy. From any other peer the
// header is ignored, so a client cannot pick its own address.
BOOST_AUTO_TEST_CASE(trusted_proxies_name_the_client) {
  auto login_from = [](api_server& server, const std::string& forwarded) {
    return server.call_json("POST", "/v1/auth/login",
                            {{"email", "nobody@e2e.test"}, {"password", "wrong-password"}}, "",
                            {{"X-Forwarded-For", forwarded}})
      .status;
  };
  const std::map<std::string, std::string> limited{
    {"BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN", "2"},
    {"BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN", "0"}};
  {
    auto settings = limited;
    settings["BOXOFFICE_HTTP_TRUSTED_PROXIES"] = "127.0.0.1";
    api_server server{"sqlite", "proxied", settings};
    BOOST_TEST(login_from(server, "10.0.0.1") == 401);
    BOOST_TEST(login_from(server, "192.0.2.7, 10.0.0.1") == 401);
    BOOST_TEST(login_from(server, "10.0.0.1") == 429);
    BOOST_TEST(login_from(server, "10.0.0.2") == 401);  // another client
    server.process().stop();
    auto log = read_file(server.log_path());
    BOOST_TEST(log.find(R"("client":"10.0.0.2")") != std::string::npos);
  }
  {
    api_server server{"sqlite", "unproxied", limited};
    BOOST_TEST(login_from(server, "10.0.0.1") == 401);
    BOOST_TEST(login_from(server, "10.0.0.2") == 401);
    BOOST_TEST(login_from(server, "10.0.0.3") == 429);  // all one peer: 127.0.0.1
  }
}

BOOST_AUTO_TEST_CASE(every_subcommand_has_help) {
  auto top = run(binary + " --help");
  BOOST_TEST(top.status == 0);
  const char* subcommands[] = {"serve", "migrate", "create-admin", "remove-demo-accounts",
                               "backup"};
  for (const char* sub : subcommands)
    BOOST_TEST(top.output.find(sub) != std::string::npos);
  for (const char* sub : subcommands) {
    auto help = run(binary + " " + sub + " --help");
    BOOST_TEST(help.status == 0, sub);
    BOOST_TEST(help.output.find("--config") != std::string::npos, sub);
  }
  BOOST_TEST(run(binary + " serve --help").output.find("--print-config") != std::string::npos);
  BOOST_TEST(run(binary + " create-admin --help").output.find("--email") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(print_config_shows_effective_values_with_secrets_masked) {
  auto dir = std::filesystem::temp_directory_path() / "boxoffice-print-config.yaml";
  std::ofstream{dir} << "http:\n  port: 9123\n";
  auto r = run("BOXOFFICE_AUTH_JWT_SECRET=jwt-secret-that-must-not-show-0123456789 "
               "BOXOFFICE_DATABASE_URL=postgresql://u:db-pass-hidden@127.0.0.1:5/x "
               "BOXOFFICE_HTTP_THREADS=3 " + binary + " serve --print-config --config "
               + dir.string());
  BOOST_TEST(r.status == 0, r.output);
  BOOST_TEST(r.output.find("port: 9123") != std::string::npos);  // from the file
  BOOST_TEST(r.output.find("threads: 3") != std::string::npos);  // from the environment
  BOOST_TEST(r.output.find("jwt-secret-that-must-not-show") == std::string::npos);
  BOOST_TEST(r.output.find("db-pass-hidden") == std::string::npos);
  BOOST_TEST(r.output.find("postgresql://u:***@127.0.0.1:5/x") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_key_or_value_stops_the_start_with_one_line) {
  auto bad_value = run("BOXOFFICE_HTTP_PORT=99999 " + binary + " serve");
  BOOST_TEST(bad_value.status == 2);
  BOOST_TEST(std::count(bad_value.output.begin(), bad_value.output.end(), '\n') == 1,
             bad_value.output);
  BOOST_TEST(bad_value.output.find("http.port") != std::string::npos);
  BOOST_TEST(bad_value.output.find("allowed 1..65535") != std::string::npos);

  auto file = std::filesystem::temp_directory_path() / "boxoffice-bad-key.yaml";
  std::ofstream{file} << "http:\n  prot: 80\n";
  auto bad_key = run(binary + " serve --config " + file.string());
  BOOST_TEST(bad_key.status == 2);
  BOOST_TEST(std::count(bad_key.output.begin(), bad_key.output.end(), '\n') == 1, bad_key.output);
  BOOST_TEST(bad_key.output.find("http.prot") != std::string::npos);

  auto bad_format = run("BOXOFFICE_LOG_FORMAT=xml " + binary + " serve");
  BOOST_TEST(bad_format.status == 2);
  BOOST_TEST(bad_format.output.find("log.format") != std::string::npos, bad_format.output);
}

BOOST_AUTO_TEST_SUITE_END()
