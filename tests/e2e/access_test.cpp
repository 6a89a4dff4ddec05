// Access control against the real binary, on both backends: every protected
// route refuses a missing, expired, forged or malformed access token (401)
// and a customer on an admin route (403); one customer can neither see nor
// touch another's holds and orders (404, as if they did not exist). After
// every refusal nothing has changed: seat maps, events, holds and orders
// read the same as before. And login attempts are rate limited, per account
// and per client address, and recover.
#include "accounts/tokens.h"
#include "tests/e2e/api_fixture.h"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <thread>

using namespace boxoffice;
using namespace boxoffice::e2e;

namespace {

constexpr std::string_view base64url_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Unpadded base64url, as JWTs use; a forger needs nothing more.
std::string base64url_encode(std::string_view bytes) {
  std::string out;
  uint32_t bits_held = 0;
  int bit_count = 0;
  for (unsigned char c : bytes) {
    bits_held = (bits_held << 8) | c;
    bit_count += 8;
    while (bit_count >= 6) {
      bit_count -= 6;
      out += base64url_alphabet[(bits_held >> bit_count) & 63];
    }
  }
  if (bit_count > 0)
    out += base64url_alphabet[(bits_held << (6 - bit_count)) & 63];
  return out;
}

std::string base64url_decode(std::string_view text) {
  std::string out;
  uint32_t bits_held = 0;
  int bit_count = 0;
  for (char c : text) {
    auto value = base64url_alphabet.find(c);
    BOOST_REQUIRE_MESSAGE(value != std::string_view::npos, "not base64url: " << text);
    bits_held = (bits_held << 6) | static_cast<uint32_t>(value);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out += static_cast<char>((bits_held >> bit_count) & 0xFF);
    }
  }
  return out;
}

// The three base64url segments of a compact JWS.
struct jwt_parts {
  std::string header;
  std::string payload;
  std::string signature;
};

jwt_parts split_jwt(const std::string& token) {
  auto first = token.find('.');
  auto second = token.find('.', first + 1);
  BOOST_REQUIRE_MESSAGE(first != std::string::npos && second != std::string::npos,
                        "not a JWT: " << token);
  return {token.substr(0, first), token.substr(first + 1, second - first - 1),
          token.substr(second + 1)};
}

json claims_of(const std::string& token) {
  return json::parse(base64url_decode(split_jwt(token).payload));
}

// `token` with its payload replaced and its header and signature kept.
std::string with_claims(const std::string& token, const json& claims) {
  auto parts = split_jwt(token);
  return parts.header + "." + base64url_encode(claims.dump()) + "." + parts.signature;
}

int64_t now_s() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

// An Authorization header that must not get a request through.
struct bad_credential {
  std::string name;
  std::optional<std::string> authorization;  // nullopt: no header at all
  std::string code;                          // "" : unauthorized or invalid_token
};

// Every way to fail, derived from `real`, a valid token of the identity a
// route needs, so that if one were let through the request would succeed
// and change something. `other`: another account's id, for a changed sub.
std::vector<bad_credential> bad_credentials(const std::string& real, customer_id other) {
  auto claims = claims_of(real);
  // The forgeries below change only what they say they change.
  BOOST_REQUIRE_EQUAL(with_claims(real, claims), real);
  auto id = std::stoull(claims["sub"].get<std::string>());
  bool admin = claims["role"] == "admin";
  auto role = admin ? account_role::admin : account_role::customer;
  token_signer ours{test_jwt_secret, 900};
  token_signer theirs{"another-key-another-key-another-key-0123", 900};
  auto flipped = claims;
  flipped["role"] = admin ? "customer" : "admin";
  auto moved = claims;
  moved["sub"] = std::to_string(other);
  auto parts = split_jwt(real);
  auto bad_signature = parts.signature;
  bad_signature[0] = bad_signature[0] == 'A' ? 'B' : 'A';
  auto none = base64url_encode(R"({"alg":"none","typ":"JWT"})");
  auto bearer = [](const std::string& token) { return "Bearer " + token; };
  return {
    {"no Authorization header", std::nullopt, "unauthorized"},
    {"expired", bearer(ours.issue(id, role, now_s() - 86400)), "token_expired"},
    {"tampered signature", bearer(parts.header + "." + parts.payload + "." + bad_signature),
     "invalid_token"},
    {"role flipped", bearer(with_claims(real, flipped)), "invalid_token"},
    {"sub changed", bearer(with_claims(real, moved)), "invalid_token"},
    {"alg none, no signature", bearer(none + "." + parts.payload + "."), "invalid_token"},
    {"alg none, signature kept", bearer(none + "." + parts.payload + "." + parts.signature),
     "invalid_token"},
    {"another key", bearer(theirs.issue(id, role, now_s())), "invalid_token"},
    {"garbage", "Bearer not-a-token-at-all", "invalid_token"},
    {"Bearer and nothing", "Bearer", "invalid_token"},
    // The admin's real email and password, in a scheme the server does not
    // take; RFC 6750 3.1 lets an unsupported scheme go without an error code.
    {"Basic", "Basic YWRtaW5AZTJlLnRlc3Q6YWRtaW4tcGFzc3dvcmQtZTJl", ""},
  };
}

