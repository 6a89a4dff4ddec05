// Loading, validating and rendering the node configuration. Every key is one
// row of key_table(); YAML, environment, validation and rendering all walk
// that table, so adding a key is adding a row.
#include "config/settings.h"

#include <yaml-cpp/yaml.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <utility>

namespace boxoffice {
namespace {

// How much of a value may be shown in rendered settings and in errors.
enum class secrecy {
  none,
  url_password,  // all but the password of a URL
  whole,         // nothing; and the documented example leaves it out
};

struct key_descriptor {
  std::string path;
  // One line for the documented example: what the key does, for an operator.
  std::string description;
  // What a value may be ("1..65535 seconds", "json or text"), unit included.
  std::string allowed;
  // Parses `text` into this key's field of `s`. `origin` names where the text
  // came from ("http.port" or "BOXOFFICE_HTTP_PORT (http.port)") so that the
  // config_error thrown on a bad value tells the operator what to fix.
  std::function<void(settings& s, const std::string& text, const std::string& origin)> parse;
  std::function<std::string(const settings& s)> render;
  // Secret values are masked wherever they are shown: rendering and errors.
  secrecy secret = secrecy::none;
};

// Only the password of a URL is secret; user, host and database stay
// visible because they are what an operator needs to debug a connection.
// The last '@' ends the credentials so that a password containing '@' or
// '/' is still masked whole.
std::string mask_url_password(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto credentials_end = url.rfind('@');
  if (scheme_end == std::string::npos || credentials_end == std::string::npos ||
      credentials_end < scheme_end) {
    return url;
  }
  const auto password_begin = url.find(':', scheme_end + 3);
  if (password_begin == std::string::npos || password_begin > credentials_end) {
    return url;
  }
  return url.substr(0, password_begin + 1) + "***" + url.substr(credentials_end);
}

std::string shown_value(secrecy secret, const std::string& value) {
  if (value.empty())
    return value;
  switch (secret) {
  case secrecy::none:
    return value;
  case secrecy::url_password:
    return mask_url_password(value);
  case secrecy::whole:
    break;
  }
  return "***";
}

[[noreturn]] void throw_bad_value(const std::string& origin, const std::string& shown,
                                  const std::string& problem) {
  throw config_error("config: " + origin + ": '" + shown + "' " + problem);
}

struct number_range {
  uint64_t min;
  uint64_t max;
  // Appended to the allowed range in errors; empty for plain counts.
  const char* unit;
};

// "1..86400 seconds"
std::string range_text(const number_range& range) {
  std::string text = std::to_string(range.min) + ".." + std::to_string(range.max);
  if (*range.unit != '\0') {
    text += std::string(" ") + range.unit;
  }
  return text;
}

std::string allowed_text(const number_range& range) {
  return "(allowed " + range_text(range) + ")";
}

// Strict on purpose: no sign, no spaces, no exponent, no trailing text, so
// that "1e3", " 80" or "80s" is reported instead of silently meaning
// something else.
uint64_t parse_number(const std::string& text, const number_range& range,
                      const std::string& origin) {
  uint64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::result_out_of_range) {
    throw_bad_value(origin, text, "is out of range " + allowed_text(range));
  }
  if (error != std::errc() || stop != end) {
    throw_bad_value(origin, text, "is not a whole number " + allowed_text(range));
  }
  if (value < range.min || value > range.max) {
    throw_bad_value(origin, text, "is out of range " + allowed_text(range));
  }
  return value;
}

template <typename Section, typename Number>
key_descriptor number_key(std::string path, std::string description, Section settings::*section,
                          Number Section::*field, number_range range) {
  // A range wider than its field would let parse truncate silently.
  if (range.max > std::numeric_limits<Number>::max()) {
    throw std::logic_error("config: the range of " + path + " does not fit its field");
  }
  key_descriptor key;
  key.path = std::move(path);
  key.description = std::move(description);
  key.allowed = range_text(range);
  key.parse = [=](settings& s, const std::string& text, const std::string& origin) {
    (s.*section).*field = static_cast<Number>(parse_number(text, range, origin));
  };
  key.render = [=](const settings& s) { return std::to_string((s.*section).*field); };
  return key;
}

struct text_form {
  bool (*accepts)(const std::string& text);
  // Shown after "allowed" when `accepts` rejects a value.
  const char* allowed;
};

template <typename Section>
key_descriptor text_key(std::string path, std::string description, Section settings::*section,
                        std::string Section::*field, text_form form, secrecy secret) {
  key_descriptor key;
  key.path = std::move(path);
  key.description = std::move(description);
  key.allowed = form.allowed;
  key.secret = secret;
  key.parse = [=](settings& s, const std::string& text, const std::string& origin) {
    if (!form.accepts(text)) {
      throw_bad_value(origin, shown_value(secret, text),
                      std::string("is not allowed (allowed ") + form.allowed + ")");
    }
    (s.*section).*field = text;
  };
  key.render = [=](const settings& s) { return (s.*section).*field; };
  return key;
}

bool is_listen_address(const std::string& text) {
  return !text.empty() && std::none_of(text.begin(), text.end(),
                                       [](unsigned char c) { return std::isspace(c) != 0; });
}

bool has_prefix_and_more(const std::string& text, const std::string& prefix) {
  return text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

bool is_database_url(const std::string& text) {
  return has_prefix_and_more(text, "sqlite://") || has_prefix_and_more(text, "postgresql://");
}

bool any_text(const std::string&) {
  return true;
}

bool is_email_or_empty(const std::string& text) {
  return text.empty() || (text.find('@') != std::string::npos
                          && std::none_of(text.begin(), text.end(),
                                          [](unsigned char c) { return std::isspace(c) != 0; }));
}

bool is_log_format(const std::string& text) {
  return text == "json" || text == "text";
}

bool is_log_level(const std::string& text) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    if (text == level) {
      return true;
    }
  }
  return false;
}

