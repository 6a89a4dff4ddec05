// Accounts against the real binary, on both backends: signup and login
// rules, refresh-token rotation with reuse detection, logout, secrets kept
// out of responses and the log, the create-admin subcommand and the refusal
// to serve without a proper signing key. Rate limits and access control:
// access_test.cpp.
#include "accounts/tokens.h"
#include "tests/e2e/api_fixture.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <csignal>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

std::string problem_code(const test::reply& r) {
  auto body = json::parse(r.body, nullptr, false);
  return body.is_object() && body.contains("code") && body["code"].is_string()
           ? body["code"].get<std::string>()
           : "(no code: " + r.body + ")";
}

test::reply signup(api_server& server, const std::string& email, const std::string& password) {
  return server.call_json("POST", "/v1/auth/signup",
                          json{{"email", email}, {"password", password}});
}

test::reply try_login(api_server& server, const std::string& email, const std::string& password) {
  return server.call_json("POST", "/v1/auth/login", json{{"email", email}, {"password", password}});
}

test::reply refresh(api_server& server, const std::string& refresh_token) {
  return server.call_json("POST", "/v1/auth/refresh", json{{"refresh_token", refresh_token}});
}

test::reply logout(api_server& server, const std::string& refresh_token) {
  return server.call_json("POST", "/v1/auth/logout", json{{"refresh_token", refresh_token}});
}

json me(api_server& server, const std::string& access_token) {
  auto r = server.call("GET", "/v1/me", "", access_token);
  BOOST_REQUIRE_MESSAGE(r.status == 200, "GET /v1/me: " << r.status << " " << r.body);
  return json::parse(r.body);
}

std::string read_text(const std::string& path) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// How a run of the binary ended: exit_code -1 when it was still running at
// the deadline (then killed) or died of a signal.
struct run_result {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs `boxoffice args...` with only the given BOXOFFICE_* settings (the
// test's own are left out), `input` on standard input, waiting at most
// deadline_s. Not server_process: that one does not keep the exit status.
run_result run_boxoffice(const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& settings,
                         const std::string& input, int deadline_s = 10) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e)
    if (std::string_view{*e}.rfind("BOXOFFICE_", 0) != 0)
      env.emplace_back(*e);
  for (const auto& [name, value] : settings)
    env.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> words{BOXOFFICE_BINARY};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);

  auto output_path = (std::filesystem::temp_directory_path()
                      / ("boxoffice-auth-run-" + std::to_string(::getpid()) + ".out"))
                       .string();
  std::filesystem::remove(output_path);
  int in[2];
  BOOST_REQUIRE(::pipe(in) == 0);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_adddup2(&files, in[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&files, in[0]);
  posix_spawn_file_actions_addclose(&files, in[1]);
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, output_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  auto rc = posix_spawn(&pid, argv[0], &files, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  ::close(in[0]);
  BOOST_REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0]);
  // A child that exits without reading may close the pipe first: no SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  BOOST_REQUIRE(::write(in[1], input.data(), input.size()) >= 0);
  ::close(in[1]);

  run_result result;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(deadline_s);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.output = read_text(output_path);
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  result.output = read_text(output_path);
  return result;
}

// Non-empty lines of `text`.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      out.push_back(line);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(auth_accounts)