struct protected_route {
  std::string method;
  std::string path;
  std::string body;
  bool admin = false;
};

// What a refusal must leave as it was.
struct snapshot {
  std::string events;  // as the admin sees them, drafts included
  std::string event;
  std::string seats;
  std::string hold;    // GET of the owner's hold: expiry, seats
  std::string orders;  // the owner's
};

snapshot take_snapshot(api_server& server, const std::string& event, const std::string& hold,
                       const std::string& owner) {
  auto read = [&](const std::string& path, const std::string& token) {
    auto r = server.call("GET", path, "", token);
    BOOST_REQUIRE_MESSAGE(r.status == 200, path << ": " << r.status << " " << r.body);
    return r.body;
  };
  return {read("/v1/events", server.admin_token()), read(event, ""),
          read(event + "/sections/1/seats", ""), read(hold, owner), read("/v1/orders", owner)};
}

void check_unchanged(const snapshot& before, const snapshot& after) {
  BOOST_TEST(before.events == after.events);
  BOOST_TEST(before.event == after.event);
  BOOST_TEST(before.seats == after.seats);
  BOOST_TEST(before.hold == after.hold);
  BOOST_TEST(before.orders == after.orders);
}

std::string problem_code(const test::reply& r) {
  auto body = json::parse(r.body, nullptr, false);
  return body.is_object() && body.contains("code") && body["code"].is_string()
           ? body["code"].get<std::string>()
           : "(no code: " + r.body + ")";
}

void check_unauthorized(test::reply r, const bad_credential& bad) {
  BOOST_TEST(r.status == 401, r.body);
  auto code = problem_code(r);
  if (bad.code.empty())
    BOOST_TEST((code == "unauthorized" || code == "invalid_token"), code);
  else
    BOOST_TEST(code == bad.code);
  BOOST_TEST(r.headers["content-type"] == "application/problem+json");
  BOOST_TEST(r.headers["www-authenticate"].rfind("Bearer", 0) == 0,
             "WWW-Authenticate: " << r.headers["www-authenticate"]);
}

customer_id account_id(api_server& server, const std::string& token) {
  auto me = server.call("GET", "/v1/me", "", token);
  BOOST_REQUIRE_MESSAGE(me.status == 200, me.body);
  return json::parse(me.body)["id"].get<customer_id>();
}

// A hold of `seats` by `token`'s owner in section 1 of `event`: its id.
std::string place_hold(api_server& server, const std::string& event,
                       const std::vector<std::string>& seats, const std::string& token) {
  auto r = server.call_json("POST", event + "/holds", json{{"section_id", 1}, {"seats", seats}},
                            token);
  BOOST_REQUIRE_MESSAGE(r.status == 201, "hold: " << r.status << " " << r.body);
  return json::parse(r.body)["id"].get<std::string>();
}

std::string purchase(api_server& server, const std::string& hold, const std::string& token) {
  auto r = server.call("POST", "/v1/holds/" + hold + "/purchase", "", token);
  BOOST_REQUIRE_MESSAGE(r.status == 201, "purchase: " << r.status << " " << r.body);
  return json::parse(r.body)["id"].get<std::string>();
}

const json floor_section = json{{"name", "Floor"}, {"kind", "reserved"}, {"rows", 1},
                                {"seats_per_row", 10}, {"price_cents", 1000}};

} // namespace

BOOST_AUTO_TEST_SUITE(access_control)