constexpr text_form free_text{any_text, "any text"};
constexpr text_form email_or_empty{is_email_or_empty, "an email address, or empty"};
constexpr text_form listen_address{is_listen_address, "a host name or IP address, no spaces"};
constexpr text_form database_url{is_database_url,
                                 "sqlite://<path> or postgresql://user:password@host:port/dbname"};
constexpr text_form log_format{is_log_format, "json or text"};
constexpr text_form log_level{is_log_level, "trace, debug, info, warn, error, critical or off"};

bool is_ip_address(const std::string& text) {
  in6_addr address{};
  return ::inet_pton(AF_INET, text.c_str(), &address) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

std::string trim_spaces(const std::string& text) {
  const auto begin = text.find_first_not_of(' ');
  if (begin == std::string::npos) {
    return "";
  }
  return text.substr(begin, text.find_last_not_of(' ') - begin + 1);
}

constexpr const char* address_list_allowed = "IP addresses separated by commas, or empty";

// Strict like the numbers: a host name, a range ("10.0.0.0/8") or an empty
// element is reported, because a proxy list that silently dropped one would
// make its clients look like the proxy.
std::vector<std::string> parse_address_list(const std::string& text, const std::string& origin) {
  std::vector<std::string> addresses;
  if (text.empty()) {
    return addresses;
  }
  for (size_t begin = 0; begin <= text.size();) {
    const auto end = std::min(text.find(',', begin), text.size());
    auto address = trim_spaces(text.substr(begin, end - begin));
    if (!is_ip_address(address)) {
      throw_bad_value(origin, text,
                      "has '" + address + "', not an IPv4 or IPv6 address (allowed " +
                          address_list_allowed + ")");
    }
    addresses.push_back(std::move(address));
    begin = end + 1;
  }
  return addresses;
}

template <typename Section>
key_descriptor address_list_key(std::string path, std::string description,
                                Section settings::*section,
                                std::vector<std::string> Section::*field) {
  key_descriptor key;
  key.path = std::move(path);
  key.description = std::move(description);
  key.allowed = address_list_allowed;
  key.parse = [=](settings& s, const std::string& text, const std::string& origin) {
    (s.*section).*field = parse_address_list(text, origin);
  };
  key.render = [=](const settings& s) {
    std::string text;
    for (const auto& address : (s.*section).*field) {
      text += (text.empty() ? "" : ",") + address;
    }
    return text;
  };
  return key;
}

// --- Cluster mode keys (issue 13) -----------------------------------------

// Node ids appear in logs, metrics and SQL rows: a short name, no spaces.
bool is_node_id_or_empty(const std::string& text) {
  return text.size() <= 64 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.';
         });
}

bool is_host_or_empty(const std::string& text) {
  return text.empty() || is_listen_address(text);
}

constexpr text_form node_id_or_empty{is_node_id_or_empty,
                                     "up to 64 letters, digits, '-', '_' or '.'; or empty"};
constexpr text_form host_or_empty{is_host_or_empty, "a host name or IP address, or empty"};

// Admission-pass keys: ids go inside a pass, whose fields '.' separates.
bool is_pass_key_id_or_empty(const std::string& text) {
  return text.size() <= 32 && std::all_of(text.begin(), text.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '-' || c == '_';
         });
}
bool is_pass_key_id(const std::string& text) {
  return !text.empty() && is_pass_key_id_or_empty(text);
}
bool is_secret_or_empty(const std::string& text) {
  return text.empty() || text.size() >= 32;
}
constexpr text_form pass_key_id{is_pass_key_id, "1 to 32 letters, digits, '-' or '_'"};
constexpr text_form pass_key_id_or_empty{is_pass_key_id_or_empty,
                                         "up to 32 letters, digits, '-' or '_'; or empty"};
constexpr text_form secret_or_empty{is_secret_or_empty, "32 bytes or more, or empty"};

