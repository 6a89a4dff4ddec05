#include "bench/loadgen/setup.h"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

namespace boxoffice::loadgen {

using nlohmann::json;

namespace {

constexpr unsigned signup_threads = 4;

size_t append_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct curl_deleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using curl_handle = std::unique_ptr<CURL, curl_deleter>;

curl_handle new_handle() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_handle h{curl_easy_init()};
  if (!h)
    throw setup_error("curl_easy_init failed");
  return h;
}

http_answer call_with(CURL* h, const options& o, const std::string& method,
                      const std::string& path, const std::string& body,
                      const std::string& token) {
  http_answer a;
  curl_slist* headers = nullptr;
  if (!body.empty())
    headers = curl_slist_append(headers, "Content-Type: application/json");
  if (!token.empty())
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  auto url = o.url;
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  url += path;
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, method == "GET" ? nullptr : body.c_str());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(h, CURLOPT_HTTPGET, method == "GET" ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &a.body);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  auto rc = curl_easy_perform(h);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK)
    throw setup_error(method + " " + path + ": " + curl_easy_strerror(rc));
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a.status);
  return a;
}

json expect(const http_answer& a, long status, const std::string& what) {
  if (a.status != status)
    throw setup_error(what + ": HTTP " + std::to_string(a.status) + " " + a.body);
  try {
    return json::parse(a.body);
  } catch (const json::exception&) {
    throw setup_error(what + ": not JSON: " + a.body);
  }
}

std::string login(CURL* h, const options& o, const std::string& email,
                  const std::string& password) {
  auto body = json{{"email", email}, {"password", password}}.dump();
  auto j = expect(call_with(h, o, "POST", "/v1/auth/login", body, ""), 200, "login " + email);
  return j.at("access_token").get<std::string>();
}

// A word no earlier run used, so that customers' emails are new.
std::string run_nonce(uint64_t seed) {
  std::random_device rd;
  std::mt19937_64 rng{(uint64_t{rd()} << 32) ^ rd() ^ seed};
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

uint64_t create_event(CURL* h, const options& o, const std::string& admin, sale& s,
                      const std::string& nonce) {
  json event{{"title", std::string{"loadgen "} + to_string(o.kind) + " " + nonce},
             {"starts_at", "2030-01-01T20:00:00Z"},
             {"max_tickets_per_customer", 10000}};
  auto e = expect(call_with(h, o, "POST", "/v1/events", event.dump(), admin), 201,
                  "create the event");
  auto id = e.at("id").get<uint64_t>();
  auto base = "/v1/events/" + std::to_string(id);
  for (uint32_t i = 1; i <= o.sections; ++i) {
    json section{{"name", "S" + std::to_string(i)}, {"kind", "reserved"}, {"rows", o.rows},
                 {"seats_per_row", o.seats_per_row}, {"price_cents", 5000}};
    auto r = expect(call_with(h, o, "POST", base + "/sections", section.dump(), admin), 201,
                    "add section " + std::to_string(i));
    s.section_ids.push_back(r.at("id").get<uint32_t>());
  }
  expect(call_with(h, o, "PATCH", base, json{{"status", "on_sale"}}.dump(), admin), 200,
         "put the event on sale");
  return id;
}

// Signs up and logs in every customer, a few at a time (password hashing
// is the server's slowest call).
std::vector<std::string> sign_up_customers(const options& o, const std::string& nonce) {
  std::vector<std::string> tokens(o.customers);
  std::atomic<uint32_t> next{0};
  std::mutex failure_mutex;
  std::string failure;
  auto work = [&] {
    try {
      auto h = new_handle();
      for (auto i = next++; i < o.customers; i = next++) {
        auto email = "c" + std::to_string(i) + "-" + nonce + "@loadgen.test";
        std::string password = "loadgen-password-" + nonce;
        auto body = json{{"email", email}, {"password", password}}.dump();
        expect(call_with(h.get(), o, "POST", "/v1/auth/signup", body, ""), 201,
               "sign up " + email);
        tokens[i] = login(h.get(), o, email, password);
      }
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock{failure_mutex};
      failure = e.what();
      next = o.customers;
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::min<unsigned>(signup_threads, o.customers); ++t)
    threads.emplace_back(work);
  for (auto& t : threads)
    t.join();
  if (!failure.empty())
    throw setup_error(failure);
  return tokens;
}

} // namespace

http_answer http_call(const options& o, const std::string& method, const std::string& path,
                      const std::string& body, const std::string& token) {
  auto h = new_handle();
  return call_with(h.get(), o, method, path, body, token);
}

sale prepare_sale(const options& o) {
  sale s;
  if (o.kind == scenario::health)
    return s;
  if (o.admin_email.empty() || o.admin_password.empty())
    throw setup_error("this scenario needs --admin-email and --admin-password "
                      "(or BOXOFFICE_LOADGEN_ADMIN_EMAIL/_PASSWORD)");
  auto h = new_handle();
  auto nonce = run_nonce(o.seed);
  auto admin = login(h.get(), o, o.admin_email, o.admin_password);
  s.event_id = create_event(h.get(), o, admin, s, nonce);
  if (!reads_only(o.kind))  // reads need no account
    s.tokens = sign_up_customers(o, nonce);
  return s;
}

} // namespace boxoffice::loadgen
