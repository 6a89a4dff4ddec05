#include "tests/e2e/api_fixture.h"

#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <filesystem>

namespace boxoffice::e2e {

std::vector<std::string> test_backends() {
  return {"sqlite", "postgresql"};
}

api_server::api_server(const std::string& backend, const std::string& name,
                       const std::map<std::string, std::string>& settings,
                       const std::string& err_path)
    : err_path_(err_path) {
  auto dir = std::filesystem::temp_directory_path();
  log_path_ = (dir / ("boxoffice-" + name + "-" + backend + ".log")).string();
  std::filesystem::remove(log_path_);
  database_url_ = fresh_database(backend, (dir / ("boxoffice-" + name + ".db")).string());
  if (database_url_.empty())
    return;
  start(settings);
}

void api_server::start(const std::map<std::string, std::string>& settings) {
  settings_ = settings;
  settings_.emplace("BOXOFFICE_AUTH_ADMIN_EMAIL", admin_email);
  settings_.emplace("BOXOFFICE_AUTH_ADMIN_PASSWORD", admin_password);
  process_ = std::make_unique<server_process>(database_url_, log_path_, settings_,
                                              std::vector<std::string>{}, err_path_);
  process_->wait_ready();
}

api_server::api_server(const api_server& first, const std::string& name,
                       const std::map<std::string, std::string>& settings)
    : database_url_(first.database_url_) {
  log_path_ = (std::filesystem::temp_directory_path() / ("boxoffice-" + name + ".log")).string();
  std::filesystem::remove(log_path_);
  start(settings);
}

void api_server::restart(const std::map<std::string, std::string>& extra) {
  auto settings = extra;  // extra wins over the server's own settings
  settings.insert(settings_.begin(), settings_.end());
  process_ = std::make_unique<server_process>(database_url_, log_path_, settings,
                                              std::vector<std::string>{}, err_path_);
  process_->wait_ready();
  admin_token_.clear();
}

test::reply api_server::call(const std::string& method, const std::string& path,
                             const std::string& body, const std::string& token,
                             const std::map<std::string, std::string>& headers) {
  auto all = headers;
  if (!token.empty())
    all.emplace("Authorization", "Bearer " + token);
  return http_.send(method, url(path), body, all);
}

test::reply api_server::call_json(const std::string& method, const std::string& path,
                                  const json& body,
                             const std::string& token,
                             const std::map<std::string, std::string>& headers) {
  return call(method, path, body.dump(), token, headers);
}

json api_server::login(const std::string& email, const std::string& password) {
  auto r = call_json("POST", "/v1/auth/login", json{{"email", email}, {"password", password}});
  BOOST_REQUIRE_MESSAGE(r.status == 200, "login " << email << ": " << r.status << " " << r.body);
  return json::parse(r.body);
}

std::string api_server::admin_token() {
  if (admin_token_.empty())
    admin_token_ = login(admin_email, admin_password)["access_token"].get<std::string>();
  return admin_token_;
}

std::string api_server::customer_token(const std::string& who) {
  auto email = who + "@customers.e2e.test";
  std::string password = "password-of-" + who;
  auto r = call_json("POST", "/v1/auth/signup", json{{"email", email}, {"password", password}});
  BOOST_REQUIRE_MESSAGE(r.status == 201, "signup " << email << ": " << r.status << " " << r.body);
  return login(email, password)["access_token"].get<std::string>();
}

uint64_t api_server::create_event(const std::string& title, const std::vector<json>& sections,
                                  bool on_sale) {
  auto admin = admin_token();
  auto r = call_json("POST", "/v1/events",
                json{{"title", title}, {"venue", "Test Hall"}, {"starts_at", "2030-01-01T20:00:00Z"}},
                admin);
  BOOST_REQUIRE_MESSAGE(r.status == 201, "create event: " << r.status << " " << r.body);
  auto id = json::parse(r.body)["id"].get<uint64_t>();
  for (const auto& section : sections) {
    auto s = call_json("POST", "/v1/events/" + std::to_string(id) + "/sections", section, admin);
    BOOST_REQUIRE_MESSAGE(s.status == 201, "add section: " << s.status << " " << s.body);
  }
  if (on_sale) {
    auto p = call_json("PATCH", "/v1/events/" + std::to_string(id), json{{"status", "on_sale"}}, admin);
    BOOST_REQUIRE_MESSAGE(p.status == 200, "on sale: " << p.status << " " << p.body);
  }
  return id;
}

} // namespace boxoffice::e2e
