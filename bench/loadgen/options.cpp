#include "bench/loadgen/options.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace boxoffice::loadgen {

const char* to_string(scenario x) {
  switch (x) {
    case scenario::health: return "health";
    case scenario::flash: return "flash";
    case scenario::spread: return "spread";
    case scenario::browse: return "browse";
    case scenario::mixed: return "mixed";
    case scenario::quantity: return "quantity";
    case scenario::seat_map: return "seat_map";
    case scenario::seat_map_cached: return "seat_map_cached";
    case scenario::event_page: return "event_page";
  }
  return "?";
}

bool reads_only(scenario x) {
  return x == scenario::browse || x == scenario::seat_map || x == scenario::seat_map_cached
         || x == scenario::event_page;
}

namespace {

// http://host[:port][/] with host an IPv4 literal or "localhost".
void parse_url(options& o) {
  const std::string scheme = "http://";
  if (o.url.rfind(scheme, 0) != 0)
    throw std::invalid_argument("--url must start with http:// (got " + o.url + ")");
  auto rest = o.url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/')
    rest.pop_back();
  if (rest.find('/') != std::string::npos)
    throw std::invalid_argument("--url takes no path: " + o.url);
  o.host = rest;
  auto colon = rest.find(':');
  auto name = rest.substr(0, colon);
  long port = 80;
  if (colon != std::string::npos) {
    char* end = nullptr;
    port = std::strtol(rest.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535)
      throw std::invalid_argument("bad port in --url " + o.url);
  }
  o.port = static_cast<uint16_t>(port);
  o.ipv4 = name == "localhost" ? "127.0.0.1" : name;
  in_addr addr{};
  if (::inet_pton(AF_INET, o.ipv4.c_str(), &addr) != 1)
    throw std::invalid_argument("--url needs an IPv4 address or localhost: " + o.url);
  bool loopback = (ntohl(addr.s_addr) >> 24) == 127;
  if (!loopback && !o.allow_remote)
    throw std::invalid_argument(o.url + " is not a loopback address; pass --allow-remote to "
                                "load a server you are allowed to load");
}

std::string env_or(const std::string& given, const char* name) {
  if (!given.empty())
    return given;
  const char* v = std::getenv(name);
  return v ? v : "";
}

} // namespace

options parse_options(int argc, char** argv) {
  options o;
  CLI::App app{"boxoffice-loadgen: drives a boxoffice server with a flash-sale scenario, "
               "reports rates and latencies per operation, then audits the sale in the database "
               "(exit 1 on any violation, 2 on a setup failure). The server should run with "
               "BOXOFFICE_AUTH_ATTEMPTS_PER_*_PER_MIN=0 and, for hold-only scenarios, "
               "BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER=1000 "
               "(and MAX_SECTIONS_PER_EVENT >= --sections)."};
  std::map<std::string, scenario> names{
    {"health", scenario::health}, {"flash", scenario::flash},   {"spread", scenario::spread},
    {"browse", scenario::browse}, {"mixed", scenario::mixed},   {"quantity", scenario::quantity},
    {"seat_map", scenario::seat_map}, {"seat_map_cached", scenario::seat_map_cached},
    {"event_page", scenario::event_page}};
  app.add_option("--url", o.url, "Server base URL (loopback only unless --allow-remote)")
    ->capture_default_str();
  app.add_flag("--allow-remote", o.allow_remote, "Allow a non-loopback server");
  app.add_option("--admin-email", o.admin_email, "Admin (or BOXOFFICE_LOADGEN_ADMIN_EMAIL)");
  app.add_option("--admin-password", o.admin_password,
                 "Admin password (or BOXOFFICE_LOADGEN_ADMIN_PASSWORD)");
  app.add_option("--scenario", o.kind, "health, flash, spread, browse, mixed, quantity, seat_map, "
                 "seat_map_cached or event_page")
    ->transform(CLI::CheckedTransformer(names, CLI::ignore_case))
    ->capture_default_str();
  app.add_option("--connections", o.connections, "Keep-alive connections, one request in "
                 "flight each")->check(CLI::Range(1u, 100000u))->capture_default_str();
  app.add_option("--threads", o.threads, "Generator threads (epoll loops)")
    ->check(CLI::Range(1u, 64u))->capture_default_str();
  app.add_option("--customers", o.customers, "Customers to sign up (0: one per connection, "
                 "and at least one per 500 seats for hold-only scenarios)")
    ->check(CLI::Range(0u, 100000u));
  app.add_option("--duration-s", o.duration_s, "Time limit of the run")
    ->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  app.add_option("--max-requests", o.max_requests, "Request limit of the run")
    ->check(CLI::Range(uint64_t{1}, uint64_t{1'000'000'000}))->capture_default_str();
  app.add_option("--rate", o.rate_per_s, "Open loop: send this many requests per second in "
                 "all, whatever the answers, and time each from its intended send time "
                 "(0: closed loop)")->check(CLI::Range(0.0, 10'000'000.0));
  app.add_option("--sections", o.sections, "Sections of the event (0: 1 for flash and the "
                 "seat-map scenarios, 100 else)")
    ->check(CLI::Range(0u, 1000u));
  app.add_option("--rows", o.rows, "Rows per section")->check(CLI::Range(1u, 1000u))
    ->capture_default_str();
  app.add_option("--seats-per-row", o.seats_per_row, "Seats per row")
    ->check(CLI::Range(1u, 1000u))->capture_default_str();
  app.add_option("--seed", o.seed, "Random seed")->capture_default_str();
  app.add_flag("--idempotency-keys", o.idempotency_keys,
               "Send an Idempotency-Key with every hold and purchase");
  app.add_option("--db", o.db_url, "The server's database.url, to audit the sale "
                 "(sqlite:///path or postgresql://...); no audit without it");
  app.add_flag("--json", o.json, "Print the report as one JSON document on stdout");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  o.admin_email = env_or(o.admin_email, "BOXOFFICE_LOADGEN_ADMIN_EMAIL");
  o.admin_password = env_or(o.admin_password, "BOXOFFICE_LOADGEN_ADMIN_PASSWORD");
  parse_url(o);
  resolve_defaults(o);
  return o;
}

void resolve_defaults(options& o) {
  if (o.sections == 0)
    o.sections = o.kind == scenario::flash || o.kind == scenario::seat_map
                     || o.kind == scenario::seat_map_cached
                   ? 1
                   : 100;
  if (o.customers == 0) {
    uint64_t enough = 1;
    if (o.kind == scenario::spread || o.kind == scenario::quantity || o.kind == scenario::mixed)
      enough = (capacity(o) + 499) / 500;
    o.customers = static_cast<uint32_t>(std::max<uint64_t>(o.connections, enough));
  }
}

uint64_t capacity(const options& o) {
  return uint64_t{o.sections} * o.rows * o.seats_per_row;
}

} // namespace boxoffice::loadgen
