// The load generator's command line: which server, which scenario, how
// much load, for how long, and which database to audit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace boxoffice::loadgen {

enum class scenario {
  health, flash, spread, browse, mixed, quantity,
  seat_map,         // fresh seat maps of the event's sections (default: one of 1,000 seats)
  seat_map_cached,  // the same with If-None-Match of the last ETag seen: 304s (a refreshing crowd)
  event_page        // GET of the event (default: 100 sections)
};
const char* to_string(scenario x);
// Scenarios that only read: no customer accounts are made for them.
bool reads_only(scenario x);

struct options {
  std::string url = "http://127.0.0.1:8080";
  bool allow_remote = false;
  std::string admin_email;     // or BOXOFFICE_LOADGEN_ADMIN_EMAIL
  std::string admin_password;  // or BOXOFFICE_LOADGEN_ADMIN_PASSWORD
  scenario kind = scenario::health;
  uint32_t connections = 64;
  uint32_t threads = 2;
  uint32_t customers = 0;      // 0: enough for the event (see resolve_defaults)
  double duration_s = 10;
  uint64_t max_requests = 10'000'000;
  uint32_t sections = 0;       // 0: the scenario's default layout
  uint32_t rows = 25;
  uint32_t seats_per_row = 40;
  uint64_t seed = 1;
  bool idempotency_keys = false;  // send an Idempotency-Key on every hold and purchase
  std::string db_url;          // empty: no audit
  bool json = false;
  // Open loop (issue 17): requests leave at this total rate whatever the
  // answers, each timed from its intended send time, so a stalled server
  // shows as latency instead of a slower client (no coordinated omission).
  // 0: closed loop, each connection sends as soon as its answer is in.
  double rate_per_s = 0;

  // Parsed from `url`.
  std::string host;            // as written, for the Host header
  std::string ipv4;            // what the generator connects to
  uint16_t port = 0;
};

// Parses argv; exits through CLI11 on --help or a bad option, throws
// std::invalid_argument for a URL it cannot use (not http://, not an IPv4
// literal or localhost, or not loopback without --allow-remote).
options parse_options(int argc, char** argv);

// The scenario's default event layout and customer count, where not given.
// Holds count against max_holds_per_customer (at most 1,000 in the server's
// config), so hold-only scenarios spread their holds over enough customers.
void resolve_defaults(options& o);

uint64_t capacity(const options& o);  // sections x rows x seats_per_row

} // namespace boxoffice::loadgen