BOOST_AUTO_TEST_CASE(protected_routes_refuse_missing_and_bad_tokens) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "access-tokens"};
      if (!server.started())
        continue;
      auto event = "/v1/events/" + std::to_string(server.create_event("Guarded", {floor_section}));
      auto admin = server.admin_token();
      auto owner = server.customer_token("owner");
      auto hold = place_hold(server, event, {"A-1"}, owner);
      auto order = purchase(server, place_hold(server, event, {"A-2"}, owner), owner);
      auto hold_path = "/v1/holds/" + hold;
      auto before = take_snapshot(server, event, hold_path, owner);

      // Bodies a genuine caller would send: any route let through changes something.
      const std::vector<protected_route> routes{
        {"POST", "/v1/events",
         json{{"title", "Intruder"}, {"starts_at", "2030-01-01T20:00:00Z"}}.dump(), true},
        {"PATCH", event, json{{"title", "Renamed"}}.dump(), true},
        {"POST", event + "/sections", floor_section.dump(), true},
        {"POST", event + "/holds", json{{"section_id", 1}, {"seats", {"A-3"}}}.dump()},
        {"POST", hold_path + "/extend", ""},
        {"DELETE", hold_path, ""},
        {"POST", hold_path + "/purchase", ""},
        {"POST", "/v1/orders/" + order + "/cancel", ""},
        {"GET", "/v1/me", ""},
        {"GET", "/v1/orders", ""},
        {"GET", hold_path, ""},
      };
      auto admin_id = account_id(server, admin);
      auto owner_id = account_id(server, owner);
      // The key is right: only what is wrong with a forged token refuses it.
      token_signer ours{test_jwt_secret, 900};
      BOOST_TEST_REQUIRE(account_id(server, ours.issue(owner_id, account_role::customer, now_s()))
                         == owner_id);
      auto as_admin = bad_credentials(admin, owner_id);
      auto as_owner = bad_credentials(owner, admin_id);
      for (const auto& route : routes) {
        for (const auto& bad : route.admin ? as_admin : as_owner) {
          BOOST_TEST_CONTEXT(route.method << " " << route.path << ", " << bad.name) {
            std::map<std::string, std::string> headers;
            if (bad.authorization)
              headers["Authorization"] = *bad.authorization;
            check_unauthorized(server.call(route.method, route.path, route.body, "", headers),
                               bad);
          }
        }
        if (route.admin) {
          BOOST_TEST_CONTEXT(route.method << " " << route.path << ", customer token") {
            auto r = server.call(route.method, route.path, route.body, owner);
            BOOST_TEST(r.status == 403, r.body);
            BOOST_TEST(problem_code(r) == "forbidden");
          }
        }
      }
      check_unchanged(before, take_snapshot(server, event, hold_path, owner));
    }
  }
}

BOOST_AUTO_TEST_CASE(customers_cannot_reach_each_others_holds_and_orders) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "access-isolation"};
      if (!server.started())
        continue;
      auto event = "/v1/events/" + std::to_string(server.create_event("Private", {floor_section}));
      auto a = server.customer_token("alice");
      auto b = server.customer_token("bob");
      auto hold = place_hold(server, event, {"A-1", "A-2"}, a);
      auto bought = place_hold(server, event, {"A-3"}, a);
      auto order = purchase(server, bought, a);
      auto hold_path = "/v1/holds/" + hold;
      auto order_path = "/v1/orders/" + order;
      auto before = take_snapshot(server, event, hold_path, a);

      struct attempt {
        std::string method;
        std::string path;
        std::string code;
      };
      const std::vector<attempt> attempts{
        {"GET", hold_path, "hold_not_found"},
        {"POST", hold_path + "/extend", "hold_not_found"},
        {"DELETE", hold_path, "hold_not_found"},
        {"POST", hold_path + "/purchase", "hold_not_found"},
        // Already purchased by A: B must not learn even that (no hold_purchased).
        {"POST", "/v1/holds/" + bought + "/purchase", "hold_not_found"},
        {"GET", order_path, "order_not_found"},
        {"POST", order_path + "/cancel", "order_not_found"},
      };
      const std::vector<std::pair<std::string, std::string>> others{
        {"bob", b}, {"admin", server.admin_token()}};
      for (const auto& [who, token] : others)
        for (const auto& x : attempts) {
          BOOST_TEST_CONTEXT(who << ": " << x.method << " " << x.path) {
            auto r = server.call(x.method, x.path, "", token);
            BOOST_TEST(r.status == 404, r.body);
            BOOST_TEST(problem_code(r) == x.code);
          }
        }
      auto theirs = json::parse(server.call("GET", "/v1/orders", "", b).body);
      BOOST_TEST(theirs["total"].get<int>() == 0);
      BOOST_TEST(theirs["items"].empty());
      check_unchanged(before, take_snapshot(server, event, hold_path, a));

      // A's hold and order still work for A.
      auto second = purchase(server, hold, a);
      auto mine = json::parse(server.call("GET", "/v1/orders", "", a).body);
      BOOST_TEST(mine["total"].get<int>() == 2);
      for (const auto& id : {order, second}) {
        auto r = server.call("GET", "/v1/orders/" + id, "", a);
        BOOST_TEST(r.status == 200, r.body);
        BOOST_TEST(json::parse(r.body)["status"].get<std::string>() == "confirmed");
      }
    }
  }
}