template <typename Section>
key_descriptor flag_key(std::string path, std::string description, Section settings::*section,
                        bool Section::*field) {
  key_descriptor key;
  key.path = std::move(path);
  key.description = std::move(description);
  key.allowed = "true or false";
  key.parse = [=](settings& s, const std::string& text, const std::string& origin) {
    if (text != "true" && text != "false")
      throw_bad_value(origin, text, "is not allowed (allowed true or false)");
    (s.*section).*field = text == "true";
  };
  key.render = [=](const settings& s) { return (s.*section).*field ? "true" : "false"; };
  return key;
}

// --- end of cluster mode keys ------------------------------------------------

// The one list of keys, in the declaration order of settings.h. Rows of one
// top-level section must stay adjacent: render_settings groups by them.
// A description is one line of the documented example, so it stays short.
const std::vector<key_descriptor>& key_table() {
  using http = http_settings;
  using db = database_settings;
  using actors = actor_settings;
  using limits = reservation_limits;
  using auth = auth_settings;
  using room = waiting_room_limits;
  using pass = queue_pass_settings;
  using cluster = cluster_settings;
  static const std::vector<key_descriptor> table = {
      number_key("server.shutdown_grace_s",
                 "On SIGTERM or SIGINT: time to finish requests and flush the journal",
                 &settings::server, &server_settings::shutdown_grace_s, {1, 3600, "seconds"}),
      text_key("log.format", "json: one JSON object per line; text: for a terminal", &settings::log,
               &log_settings::format, log_format, secrecy::none),
      text_key("log.level", "The least severe level written", &settings::log, &log_settings::level,
               log_level, secrecy::none),
      text_key("http.address", "Address the HTTP API listens on", &settings::http, &http::address,
               listen_address, secrecy::none),
      number_key("http.port", "TCP port of the HTTP API", &settings::http, &http::port,
                 {1, 65535, ""}),
      number_key("http.threads", "Threads that read requests and write answers", &settings::http,
                 &http::threads, {1, 64, ""}),
      number_key("http.max_body_bytes", "Largest request body; a larger one is answered 413",
                 &settings::http, &http::max_body_bytes, {1024, 16777216, "bytes"}),
      number_key("http.header_bytes_max", "Largest request line and headers; larger: 431",
                 &settings::http, &http::header_bytes_max, {1024, 65536, "bytes"}),
      number_key("http.target_bytes_max", "Longest request target (path and query); longer: 414",
                 &settings::http, &http::target_bytes_max, {64, 65536, "bytes"}),
      number_key("http.header_timeout_s", "A request's head must arrive within this; else 408",
                 &settings::http, &http::header_timeout_s, {1, 3600, "seconds"}),
      number_key("http.body_timeout_s", "... and its body within this after the head; else 408",
                 &settings::http, &http::body_timeout_s, {1, 3600, "seconds"}),
      number_key("http.keepalive_timeout_s",
                 "A connection idle this long is closed; above both timeouts above",
                 &settings::http, &http::keepalive_timeout_s, {2, 86400, "seconds"}),
      number_key("http.request_deadline_ms",
                 "A request not answered within this gets 503 request_timeout",
                 &settings::http, &http::request_deadline_ms, {100, 3600000, "milliseconds"}),
      number_key("http.pipelined_requests_max",
                 "Requests read ahead on one connection; one more: 503 and closed",
                 &settings::http, &http::pipelined_requests_max, {1, 1024, ""}),
      number_key("http.max_in_flight_requests",
                 "Requests in the actors at once; past it, 503 + Retry-After at once",
                 &settings::http, &http::max_in_flight_requests, {1, 10000000, ""}),
      address_list_key(
          "http.trusted_proxies",
          "Reverse proxies whose X-Forwarded-For names the client, for rate limits and logs",
          &settings::http, &http::trusted_proxies),
      number_key("http.queue_heartbeat_s",
                 "A waiting-room event stream sends a comment line at least this often",
                 &settings::http, &http::queue_heartbeat_s, {1, 15, "seconds"}),
      number_key("http.queue_stream_poll_ms",
                 "How often an event stream reads its entry's state",
                 &settings::http, &http::queue_stream_poll_ms, {50, 10000, "milliseconds"}),
      number_key("http.queue_streams_max", "Waiting-room event streams open at once; past it, 503",
                 &settings::http, &http::queue_streams_max, {1, 1000000, ""}),
      text_key("database.url",
               "Where data lives; a URL with a password belongs in BOXOFFICE_DATABASE_URL",
               &settings::database, &db::url, database_url, secrecy::url_password),
      number_key("database.journal_batch_rows_max", "Group commit: commit when this many rows wait",
                 &settings::database, &db::journal_batch_rows_max, {1, 100000, "rows"}),
      number_key("database.journal_batch_wait_ms",
                 "... or when the first has waited this long; 0: when no commit is in flight",
                 &settings::database, &db::journal_batch_wait_ms, {0, 1000, "milliseconds"}),
      number_key("database.journal_queue_rows_max",
                 "Rows waiting or being committed; past it, writes are refused at once",
                 &settings::database, &db::journal_queue_rows_max, {1, 10000000, "rows"}),
      number_key("database.journal_batches_in_flight_max",
                 "Group commits at once on PostgreSQL, each on its own connection; SQLite: 1",
                 &settings::database, &db::journal_batches_in_flight_max, {1, 64, "batches"}),
      number_key("actors.threads", "CAF worker threads", &settings::actors, &actors::threads,
                 {1, 64, ""}),
      number_key("actors.event_idle_stop_s",
                 "An event idle this long stops, and its next request reloads it; 0: never",
                 &settings::actors, &actors::event_idle_stop_s, {0, 604800, "seconds"}),
      number_key("actors.event_backlog_max",
                 "Requests waiting for an event that is stopping or loading; past it, 503",
                 &settings::actors, &actors::event_backlog_max, {1, 1000000, ""}),
      number_key("actors.request_timeout_ms",
                 "How long an actor waits for another's answer; past it, 503 request_timeout",
                 &settings::actors, &actors::request_timeout_ms, {1, 600000, "milliseconds"}),
      number_key("reservation.hold_ttl_s", "A hold expires this long after it was made or extended",
                 &settings::reservation, &limits::hold_ttl_s, {1, 86400, "seconds"}),
      number_key("reservation.hold_max_lifetime_s",
                 "No hold lives longer, however often extended; at least hold_ttl_s",
                 &settings::reservation, &limits::hold_max_lifetime_s, {1, 604800, "seconds"}),
      number_key("reservation.max_seats_per_hold", "Seats or places in one hold",
                 &settings::reservation, &limits::max_seats_per_hold, {1, 1000, ""}),
      number_key("reservation.max_holds_per_customer", "Live holds of one customer in one event",
                 &settings::reservation, &limits::max_holds_per_customer, {1, 1000, ""}),
      number_key("reservation.max_tickets_per_customer",
                 "Tickets (held plus bought) per customer, for events that set none",
                 &settings::reservation, &limits::max_tickets_per_customer, {1, 10000, ""}),
      number_key("reservation.max_sections_per_event", "Sections in one event",
                 &settings::reservation, &limits::max_sections_per_event, {1, 10000, ""}),
      number_key("reservation.max_seats_per_section", "Seats or places in one section",
                 &settings::reservation, &limits::max_seats_per_section, {1, 10000000, ""}),
      number_key("reservation.ended_holds_kept_max",
                 "Ended holds remembered per section, to answer expired rather than not found",
                 &settings::reservation, &limits::ended_holds_kept_max, {0, 10000000, ""}),
      number_key("waiting_room.tick_ms", "Longest time between two admission rounds of a room",
                 &settings::waiting_room, &room::tick_ms, {5, 1000, "milliseconds"}),
      number_key("waiting_room.tickets_per_shopper",
                 "Seats set aside for each admitted shopper who holds none yet",
                 &settings::waiting_room, &room::tickets_per_shopper, {1, 100, "seats"}),
      number_key("waiting_room.stock_margin_pct",
                 "Share of the free seats the room admits shoppers against",
                 &settings::waiting_room, &room::stock_margin_pct, {1, 1000, "percent"}),
      number_key("waiting_room.refresh_after_s", "Poll interval suggested to waiting clients",
                 &settings::waiting_room, &room::refresh_after_s, {1, 300, "seconds"}),
      number_key("waiting_room.rate_per_s_max", "Highest admission rate an event may set",
                 &settings::waiting_room, &room::rate_per_s_max, {1, 1000000, "per second"}),
      number_key("waiting_room.queue_length_max", "Longest line an event may set",
                 &settings::waiting_room, &room::queue_length_max, {1, 100000000, "entries"}),
      number_key("waiting_room.pass_ttl_s_max", "Longest pass lifetime an event may set",
                 &settings::waiting_room, &room::pass_ttl_s_max, {1, 86400, "seconds"}),
      number_key("waiting_room.abandon_after_s",
                 "A waiter not heard from (poll or stream) this long is skipped at its turn",
                 &settings::waiting_room, &room::abandon_after_s, {3, 86400, "seconds"}),
      number_key("waiting_room.return_grace_s",
                 "A skipped waiter who comes back within this is next in line; later, it ends",
                 &settings::waiting_room, &room::return_grace_s, {1, 86400, "seconds"}),
      text_key("auth.jwt_secret", "Key that signs access tokens, at least 32 bytes; required",
               &settings::auth, &auth::jwt_secret, free_text, secrecy::whole),
      number_key("auth.access_token_ttl_s", "Lifetime of an access token", &settings::auth,
                 &auth::access_token_ttl_s, {10, 86400, "seconds"}),
      number_key("auth.refresh_token_ttl_s", "Lifetime of a refresh token", &settings::auth,
                 &auth::refresh_token_ttl_s, {60, 31536000, "seconds"}),
      number_key("auth.password_min_length", "Shortest password a signup may choose",
                 &settings::auth, &auth::password_min_length, {8, 128, "characters"}),
      number_key("auth.password_hash_iterations", "Argon2id passes per password hash",
                 &settings::auth, &auth::password_hash_iterations, {1, 16, ""}),
      number_key("auth.password_hash_memory_kib", "Argon2id memory per password hash",
                 &settings::auth, &auth::password_hash_memory_kib, {8, 4194304, "KiB"}),
      number_key("auth.workers", "Threads hashing passwords and reading the database",
                 &settings::auth, &auth::workers, {1, 64, ""}),
      number_key("auth.hash_queue_max",
                 "Signups and logins waiting for a worker; past it, 503 auth_busy + Retry-After",
                 &settings::auth, &auth::hash_queue_max, {0, 100000, "requests"}),
      number_key("auth.worker_nice",
                 "Nice value of the workers' threads, so hashing never takes the sale's cores",
                 &settings::auth, &auth::worker_nice, {0, 19, ""}),
      number_key("auth.attempts_per_address_per_min",
                 "Signup, login and refresh attempts per client address; 0: unlimited",
                 &settings::auth, &auth::attempts_per_address_per_min, {0, 1000000, "per minute"}),
      number_key("auth.attempts_per_account_per_min",
                 "Signup, login and refresh attempts per account; 0: unlimited", &settings::auth,
                 &auth::attempts_per_account_per_min, {0, 1000000, "per minute"}),
      number_key("auth.rate_limit_keys_max",
                 "Client addresses, or accounts, each rate limit remembers at most",
                 &settings::auth, &auth::rate_limit_keys_max, {1, 100000000, ""}),
      text_key("auth.admin_email", "With admin_password: the first admin, made (or reset) at start",
               &settings::auth, &auth::admin_email, email_or_empty, secrecy::none),
      text_key("auth.admin_password", "The password of that first admin", &settings::auth,
               &auth::admin_password, free_text, secrecy::whole),
      text_key("queue_pass.key_id", "Id of the key that signs admission passes",
               &settings::queue_pass, &pass::key_id, pass_key_id, secrecy::none),
      text_key("queue_pass.secret",
               "Key that signs admission passes, 32 bytes or more; empty: from auth.jwt_secret",
               &settings::queue_pass, &pass::secret, secret_or_empty, secrecy::whole),
      text_key("queue_pass.previous_key_id", "Id of the previous pass key (rotation); may be empty",
               &settings::queue_pass, &pass::previous_key_id, pass_key_id_or_empty,
               secrecy::none),
      text_key("queue_pass.previous_secret", "The previous pass key: it still verifies",
               &settings::queue_pass, &pass::previous_secret, secret_or_empty, secrecy::whole),
      number_key("idempotency.ttl_s", "Answers to an Idempotency-Key are replayed this long",
                 &settings::idempotency, &idempotency_settings::ttl_s, {60, 2592000, "seconds"}),
      number_key("idempotency.in_flight_max",
                 "Keyed requests running at once; past it, 503 + Retry-After",
                 &settings::idempotency, &idempotency_settings::in_flight_max, {1, 10000000, ""}),
      text_key("cluster.listen_address",
               "Address of the node port, which has no authentication of its own",
               &settings::cluster, &cluster::listen_address, listen_address, secrecy::none),
      number_key("cluster.listen_port", "TCP port of the node port; 0: no node port",
                 &settings::cluster, &cluster::listen_port, {0, 65535, ""}),
      // --- Cluster mode (issue 13) ---
      flag_key("cluster.enabled", "Join a cluster of nodes sharing one PostgreSQL database",
               &settings::cluster, &cluster::enabled),
      text_key("cluster.node_id", "This node's name in the cluster; required in cluster mode",
               &settings::cluster, &cluster::node_id, node_id_or_empty, secrecy::none),
      text_key("cluster.advertise_host",
               "Host other nodes and operators reach this node at; empty: listen_address",
               &settings::cluster, &cluster::advertise_host, host_or_empty, secrecy::none),
      number_key("cluster.lease_s",
                 "A node not heard from this long (database clock) is declared dead",
                 &settings::cluster, &cluster::lease_s, {1, 600, "seconds"}),
      number_key("cluster.heartbeat_ms", "How often a node renews its lease; 3 or more per lease",
                 &settings::cluster, &cluster::heartbeat_ms, {50, 200000, "milliseconds"}),
      number_key("cluster.poll_ms",
                 "How often the member list is read and expired members declared dead",
                 &settings::cluster, &cluster::poll_ms, {50, 600000, "milliseconds"}),
      number_key("cluster.commit_idle_timeout_ms",
                 "A fenced commit idle this long inside its transaction is rolled back",
                 &settings::cluster, &cluster::commit_idle_timeout_ms,
                 {100, 600000, "milliseconds"}),
      number_key("cluster.take_lock_timeout_ms",
                 "How long taking an event waits for a commit that holds its row",
                 &settings::cluster, &cluster::take_lock_timeout_ms, {10, 60000, "milliseconds"}),
      number_key("cluster.link_heartbeat_ms", "How often linked nodes send each other a heartbeat",
                 &settings::cluster, &cluster::link_heartbeat_ms, {10, 60000, "milliseconds"}),
      number_key("cluster.link_timeout_ms",
                 "A link silent this long is dropped; its pending requests fail at once",
                 &settings::cluster, &cluster::link_timeout_ms, {20, 600000, "milliseconds"}),
      number_key("cluster.link_connect_timeout_ms",
                 "How long connecting to a peer (TCP, TLS, handshake) may take",
                 &settings::cluster, &cluster::link_connect_timeout_ms,
                 {10, 600000, "milliseconds"}),
      text_key("cluster.tls_ca_file", "PEM file of the cluster's CA; peers must be signed by it",
               &settings::cluster, &cluster::tls_ca_file, free_text, secrecy::none),
      text_key("cluster.tls_cert_file", "PEM file of this node's certificate (signed by that CA)",
               &settings::cluster, &cluster::tls_cert_file, free_text, secrecy::none),
      text_key("cluster.tls_key_file", "PEM file of this node's private key",
               &settings::cluster, &cluster::tls_key_file, free_text, secrecy::none),
      text_key("cluster.tls_key_passphrase", "Passphrase of an encrypted private key",
               &settings::cluster, &cluster::tls_key_passphrase, free_text, secrecy::whole),
      number_key("cluster.forward_retries_max",
                 "Tries of a request whose event is moving (5 to 50 ms apart, within its deadline)",
                 &settings::cluster, &cluster::forward_retries_max, {0, 1000, ""}),
      number_key("cluster.moves_in_flight_max", "Events this node moves to other nodes at once",
                 &settings::cluster, &cluster::moves_in_flight_max, {1, 1024, ""}),
      number_key("cluster.loader_workers",
                 "Database connections recovering the events that move to this node",
                 &settings::cluster, &cluster::loader_workers, {1, 64, ""}),
      // --- end of cluster mode ---
  };
  return table;
}