BOOST_AUTO_TEST_CASE(signup_answers_the_account_and_refuses_bad_input) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "auth-signup"};
      if (!server.started())
        continue;
      const std::string password = "Casey-Signup-Pass-1";
      auto r = signup(server, "Casey@Signup.E2E.test", password);
      BOOST_TEST_REQUIRE(r.status == 201, r.body);
      auto body = json::parse(r.body);
      BOOST_TEST(body["id"].get<uint64_t>() > 0);
      BOOST_TEST(body["email"].get<std::string>() == "casey@signup.e2e.test");
      BOOST_TEST(body["role"].get<std::string>() == "customer");
      BOOST_TEST(!body.contains("password"));
      BOOST_TEST(!body.contains("password_hash"));
      BOOST_TEST(r.body.find(password) == std::string::npos, r.body);
      BOOST_TEST(r.body.find("argon2") == std::string::npos, r.body);

      for (const auto& again : {"casey@signup.e2e.test", "CASEY@signup.e2e.TEST",
                                "  casey@signup.e2e.test  ", "\tCasey@Signup.E2E.test\n"}) {
        BOOST_TEST_CONTEXT("duplicate '" << again << "'") {
          auto dup = signup(server, again, "another-password-2");
          BOOST_TEST(dup.status == 409, dup.body);
          BOOST_TEST(problem_code(dup) == "email_taken");
        }
      }
      for (const auto& email : {"not-an-email", "casey@", "@signup.e2e.test", "casey@localhost",
                                "ca sey@signup.e2e.test", "a@b@c.test", "   "}) {
        BOOST_TEST_CONTEXT("email '" << email << "'") {
          auto bad = signup(server, email, "long-enough-password");
          BOOST_TEST(bad.status == 422, bad.body);
          BOOST_TEST(problem_code(bad) == "invalid_email");
        }
      }
      // The minimum is 10 characters, not bytes: nine accented letters are short.
      for (const auto& weak : {"123456789", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                                                "\xC3\xA9\xC3\xA9\xC3\xA9"}) {
        BOOST_TEST_CONTEXT("password '" << weak << "'") {
          auto bad = signup(server, "weak@signup.e2e.test", weak);
          BOOST_TEST(bad.status == 422, bad.body);
          BOOST_TEST(problem_code(bad) == "weak_password");
        }
      }
      auto empty = signup(server, "weak@signup.e2e.test", "");
      BOOST_TEST(empty.status == 422, empty.body);
      BOOST_TEST(problem_code(empty) == "invalid_value");  // refused as a field, before the rules
      auto extra = server.call_json("POST", "/v1/auth/signup",
                                    json{{"email", "sneaky@signup.e2e.test"},
                                         {"password", "sneaky-password-3"},
                                         {"role", "admin"}});
      BOOST_TEST(extra.status == 400, extra.body);
      BOOST_TEST(problem_code(extra) == "invalid_field");

      // Nothing was created or overwritten by the refusals.
      BOOST_TEST(try_login(server, "casey@signup.e2e.test", "another-password-2").status == 401);
      BOOST_TEST(try_login(server, "casey@signup.e2e.test", password).status == 200);
      BOOST_TEST(try_login(server, "weak@signup.e2e.test", "123456789").status == 401);
      BOOST_TEST(try_login(server, "sneaky@signup.e2e.test", "sneaky-password-3").status == 401);
      auto boundary = signup(server, "ten@signup.e2e.test", "1234567890");
      BOOST_TEST(boundary.status == 201, boundary.body);
    }
  }
}

BOOST_AUTO_TEST_CASE(login_checks_credentials_and_issues_working_tokens) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "auth-login"};
      if (!server.started())
        continue;
      const std::string email = "dana@login.e2e.test";
      const std::string password = "Dana-Login-Pass-1";
      BOOST_TEST_REQUIRE(signup(server, email, password).status == 201);

      auto wrong = try_login(server, email, "Dana-Login-Pass-2");
      auto unknown = try_login(server, "nobody@login.e2e.test", password);
      BOOST_TEST(wrong.status == 401, wrong.body);
      BOOST_TEST(unknown.status == 401, unknown.body);
      BOOST_TEST(problem_code(wrong) == "invalid_credentials");
      // Nothing tells a wrong password from an unknown email.
      BOOST_TEST(wrong.body == unknown.body);

      auto tokens = server.login("  DANA@Login.e2e.test ", password);
      BOOST_TEST(tokens["token_type"].get<std::string>() == "Bearer");
      BOOST_TEST(tokens["expires_in"].get<int>() > 0);
      BOOST_TEST(!tokens["refresh_token"].get<std::string>().empty());
      BOOST_TEST(tokens["account"]["role"].get<std::string>() == "customer");
      auto who = me(server, tokens["access_token"].get<std::string>());
      BOOST_TEST(who["email"].get<std::string>() == email);
      BOOST_TEST(who["role"].get<std::string>() == "customer");
      BOOST_TEST(who["id"] == tokens["account"]["id"]);
      BOOST_TEST(!who.contains("password_hash"));

      auto admin = server.login(admin_email, admin_password);
      BOOST_TEST(admin["account"]["role"].get<std::string>() == "admin");
      auto boss = me(server, admin["access_token"].get<std::string>());
      BOOST_TEST(boss["role"].get<std::string>() == "admin");
      BOOST_TEST(boss["email"].get<std::string>() == admin_email);
    }
  }
}