// Login attempts: `per_account` and `per_address` per minute (0: unlimited).
std::map<std::string, std::string> login_limits(int per_account, int per_address) {
  return {{"BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN", std::to_string(per_account)},
          {"BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN", std::to_string(per_address)}};
}

test::reply login_attempt(api_server& server, const std::string& email,
                          const std::string& password) {
  return server.call_json("POST", "/v1/auth/login", json{{"email", email}, {"password", password}});
}

// A 429 rate_limited with Retry-After >= 1: the seconds to wait.
int check_rate_limited(const test::reply& r) {
  BOOST_TEST(r.status == 429, r.body);
  BOOST_TEST(problem_code(r) == "rate_limited");
  auto retry_after = std::atoi(r.headers.count("retry-after") ? r.headers.at("retry-after").c_str()
                                                              : "0");
  BOOST_TEST(retry_after >= 1, "Retry-After: " << retry_after);
  return retry_after;
}

BOOST_AUTO_TEST_CASE(login_attempts_are_limited_per_account) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "access-limit-account", login_limits(3, 1000)};
      if (!server.started())
        continue;
      // The admin exists from the start: no signup took from its bucket.
      BOOST_TEST(login_attempt(server, admin_email, "wrong-password-1").status == 401);
      BOOST_TEST(login_attempt(server, admin_email, "wrong-password-2").status == 401);
      BOOST_TEST(login_attempt(server, admin_email, admin_password).status == 200);
      check_rate_limited(login_attempt(server, admin_email, admin_password));
      // The same account however its email is spelled.
      check_rate_limited(login_attempt(server, " ADMIN@e2e.test", admin_password));
      // Another account is not affected.
      server.customer_token("unaffected");
    }
  }
}

BOOST_AUTO_TEST_CASE(login_attempts_are_limited_per_address) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      api_server server{backend, "access-limit-address", login_limits(0, 5)};
      if (!server.started())
        continue;
      for (int i = 0; i < 5; ++i) {
        auto r = login_attempt(server, "guess" + std::to_string(i) + "@limit.e2e.test",
                               "guessed-password");
        BOOST_TEST(r.status == 401, r.body);
      }
      check_rate_limited(login_attempt(server, admin_email, admin_password));
      check_rate_limited(server.call_json("POST", "/v1/auth/signup",
                                          json{{"email", "late@limit.e2e.test"},
                                               {"password", "late-password-1"}}));
    }
  }
}

BOOST_AUTO_TEST_CASE(login_limit_recovers_after_retry_after) {
  for (const auto& backend : test_backends()) {
    BOOST_TEST_CONTEXT("backend " << backend) {
      // 60 a minute: one attempt back every second.
      api_server server{backend, "access-limit-recovery", login_limits(60, 0)};
      if (!server.started())
        continue;
      test::reply refused;
      int attempts = 0;
      for (; attempts < 200; ++attempts) {
        refused = login_attempt(server, admin_email, "wrong-password");
        if (refused.status != 401)
          break;
      }
      BOOST_TEST(attempts >= 60);
      auto wait_s = check_rate_limited(refused);
      BOOST_TEST(wait_s <= 2);
      std::this_thread::sleep_for(std::chrono::seconds(wait_s));
      auto again = login_attempt(server, admin_email, admin_password);
      BOOST_TEST(again.status == 200, again.body);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