const key_descriptor* find_key(const std::string& path) {
  for (const auto& key : key_table()) {
    if (key.path == path) {
      return &key;
    }
  }
  return nullptr;
}

bool is_section(const std::string& path) {
  for (const auto& key : key_table()) {
    if (key.path.size() > path.size() && key.path.compare(0, path.size(), path) == 0 &&
        key.path[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

// The header comment of each section in the documented example.
const char* section_description(const std::string& section) {
  static const std::pair<const char*, const char*> descriptions[] = {
      {"server", "the process"},
      {"log", "log records on standard output"},
      {"http", "the HTTP API"},
      {"database", "where every acknowledged change is committed, and group commit"},
      {"actors", "the actor system: threads, idle events, timeouts"},
      {"reservation", "the rules of holds, and limits per hold, customer, event and section"},
      {"waiting_room", "the waiting rooms of events: admission rounds, stock, bounds of settings"},
      {"auth", "accounts and tokens: signing, password hashing, rate limits, the first admin"},
      {"queue_pass", "the keys of waiting-room admission passes (HMAC-SHA256), for rotation"},
      {"idempotency", "answers replayed for a repeated Idempotency-Key"},
      {"cluster", "the node port (expose it on a trusted network only) and cluster mode"},
  };
  for (const auto& [name, description] : descriptions) {
    if (section == name) {
      return description;
    }
  }
  throw std::logic_error("config: section " + section + " has no description");
}

std::string env_name(const std::string& path) {
  std::string name = "BOXOFFICE_";
  for (const unsigned char c : path) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  }
  return name;
}

// (dotted path, scalar text) in document order.
using flat_values = std::vector<std::pair<std::string, std::string>>;

std::string child_path(const std::string& parent, const YAML::Node& key) {
  if (!key.IsScalar()) {
    throw config_error("config: " + (parent.empty() ? std::string("top level") : parent) +
                       ": a key must be a plain name");
  }
  return parent.empty() ? key.Scalar() : parent + "." + key.Scalar();
}

[[noreturn]] void throw_unknown_key(const std::string& path) {
  throw config_error("config: unknown key '" + path + "'");
}

// A key given a map or a list, or a section given a value or a list. `got`
// may be a value written one level too high, such as a database URL.
[[noreturn]] void throw_wrong_shape(const std::string& path, const std::string& got) {
  const char* expected = is_section(path) ? "a map of keys" : "a single value";
  throw config_error("config: " + path + ": expected " + expected + ", got " +
                     mask_url_password(got));
}

void flatten(const YAML::Node& node, const std::string& path, flat_values& out) {
  switch (node.Type()) {
  case YAML::NodeType::Map:
    if (find_key(path) != nullptr) {
      throw_wrong_shape(path, "a map");
    }
    for (const auto& entry : node) {
      flatten(entry.second, child_path(path, entry.first), out);
    }
    return;
  case YAML::NodeType::Sequence:
    if (find_key(path) == nullptr && !is_section(path)) {
      throw_unknown_key(path);
    }
    throw_wrong_shape(path, "a list");
  case YAML::NodeType::Null:
    // "http:" with nothing under it is an empty section; a key with
    // nothing after it is an empty value, which its parser rejects.
    if (!is_section(path)) {
      out.emplace_back(path, "");
    }
    return;
  default:
    out.emplace_back(path, node.Scalar());
    return;
  }
}

// `file` names the source in syntax errors; empty for in-memory text.
flat_values flatten_yaml(const std::string& yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& error) {
    const std::string where = file.empty() ? "" : " in '" + file + "'";
    throw config_error("config: YAML syntax error" + where + " at line " +
                       std::to_string(error.mark.line + 1) + ", column " +
                       std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  flat_values values;
  if (root.IsNull()) {
    return values;
  }
  if (!root.IsMap()) {
    throw config_error(
        "config: the YAML document must be a map of sections (http:, database:, ...)");
  }
  flatten(root, "", values);
  return values;
}

void apply_yaml(const flat_values& values, settings& s) {
  for (const auto& [path, text] : values) {
    const key_descriptor* key = find_key(path);
    if (key != nullptr) {
      key->parse(s, text, path);
    } else if (is_section(path)) {
      throw_wrong_shape(path, "'" + text + "'");
    } else {
      throw_unknown_key(path);
    }
  }
}

void apply_env(const env_lookup& env, settings& s) {
  for (const auto& key : key_table()) {
    const std::string name = env_name(key.path);
    if (const auto text = env(name)) {
      key.parse(s, *text, name + " (" + key.path + ")");
    }
  }
}

// Rules between keys, checked once every source has been applied so that
// raising both values in different sources is not rejected half-way.
// "config: a: '5' is less than b (allowed 6 unit or more)".
[[noreturn]] void order_broken(const char* key, uint64_t value, const char* bound_key,
                               uint64_t allowed_min, const char* unit) {
  throw config_error("config: " + std::string(key) + ": '" + std::to_string(value)
                     + "' is less than " + bound_key + " (allowed "
                     + std::to_string(allowed_min) + " " + unit + " or more)");
}

void check_cross_key_rules(const settings& s) {
  const auto& limits = s.reservation;
  if (limits.hold_max_lifetime_s < limits.hold_ttl_s)
    order_broken("reservation.hold_max_lifetime_s", limits.hold_max_lifetime_s,
                 "reservation.hold_ttl_s", limits.hold_ttl_s, "seconds");
  // One deadline per request: what waits inside it must give up first.
  const auto& h = s.http;
  if (h.request_deadline_ms <= s.actors.request_timeout_ms)
    order_broken("http.request_deadline_ms", h.request_deadline_ms, "actors.request_timeout_ms",
                 s.actors.request_timeout_ms + 1, "milliseconds");
  if (!s.queue_pass.previous_key_id.empty()
      && s.queue_pass.previous_key_id == s.queue_pass.key_id)
    throw config_error("config: queue_pass.previous_key_id: '" + s.queue_pass.previous_key_id
                       + "' is also queue_pass.key_id; a rotated key needs a new id");
  // A waiter who polls as told, or whose stream polls, must never look away.
  const auto& room = s.waiting_room;
  if (room.abandon_after_s < uint64_t{room.refresh_after_s} * 3)
    order_broken("waiting_room.abandon_after_s", room.abandon_after_s,
                 "three waiting_room.refresh_after_s", uint64_t{room.refresh_after_s} * 3,
                 "seconds");
  if (uint64_t{room.abandon_after_s} * 1000 < uint64_t{h.queue_stream_poll_ms} * 3)
    order_broken("waiting_room.abandon_after_s", room.abandon_after_s,
                 "three http.queue_stream_poll_ms", (uint64_t{h.queue_stream_poll_ms} * 3 + 999) / 1000,
                 "seconds");
  // The idle close must not overtake a request that is still arriving.
  for (auto [key, timeout] : {std::pair{"http.header_timeout_s", h.header_timeout_s},
                              std::pair{"http.body_timeout_s", h.body_timeout_s}})
    if (h.keepalive_timeout_s <= timeout)
      order_broken("http.keepalive_timeout_s", h.keepalive_timeout_s, key, timeout + 1,
                   "seconds");
}

// --- Cluster mode rules (issue 13) -----------------------------------------
// The timing rules hold whether or not cluster mode is on, so that turning
// it on never reveals a bad value late; the rest only in cluster mode.
void check_cluster_rules(const settings& s) {
  const auto& c = s.cluster;
  const uint64_t lease_ms = uint64_t{c.lease_s} * 1000;
  if (lease_ms < uint64_t{c.heartbeat_ms} * 3)
    throw config_error("config: cluster.lease_s: '" + std::to_string(c.lease_s) +
                       "' is shorter than three cluster.heartbeat_ms (allowed " +
                       std::to_string((uint64_t{c.heartbeat_ms} * 3 + 999) / 1000) +
                       " seconds or more)");
  if (c.poll_ms >= lease_ms)
    throw config_error("config: cluster.poll_ms: '" + std::to_string(c.poll_ms) +
                       "' is not shorter than cluster.lease_s (allowed less than " +
                       std::to_string(lease_ms) + " milliseconds)");
  if (c.link_timeout_ms < uint64_t{c.link_heartbeat_ms} * 2)
    throw config_error("config: cluster.link_timeout_ms: '" + std::to_string(c.link_timeout_ms) +
                       "' is shorter than two cluster.link_heartbeat_ms (allowed " +
                       std::to_string(uint64_t{c.link_heartbeat_ms} * 2) +
                       " milliseconds or more)");
  if (!c.enabled)
    return;
  if (!has_prefix_and_more(s.database.url, "postgresql://"))
    throw config_error("config: cluster.enabled: cluster mode needs PostgreSQL, but database.url "
                       "is '" + mask_url_password(s.database.url) +
                       "' (SQLite stays single-node)");
  if (c.node_id.empty())
    throw config_error("config: cluster.node_id: '' is not allowed in cluster mode (allowed " +
                       std::string(node_id_or_empty.allowed) + ", not empty)");
  if (c.listen_port == 0)
    throw config_error("config: cluster.listen_port: '0' is not allowed in cluster mode (allowed "
                       "1..65535: other nodes reach this one there)");
  for (auto [key, file] : {std::pair{"cluster.tls_ca_file", &c.tls_ca_file},
                           std::pair{"cluster.tls_cert_file", &c.tls_cert_file},
                           std::pair{"cluster.tls_key_file", &c.tls_key_file}})
    if (file->empty())
      throw config_error(std::string("config: ") + key + ": '' is not allowed in cluster mode "
                         "(allowed a PEM file: node links are mutual TLS only; "
                         "tools/make-cluster-certs.sh makes them)");
}
// --- end of cluster mode rules -----------------------------------------------

settings load(const std::string& yaml_text, const std::string& file, const env_lookup& env) {
  settings s;
  apply_yaml(flatten_yaml(yaml_text, file), s);
  apply_env(env, s);
  check_cross_key_rules(s);
  check_cluster_rules(s);
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw config_error("config: cannot read config file '" + path + "': " + std::strerror(errno));
  }
  std::string text;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  // A directory opens fine on Linux and only fails on the first read.
  if (in.bad()) {
    throw config_error("config: cannot read config file '" + path + "': " + std::strerror(errno));
  }
  return text;
}

} // namespace

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

settings load_settings_from_string(const std::string& yaml_text, const env_lookup& env) {
  return load(yaml_text, "", env);
}

settings load_settings(const std::optional<std::string>& path, const env_lookup& env) {
  if (!path) {
    return load("", "", env);
  }
  return load(read_file(*path), *path, env);
}

std::string render_settings(const settings& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string open_section;
  for (const auto& key : key_table()) {
    const auto dot = key.path.find('.');
    const std::string section = key.path.substr(0, dot);
    if (section != open_section) {
      if (!open_section.empty()) {
        out << YAML::EndMap;
      }
      out << YAML::Key << section << YAML::Value << YAML::BeginMap;
      open_section = section;
    }
    out << YAML::Key << key.path.substr(dot + 1) << YAML::Value
        << shown_value(key.secret, key.render(s));
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

// A scalar as YAML writes it: quoted only where plain text would read as
// something else.
std::string yaml_scalar(const std::string& text) {
  YAML::Emitter out;
  out << text;
  return out.c_str();
}

constexpr const char* documented_header =
    "# boxoffice configuration: every key, its default and what is allowed.\n"
    "#\n"
    "# boxoffice serve --config /etc/boxoffice/boxoffice.yaml\n"
    "#\n"
    "# Every key is optional; a key left out keeps its default. The environment\n"
    "# overrides any key: BOXOFFICE_ and the key's path, upper-cased, dots as\n"
    "# underscores (http.port: BOXOFFICE_HTTP_PORT). A bad key or value stops\n"
    "# the start with one line naming it.\n"
    "#\n"
    "# Secrets never go in this file: set them in the environment (with systemd,\n"
    "# in /etc/boxoffice/secrets.env; see deploy/boxoffice.service).\n";

std::string render_documented_settings(const settings& s) {
  const settings defaults;
  std::string text = documented_header;
  std::string open_section;
  for (const auto& key : key_table()) {
    const auto dot = key.path.find('.');
    const std::string section = key.path.substr(0, dot);
    const std::string leaf = key.path.substr(dot + 1);
    if (section != open_section) {
      text += "\n# " + section + ": " + section_description(section) + "\n" + section + ":\n";
      open_section = section;
    }
    const std::string default_value = key.render(defaults);
    text += "  # " + key.description + " (default " +
            (default_value.empty() ? "empty" : default_value) + ", allowed " + key.allowed + ")\n";
    if (key.secret == secrecy::whole) {
      text += "  # A secret: set " + env_name(key.path) + " in the environment instead.\n";
      text += "  # " + leaf + ": \"\"\n";
    } else {
      text += "  " + leaf + ": " + yaml_scalar(shown_value(key.secret, key.render(s))) + "\n";
    }
  }
  return text;
}

std::vector<std::string> setting_keys() {
  std::vector<std::string> paths;
  for (const auto& key : key_table()) {
    paths.push_back(key.path);
  }
  return paths;
}

} // namespace boxoffice
