// A real boxoffice server for HTTP tests: started on a fresh database (SQLite
// or the PostgreSQL of BOXOFFICE_TEST_PG_URL) with an admin account, reached
// over HTTP with libcurl. Helpers sign up customers and set up events through
// the API itself, as a client would.
#pragma once

#include "tests/e2e/server_process.h"
#include "tests/support/http_client.h"

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace boxoffice::e2e {

using nlohmann::json;

inline const std::string admin_email = "admin@e2e.test";
inline const std::string admin_password = "admin-password-e2e";

// The backends every HTTP test runs on; PostgreSQL only when configured
// (fresh_database fails the test when it is not, unless explicitly allowed).
std::vector<std::string> test_backends();

class api_server {
public:
  // `settings`: extra BOXOFFICE_* overrides. The log goes to a file in the
  // temp directory named after `name`. Waits until /v1/ready is 200.
  // An empty database URL (PostgreSQL skipped on purpose) leaves it stopped:
  // check started(). The server's stderr goes to `err_path` if given.
  api_server(const std::string& backend, const std::string& name,
             const std::map<std::string, std::string>& settings = {},
             const std::string& err_path = {});

  // Another server on the database of `first` (a second cluster node):
  // the database is not reset.
  api_server(const api_server& first, const std::string& name,
             const std::map<std::string, std::string>& settings);

  bool started() const { return process_ != nullptr; }
  // A new server process on the same database, log and settings (with
  // `extra` on top, for this process only), once the previous one has ended;
  // waits until it is ready.
  void restart(const std::map<std::string, std::string>& extra = {});
  const std::string& database_url() const { return database_url_; }
  const std::string& log_path() const { return log_path_; }
  server_process& process() { return *process_; }
  std::string url(const std::string& path) const { return process_->base_url() + path; }

  // One request; token adds Authorization: Bearer. Body as given (raw).
  test::reply call(const std::string& method, const std::string& path,
                   const std::string& body = "", const std::string& token = "",
                   const std::map<std::string, std::string>& headers = {});
  test::reply call_json(const std::string& method, const std::string& path, const json& body,
                   const std::string& token = "",
                   const std::map<std::string, std::string>& headers = {});

  // Login; returns the whole 200 body (access_token, refresh_token, ...).
  json login(const std::string& email, const std::string& password);
  std::string admin_token();
  // Signs up a new customer (unique email from `who`) and logs in: access token.
  std::string customer_token(const std::string& who);

  // An event on sale with the given sections (each an object as POST
  // .../sections takes); returns the event id.
  uint64_t create_event(const std::string& title, const std::vector<json>& sections,
                        bool on_sale = true);

private:
  void start(const std::map<std::string, std::string>& settings);

  std::string database_url_;
  std::string log_path_;
  std::map<std::string, std::string> settings_;
  std::string err_path_;
  std::unique_ptr<server_process> process_;
  test::client http_;
  std::string admin_token_;
};

} // namespace boxoffice::e2e