BOOST_AUTO_TEST_CASE(refresh_rotates_and_a_reused_token_revokes_its_family) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "auth-refresh"};
      if (!server.started())
        continue;
      const std::string email = "erin@refresh.e2e.test";
      const std::string password = "Erin-Refresh-Pass-1";
      BOOST_TEST_REQUIRE(signup(server, email, password).status == 201);
      auto first = server.login(email, password);
      auto other = server.login(email, password);  // another device: another family
      auto r1 = first["refresh_token"].get<std::string>();

      auto rotated = refresh(server, r1);
      BOOST_TEST_REQUIRE(rotated.status == 200, rotated.body);
      auto second = json::parse(rotated.body);
      auto r2 = second["refresh_token"].get<std::string>();
      BOOST_TEST(r2 != r1);
      BOOST_TEST(me(server, second["access_token"].get<std::string>())["email"] == email);

      auto reused = refresh(server, r1);
      BOOST_TEST(reused.status == 401, reused.body);
      BOOST_TEST(problem_code(reused) == "refresh_token_reused");
      for (const auto& revoked : {r2, r1}) {
        auto r = refresh(server, revoked);
        BOOST_TEST(r.status == 401, r.body);
        BOOST_TEST(problem_code(r) == "invalid_refresh_token");
      }
      auto unknown = refresh(server, new_random_token());
      BOOST_TEST(unknown.status == 401, unknown.body);
      BOOST_TEST(problem_code(unknown) == "invalid_refresh_token");

      // The other login's family is untouched and keeps rotating.
      auto kept = refresh(server, other["refresh_token"].get<std::string>());
      BOOST_TEST_REQUIRE(kept.status == 200, kept.body);
      auto kept_again = refresh(server, json::parse(kept.body)["refresh_token"].get<std::string>());
      BOOST_TEST(kept_again.status == 200, kept_again.body);

      auto r3 = server.login(email, password)["refresh_token"].get<std::string>();
      auto out = logout(server, r3);
      BOOST_TEST(out.status == 204, out.body);
      BOOST_TEST(out.body.empty());
      auto after = refresh(server, r3);
      BOOST_TEST(after.status == 401, after.body);
      BOOST_TEST(problem_code(after) == "invalid_refresh_token");
      // Unknown or already revoked: the same 204, so tokens cannot be probed.
      BOOST_TEST(logout(server, r3).status == 204);
      BOOST_TEST(logout(server, new_random_token()).status == 204);
    }
  }
}

BOOST_AUTO_TEST_CASE(secrets_stay_out_of_responses_and_the_log) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "auth-secrets"};
      if (!server.started())
        continue;
      const std::string email = "frank@secrets.e2e.test";
      const std::string password = "Zebra-Quartz-4471-signup";
      const std::vector<std::string> passwords{password, "Walrus-Opal-9123-wrong",
                                               "Heron-Jade-5580-unknown", "Otter-Ruby-3316-dup",
                                               "Lynx-77"};
      std::vector<test::reply> replies;
      replies.push_back(signup(server, email, password));
      replies.push_back(signup(server, email, passwords[3]));
      replies.push_back(signup(server, "tiny@secrets.e2e.test", passwords[4]));
      replies.push_back(try_login(server, email, passwords[1]));
      replies.push_back(try_login(server, "nobody@secrets.e2e.test", passwords[2]));
      replies.push_back(try_login(server, email, password));
      BOOST_TEST_REQUIRE(replies.back().status == 200, replies.back().body);
      auto first = json::parse(replies.back().body);
      replies.push_back(refresh(server, first["refresh_token"].get<std::string>()));
      BOOST_TEST_REQUIRE(replies.back().status == 200, replies.back().body);
      auto second = json::parse(replies.back().body);
      replies.push_back(refresh(server, first["refresh_token"].get<std::string>()));  // reuse
      replies.push_back(server.call("GET", "/v1/me", "", first["access_token"].get<std::string>()));
      replies.push_back(logout(server, second["refresh_token"].get<std::string>()));
      auto admin = server.login(admin_email, admin_password);

      for (const auto& r : replies)
        for (const auto& p : passwords)
          BOOST_TEST(r.body.find(p) == std::string::npos, p << " in " << r.body);
      BOOST_TEST(server.process().stop() == 0);  // flushes the log
      auto log = read_text(server.log_path());
      BOOST_TEST_REQUIRE(log.find("signed up") != std::string::npos, "not the log: " << log);
      std::vector<std::string> secrets = passwords;
      secrets.insert(secrets.end(), {admin_password, test_jwt_secret});
      for (const auto& tokens : {first, second, admin}) {
        for (const char* field : {"access_token", "refresh_token"}) {
          secrets.push_back(tokens[field].get<std::string>());
        }
        secrets.push_back(token_digest(tokens["refresh_token"].get<std::string>()));
      }
      for (const auto& s : secrets)
        BOOST_TEST(log.find(s) == std::string::npos, "the log holds " << s);
    }
  }
}

BOOST_AUTO_TEST_CASE(create_admin_subcommand_makes_a_working_admin) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "auth-create-admin"};
      if (!server.started())
        continue;
      const std::map<std::string, std::string> settings{
        {"BOXOFFICE_DATABASE_URL", server.database_url()},
        {"BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS", "1"},
        {"BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB", "8"},
      };
      const std::string password = "Boss-Admin-Pass-42";
      auto made = run_boxoffice({"create-admin", "--email", "Boss@Admins.E2E.test"}, settings,
                                password + "\n");
      BOOST_TEST(made.exit_code == 0, made.output);
      BOOST_TEST(made.output.find(password) == std::string::npos, made.output);

      auto tokens = server.login("boss@admins.e2e.test", password);
      BOOST_TEST(tokens["account"]["role"].get<std::string>() == "admin");
      auto event = server.call_json("POST", "/v1/events",
                                    json{{"title", "By the new admin"},
                                         {"starts_at", "2030-01-01T20:00:00Z"}},
                                    tokens["access_token"].get<std::string>());
      BOOST_TEST(event.status == 201, event.body);

      // A weak password is refused and creates nothing.
      auto weak = run_boxoffice({"create-admin", "--email", "weak@admins.e2e.test"}, settings,
                                "short\n");
      BOOST_TEST(weak.exit_code != 0, weak.output);
      BOOST_TEST(weak.exit_code != -1, "still running or killed: " << weak.output);
      auto refused = try_login(server, "weak@admins.e2e.test", "short");
      BOOST_TEST(refused.status == 401, refused.body);
      BOOST_TEST(problem_code(refused) == "invalid_credentials");
    }
  }
}

BOOST_AUTO_TEST_CASE(serve_refuses_a_missing_or_short_jwt_secret) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      auto path = (std::filesystem::temp_directory_path() / "boxoffice-auth-secret.db").string();
      auto url = fresh_database(backend, path);
      if (url.empty())
        continue;
      const std::string short_key(token_signer::min_key_bytes - 1, 'k');
      for (const auto& key : {std::string{}, short_key}) {
        BOOST_TEST_CONTEXT("secret of " << key.size() << " bytes") {
          auto run = run_boxoffice({"serve"},
                                   {{"BOXOFFICE_DATABASE_URL", url},
                                    {"BOXOFFICE_AUTH_JWT_SECRET", key},
                                    {"BOXOFFICE_HTTP_PORT", std::to_string(free_port())},
                                    {"BOXOFFICE_CLUSTER_LISTEN_PORT",
                                     std::to_string(free_port())}},
                                   "");
          BOOST_TEST(run.exit_code != 0, run.output);
          BOOST_TEST(run.exit_code != -1, "still running or killed: " << run.output);
          auto lines = lines_of(run.output);
          BOOST_TEST(lines.size() == 1u, run.output);
          BOOST_TEST(run.output.find("auth.jwt_secret") != std::string::npos, run.output);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
