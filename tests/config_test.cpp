// Tests for config/settings: defaults, YAML and environment precedence,
// strict validation with one-line errors naming the key, rendering, and the
// documented example deploy/boxoffice.yaml. The environment is always a fake
// map; the process environment is read only for BOXOFFICE_REGENERATE_EXAMPLE.
#include "config/settings.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using boxoffice::config_error;
using boxoffice::load_settings;
using boxoffice::load_settings_from_string;
using boxoffice::settings;

using fake_env_values = std::map<std::string, std::string>;

boxoffice::env_lookup fake_env(fake_env_values values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    const auto found = values.find(name);
    if (found == values.end()) {
      return std::nullopt;
    }
    return found->second;
  };
}

const boxoffice::env_lookup no_env = fake_env({});

// The config_error message of loading `yaml_text` with `env`, or a test
// failure when loading succeeds or throws something else.
std::string load_error(const std::string& yaml_text, const fake_env_values& env = {}) {
  try {
    load_settings_from_string(yaml_text, fake_env(env));
  } catch (const config_error& error) {
    return error.what();
  }
  BOOST_ERROR("expected config_error for YAML:\n" << yaml_text);
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void check_contains(const std::string& text, const std::string& part) {
  BOOST_TEST(contains(text, part), "'" << text << "' does not contain '" << part << "'");
}

// Field by field, so that a key the loader or renderer forgets is caught
// here rather than compared away.
void check_equal(const settings& actual, const settings& expected) {
  BOOST_TEST(actual.server.shutdown_grace_s == expected.server.shutdown_grace_s);
  BOOST_TEST(actual.log.format == expected.log.format);
  BOOST_TEST(actual.log.level == expected.log.level);
  BOOST_TEST(actual.http.address == expected.http.address);
  BOOST_TEST(actual.http.port == expected.http.port);
  BOOST_TEST(actual.http.threads == expected.http.threads);
  BOOST_TEST(actual.http.max_body_bytes == expected.http.max_body_bytes);
  BOOST_TEST(actual.http.header_bytes_max == expected.http.header_bytes_max);
  BOOST_TEST(actual.http.target_bytes_max == expected.http.target_bytes_max);
  BOOST_TEST(actual.http.header_timeout_s == expected.http.header_timeout_s);
  BOOST_TEST(actual.http.body_timeout_s == expected.http.body_timeout_s);
  BOOST_TEST(actual.http.keepalive_timeout_s == expected.http.keepalive_timeout_s);
  BOOST_TEST(actual.http.request_deadline_ms == expected.http.request_deadline_ms);
  BOOST_TEST(actual.http.pipelined_requests_max == expected.http.pipelined_requests_max);
  BOOST_TEST(actual.http.trusted_proxies == expected.http.trusted_proxies,
             boost::test_tools::per_element());
  BOOST_TEST(actual.database.url == expected.database.url);
  BOOST_TEST(actual.database.journal_batch_rows_max == expected.database.journal_batch_rows_max);
  BOOST_TEST(actual.database.journal_batch_wait_ms == expected.database.journal_batch_wait_ms);
  BOOST_TEST(actual.database.journal_queue_rows_max == expected.database.journal_queue_rows_max);
  BOOST_TEST(actual.database.journal_batches_in_flight_max
             == expected.database.journal_batches_in_flight_max);
  BOOST_TEST(actual.actors.threads == expected.actors.threads);
  BOOST_TEST(actual.actors.event_idle_stop_s == expected.actors.event_idle_stop_s);
  BOOST_TEST(actual.actors.event_backlog_max == expected.actors.event_backlog_max);
  BOOST_TEST(actual.actors.request_timeout_ms == expected.actors.request_timeout_ms);
  const auto& got = actual.reservation;
  const auto& want = expected.reservation;
  BOOST_TEST(got.hold_ttl_s == want.hold_ttl_s);
  BOOST_TEST(got.hold_max_lifetime_s == want.hold_max_lifetime_s);
  BOOST_TEST(got.max_seats_per_hold == want.max_seats_per_hold);
  BOOST_TEST(got.max_holds_per_customer == want.max_holds_per_customer);
  BOOST_TEST(got.max_tickets_per_customer == want.max_tickets_per_customer);
  BOOST_TEST(got.max_sections_per_event == want.max_sections_per_event);
  BOOST_TEST(got.max_seats_per_section == want.max_seats_per_section);
  BOOST_TEST(got.ended_holds_kept_max == want.ended_holds_kept_max);
  BOOST_TEST(actual.cluster.listen_address == expected.cluster.listen_address);
  BOOST_TEST(actual.cluster.listen_port == expected.cluster.listen_port);
  BOOST_TEST(actual.cluster.enabled == expected.cluster.enabled);
  BOOST_TEST(actual.cluster.node_id == expected.cluster.node_id);
  BOOST_TEST(actual.cluster.advertise_host == expected.cluster.advertise_host);
  BOOST_TEST(actual.cluster.lease_s == expected.cluster.lease_s);
  BOOST_TEST(actual.cluster.heartbeat_ms == expected.cluster.heartbeat_ms);
  BOOST_TEST(actual.cluster.poll_ms == expected.cluster.poll_ms);
  BOOST_TEST(actual.cluster.forward_retries_max == expected.cluster.forward_retries_max);
  BOOST_TEST(actual.cluster.moves_in_flight_max == expected.cluster.moves_in_flight_max);
  BOOST_TEST(actual.cluster.loader_workers == expected.cluster.loader_workers);
}

// Every field differs from its default, so a key that is not loaded or not
// rendered shows up as a mismatch.
settings non_default_settings() {
  settings s;
  s.server.shutdown_grace_s = 30;
  s.log.format = "text";
  s.log.level = "debug";
  s.http.address = "0.0.0.0";
  s.http.trusted_proxies = {"10.0.0.1", "::1", "2001:db8::17"};
  s.http.port = 9443;
  s.http.threads = 8;
  s.http.max_body_bytes = 1048576;
  s.http.header_bytes_max = 16384;
  s.http.target_bytes_max = 2048;
  s.http.header_timeout_s = 5;
  s.http.body_timeout_s = 20;
  s.http.keepalive_timeout_s = 30;
  s.http.request_deadline_ms = 4000;
  s.http.pipelined_requests_max = 8;
  s.database.url = "sqlite:///var/lib/boxoffice/data.db";
  s.actors.threads = 6;
  s.actors.event_idle_stop_s = 0;
  s.actors.event_backlog_max = 4096;
  s.actors.request_timeout_ms = 2500;
  s.reservation.hold_ttl_s = 300;
  s.reservation.hold_max_lifetime_s = 900;
  s.reservation.max_seats_per_hold = 6;
  s.reservation.max_holds_per_customer = 2;
  s.reservation.max_tickets_per_customer = 12;
  s.reservation.max_sections_per_event = 128;
  s.reservation.max_seats_per_section = 50000;
  s.reservation.ended_holds_kept_max = 0;
  // cluster.enabled stays false: cluster mode needs a PostgreSQL URL.
  s.cluster.node_id = "node-7";
  s.cluster.advertise_host = "10.0.0.7";
  s.cluster.lease_s = 5;
  s.cluster.heartbeat_ms = 500;
  s.cluster.poll_ms = 250;
  s.cluster.forward_retries_max = 80;
  s.cluster.moves_in_flight_max = 4;
  s.cluster.loader_workers = 8;
  return s;
}

// A file under the temp directory, removed when the test ends.
struct temp_file {
  std::filesystem::path path;

  explicit temp_file(const std::string& text)
      : path(std::filesystem::temp_directory_path() /
             ("boxoffice_config_test_" + std::to_string(::getpid()) + ".yaml")) {
    std::ofstream(path) << text;
  }
  ~temp_file() { std::filesystem::remove(path); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(empty_yaml_gives_the_struct_defaults) {
  for (const std::string text : {"", "\n", "# only a comment\n", "---\n"}) {
    BOOST_TEST_CONTEXT("YAML '" << text << "'") {
      check_equal(load_settings_from_string(text, no_env), settings{});
    }
  }
}

BOOST_AUTO_TEST_CASE(no_path_gives_the_struct_defaults) {
  check_equal(load_settings(std::nullopt, no_env), settings{});
}

BOOST_AUTO_TEST_CASE(yaml_overrides_defaults_and_leaves_other_keys_alone) {
  const auto s = load_settings_from_string("http:\n"
                                           "  port: 9000\n"
                                           "database:\n"
                                           "  url: postgresql://box:pw@db:5432/box\n"
                                           "reservation:\n"
                                           "  hold_ttl_s: 120\n",
                                           no_env);
  settings expected;
  expected.http.port = 9000;
  expected.database.url = "postgresql://box:pw@db:5432/box";
  expected.reservation.hold_ttl_s = 120;
  check_equal(s, expected);
}

BOOST_AUTO_TEST_CASE(an_empty_section_is_allowed) {
  check_equal(load_settings_from_string("http:\nactors: {}\n", no_env), settings{});
}

BOOST_AUTO_TEST_CASE(yaml_file_is_loaded) {
  const temp_file file("actors:\n  threads: 7\n");
  BOOST_TEST(load_settings(file.path.string(), no_env).actors.threads == 7u);
}

BOOST_AUTO_TEST_CASE(environment_overrides_yaml) {
  const auto s = load_settings_from_string(
      "http:\n  port: 9000\n  threads: 3\n",
      fake_env({{"BOXOFFICE_HTTP_PORT", "9100"}, {"BOXOFFICE_RESERVATION_HOLD_TTL_S", "60"}}));
  BOOST_TEST(s.http.port == 9100);
  BOOST_TEST(s.http.threads == 3u);
  BOOST_TEST(s.reservation.hold_ttl_s == 60u);
}

BOOST_AUTO_TEST_CASE(environment_overrides_a_yaml_file) {
  const temp_file file("http:\n  port: 9000\n");
  const auto s = load_settings(file.path.string(), fake_env({{"BOXOFFICE_HTTP_PORT", "9100"}}));
  BOOST_TEST(s.http.port == 9100);
}

BOOST_AUTO_TEST_CASE(unknown_nested_key_is_named) {
  check_contains(load_error("http:\n  prot: 80\n"), "unknown key 'http.prot'");
}

BOOST_AUTO_TEST_CASE(unknown_top_level_key_is_named) {
  check_contains(load_error("htp:\n  port: 80\n"), "unknown key 'htp.port'");
  check_contains(load_error("verbose: true\n"), "unknown key 'verbose'");
}

BOOST_AUTO_TEST_CASE(map_or_list_where_a_value_belongs_is_rejected) {
  check_contains(load_error("http:\n  port:\n    value: 80\n"),
                 "http.port: expected a single value, got a map");
  check_contains(load_error("http:\n  port: [80, 81]\n"),
                 "http.port: expected a single value, got a list");
  check_contains(load_error("http: [port, 80]\n"), "http: expected a map of keys, got a list");
  check_contains(load_error("http: 80\n"), "http: expected a map of keys, got '80'");
  check_contains(load_error("verbose: [1, 2]\n"), "unknown key 'verbose'");
  check_contains(load_error("- http\n"), "map of sections");
}

BOOST_AUTO_TEST_CASE(bad_values_are_rejected_naming_key_and_value) {
  struct bad_case {
    const char* yaml;
    const char* expected;
  };
  const bad_case cases[] = {
      {"http:\n  port: abc\n", "config: http.port: 'abc' is not a whole number (allowed 1..65535)"},
      {"reservation:\n  hold_ttl_s: 0\n",
       "config: reservation.hold_ttl_s: '0' is out of range (allowed 1..86400 seconds)"},
      {"reservation:\n  hold_ttl_s: 86401\n", "reservation.hold_ttl_s: '86401' is out of range"},
      {"http:\n  port: 65536\n", "http.port: '65536' is out of range"},
      {"http:\n  port: 99999999999999999999999\n", "http.port: '99999999999999999999999' is out"},
      {"http:\n  threads: -1\n", "http.threads: '-1' is not a whole number (allowed 1..64)"},
      {"http:\n  threads: +2\n", "http.threads: '+2' is not a whole number"},
      {"http:\n  threads: 2x\n", "http.threads: '2x' is not a whole number"},
      {"http:\n  max_body_bytes: 1e4\n", "http.max_body_bytes: '1e4' is not a whole number"},
      {"http:\n  threads: \" 2\"\n", "http.threads: ' 2' is not a whole number"},
      {"http:\n  threads: 2.5\n", "http.threads: '2.5' is not a whole number"},
      {"http:\n  threads:\n", "http.threads: '' is not a whole number"},
      {"http:\n  threads: \"\"\n", "http.threads: '' is not a whole number"},
      {"http:\n  address: \"\"\n", "http.address: '' is not allowed"},
      {"database:\n  url: mysql://db/box\n", "database.url: 'mysql://db/box' is not allowed"},
      {"database:\n  url: sqlite://\n", "database.url: 'sqlite://' is not allowed"},
      {"actors:\n  request_timeout_ms: 0\n",
       "actors.request_timeout_ms: '0' is out of range (allowed 1..600000 milliseconds)"},
      {"server:\n  shutdown_grace_s: 0\n",
       "config: server.shutdown_grace_s: '0' is out of range (allowed 1..3600 seconds)"},
      {"server:\n  shutdown_grace_s: 10s\n",
       "server.shutdown_grace_s: '10s' is not a whole number (allowed 1..3600 seconds)"},
      {"log:\n  format: yaml\n",
       "config: log.format: 'yaml' is not allowed (allowed json or text)"},
      {"log:\n  format: JSON\n", "log.format: 'JSON' is not allowed"},
      {"log:\n  level: verbose\n",
       "config: log.level: 'verbose' is not allowed "
       "(allowed trace, debug, info, warn, error, critical or off)"},
      {"log:\n  level: warning\n", "log.level: 'warning' is not allowed"},
      {"log:\n  level:\n", "log.level: '' is not allowed"},
      {"http:\n  trusted_proxies: 10.0.0.1,proxy.internal\n",
       "config: http.trusted_proxies: '10.0.0.1,proxy.internal' has 'proxy.internal', not an IPv4 "
       "or IPv6 address (allowed IP addresses separated by commas, or empty)"},
      {"http:\n  trusted_proxies: 10.0.0.0/8\n", "has '10.0.0.0/8', not an IPv4 or IPv6 address"},
      {"http:\n  trusted_proxies: 10.0.0.256\n", "has '10.0.0.256', not an IPv4"},
      {"http:\n  trusted_proxies: 10.1\n", "has '10.1', not an IPv4"},
      {"http:\n  trusted_proxies: \"10.0.0.1,\"\n", "has '', not an IPv4"},
      {"http:\n  trusted_proxies: \"10.0.0.1,,::1\"\n", "has '', not an IPv4"},
      {"http:\n  trusted_proxies: \" \"\n", "has '', not an IPv4"},
      {"http:\n  trusted_proxies: fe80::1%eth0\n", "has 'fe80::1%eth0', not an IPv4"},
      {"http:\n  trusted_proxies: [10.0.0.1, 10.0.0.2]\n",
       "http.trusted_proxies: expected a single value, got a list"},
  };
  for (const auto& bad : cases) {
    BOOST_TEST_CONTEXT("YAML:\n" << bad.yaml) {
      const auto message = load_error(bad.yaml);
      check_contains(message, bad.expected);
      BOOST_TEST(!contains(message, "\n"), "error is not one line: " << message);
    }
  }
}

// The documented range of every number key: both bounds accepted, one
// past either bound rejected with the range in the message. The YAML base
// makes every rule between keys hold at every bound, so only the range
// check can reject.
BOOST_AUTO_TEST_CASE(each_number_key_accepts_exactly_its_documented_range) {
  struct documented_range {
    const char* path;
    const char* env_name;
    uint64_t min;
    uint64_t max;
  };
  const documented_range ranges[] = {
      {"http.port", "BOXOFFICE_HTTP_PORT", 1, 65535},
      {"http.threads", "BOXOFFICE_HTTP_THREADS", 1, 64},
      {"http.max_body_bytes", "BOXOFFICE_HTTP_MAX_BODY_BYTES", 1024, 16777216},
      {"http.header_bytes_max", "BOXOFFICE_HTTP_HEADER_BYTES_MAX", 1024, 65536},
      {"http.target_bytes_max", "BOXOFFICE_HTTP_TARGET_BYTES_MAX", 64, 65536},
      {"http.header_timeout_s", "BOXOFFICE_HTTP_HEADER_TIMEOUT_S", 1, 3600},
      {"http.body_timeout_s", "BOXOFFICE_HTTP_BODY_TIMEOUT_S", 1, 3600},
      {"http.keepalive_timeout_s", "BOXOFFICE_HTTP_KEEPALIVE_TIMEOUT_S", 2, 86400},
      {"http.request_deadline_ms", "BOXOFFICE_HTTP_REQUEST_DEADLINE_MS", 100, 3600000},
      {"http.pipelined_requests_max", "BOXOFFICE_HTTP_PIPELINED_REQUESTS_MAX", 1, 1024},
      {"server.shutdown_grace_s", "BOXOFFICE_SERVER_SHUTDOWN_GRACE_S", 1, 3600},
      {"actors.threads", "BOXOFFICE_ACTORS_THREADS", 1, 64},
      {"actors.event_idle_stop_s", "BOXOFFICE_ACTORS_EVENT_IDLE_STOP_S", 0, 604800},
      {"actors.event_backlog_max", "BOXOFFICE_ACTORS_EVENT_BACKLOG_MAX", 1, 1000000},
      {"actors.request_timeout_ms", "BOXOFFICE_ACTORS_REQUEST_TIMEOUT_MS", 1, 600000},
      {"reservation.hold_ttl_s", "BOXOFFICE_RESERVATION_HOLD_TTL_S", 1, 86400},
      {"reservation.hold_max_lifetime_s", "BOXOFFICE_RESERVATION_HOLD_MAX_LIFETIME_S", 1, 604800},
      {"reservation.max_seats_per_hold", "BOXOFFICE_RESERVATION_MAX_SEATS_PER_HOLD", 1, 1000},
      {"reservation.max_holds_per_customer", "BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER", 1,
       1000},
      {"reservation.max_tickets_per_customer", "BOXOFFICE_RESERVATION_MAX_TICKETS_PER_CUSTOMER", 1,
       10000},
      {"reservation.max_sections_per_event", "BOXOFFICE_RESERVATION_MAX_SECTIONS_PER_EVENT", 1,
       10000},
      {"reservation.max_seats_per_section", "BOXOFFICE_RESERVATION_MAX_SEATS_PER_SECTION", 1,
       10000000},
      {"reservation.ended_holds_kept_max", "BOXOFFICE_RESERVATION_ENDED_HOLDS_KEPT_MAX", 0,
       10000000},
      {"http.queue_heartbeat_s", "BOXOFFICE_HTTP_QUEUE_HEARTBEAT_S", 1, 15},
      {"http.queue_stream_poll_ms", "BOXOFFICE_HTTP_QUEUE_STREAM_POLL_MS", 50, 10000},
      {"http.queue_streams_max", "BOXOFFICE_HTTP_QUEUE_STREAMS_MAX", 1, 1000000},
      {"waiting_room.tick_ms", "BOXOFFICE_WAITING_ROOM_TICK_MS", 5, 1000},
      {"waiting_room.tickets_per_shopper", "BOXOFFICE_WAITING_ROOM_TICKETS_PER_SHOPPER", 1, 100},
      {"waiting_room.stock_margin_pct", "BOXOFFICE_WAITING_ROOM_STOCK_MARGIN_PCT", 1, 1000},
      {"waiting_room.refresh_after_s", "BOXOFFICE_WAITING_ROOM_REFRESH_AFTER_S", 1, 300},
      {"waiting_room.rate_per_s_max", "BOXOFFICE_WAITING_ROOM_RATE_PER_S_MAX", 1, 1000000},
      {"waiting_room.queue_length_max", "BOXOFFICE_WAITING_ROOM_QUEUE_LENGTH_MAX", 1, 100000000},
      {"waiting_room.pass_ttl_s_max", "BOXOFFICE_WAITING_ROOM_PASS_TTL_S_MAX", 1, 86400},
      {"waiting_room.abandon_after_s", "BOXOFFICE_WAITING_ROOM_ABANDON_AFTER_S", 3, 86400},
      {"waiting_room.return_grace_s", "BOXOFFICE_WAITING_ROOM_RETURN_GRACE_S", 1, 86400},
      {"cluster.forward_retries_max", "BOXOFFICE_CLUSTER_FORWARD_RETRIES_MAX", 0, 1000},
      {"cluster.moves_in_flight_max", "BOXOFFICE_CLUSTER_MOVES_IN_FLIGHT_MAX", 1, 1024},
      {"cluster.loader_workers", "BOXOFFICE_CLUSTER_LOADER_WORKERS", 1, 64},
  };
  const std::string base =
    "reservation:\n  hold_ttl_s: 1\n  hold_max_lifetime_s: 604800\n"
    "http:\n  header_timeout_s: 1\n  body_timeout_s: 1\n  keepalive_timeout_s: 86400\n"
    "  request_deadline_ms: 3600000\n  queue_stream_poll_ms: 50\nactors:\n  request_timeout_ms: 1\n"
    "waiting_room:\n  refresh_after_s: 1\n  abandon_after_s: 86400\n";
  for (const auto& range : ranges) {
    BOOST_TEST_CONTEXT("key " << range.path) {
      const std::string leaf =
          std::string(range.path).substr(std::string(range.path).find('.') + 1);
      for (const uint64_t accepted : {range.min, range.max}) {
        const auto value = std::to_string(accepted);
        const auto s = load_settings_from_string(base, fake_env({{range.env_name, value}}));
        check_contains(boxoffice::render_settings(s), "\n  " + leaf + ": " + value + "\n");
      }
      const std::string allowed =
          "(allowed " + std::to_string(range.min) + ".." + std::to_string(range.max);
      check_contains(load_error(base, {{range.env_name, std::to_string(range.max + 1)}}), allowed);
      if (range.min > 0) {
        check_contains(load_error(base, {{range.env_name, std::to_string(range.min - 1)}}),
                       allowed);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(environment_error_names_the_variable_and_the_key) {
  check_contains(load_error("", {{"BOXOFFICE_HTTP_PORT", "abc"}}),
                 "config: BOXOFFICE_HTTP_PORT (http.port): 'abc' is not a whole number "
                 "(allowed 1..65535)");
  check_contains(load_error("", {{"BOXOFFICE_ACTORS_THREADS", "65"}}),
                 "BOXOFFICE_ACTORS_THREADS (actors.threads): '65' is out of range");
}

BOOST_AUTO_TEST_CASE(a_bad_value_masks_the_url_password) {
  const auto message = load_error("database:\n  url: postgres://box:hunter2@db/box\n");
  check_contains(message, "database.url: 'postgres://box:***@db/box'");
  BOOST_TEST(!contains(message, "hunter2"));
  const auto misplaced = load_error("database: postgresql://box:hunter2@db/box\n");
  check_contains(misplaced, "database: expected a map of keys, got 'postgresql://box:***@db/box'");
  BOOST_TEST(!contains(misplaced, "hunter2"));
}

BOOST_AUTO_TEST_CASE(hold_max_lifetime_must_not_be_shorter_than_hold_ttl) {
  check_contains(load_error("reservation:\n  hold_ttl_s: 600\n  hold_max_lifetime_s: 599\n"),
                 "reservation.hold_max_lifetime_s");
  const auto equal = load_settings_from_string(
      "reservation:\n  hold_ttl_s: 600\n  hold_max_lifetime_s: 600\n", no_env);
  BOOST_TEST(equal.reservation.hold_max_lifetime_s == 600u);
}

// Checked after the environment, so raising the TTL in YAML and the
// lifetime in the environment is accepted and the reverse is caught.
BOOST_AUTO_TEST_CASE(cross_key_rule_sees_the_final_values) {
  const auto s =
      load_settings_from_string("reservation:\n  hold_ttl_s: 3600\n",
                                fake_env({{"BOXOFFICE_RESERVATION_HOLD_MAX_LIFETIME_S", "7200"}}));
  BOOST_TEST(s.reservation.hold_max_lifetime_s == 7200u);
  check_contains(load_error("", {{"BOXOFFICE_RESERVATION_HOLD_TTL_S", "3600"}}),
                 "reservation.hold_max_lifetime_s");
}

// One deadline per request: an actor's wait must end inside it, and an
// idle close must not overtake a request still arriving.
BOOST_AUTO_TEST_CASE(timeouts_out_of_order_are_refused_naming_both_keys) {
  check_contains(load_error("http:\n  request_deadline_ms: 5000\n"),
                 "config: http.request_deadline_ms: '5000' is less than "
                 "actors.request_timeout_ms (allowed 5001 milliseconds or more)");
  check_contains(load_error("actors:\n  request_timeout_ms: 2000\n",
                            {{"BOXOFFICE_HTTP_REQUEST_DEADLINE_MS", "1500"}}),
                 "http.request_deadline_ms: '1500'");
  check_contains(load_error("http:\n  header_timeout_s: 75\n"),
                 "config: http.keepalive_timeout_s: '75' is less than http.header_timeout_s "
                 "(allowed 76 seconds or more)");
  check_contains(load_error("http:\n  body_timeout_s: 100\n  keepalive_timeout_s: 90\n"),
                 "http.body_timeout_s");
  // A waiter polling as told (or through its stream) is never taken for gone.
  check_contains(load_error("waiting_room:\n  abandon_after_s: 14\n"),
                 "config: waiting_room.abandon_after_s: '14' is less than three "
                 "waiting_room.refresh_after_s (allowed 15 seconds or more)");
  check_contains(load_error("waiting_room:\n  abandon_after_s: 20\nhttp:\n  queue_stream_poll_ms: 7000\n"),
                 "config: waiting_room.abandon_after_s: '20' is less than three "
                 "http.queue_stream_poll_ms (allowed 21 seconds or more)");
  const auto fine = load_settings_from_string(
    "http:\n  request_deadline_ms: 5001\n  header_timeout_s: 74\n", no_env);
  BOOST_TEST(fine.http.request_deadline_ms == 5001u);
}

BOOST_AUTO_TEST_CASE(unreadable_file_error_names_the_path) {
  const std::string missing = "/nonexistent/boxoffice/config.yaml";
  for (const std::string& path : {missing, std::filesystem::temp_directory_path().string()}) {
    BOOST_TEST_CONTEXT("path " << path) {
      try {
        load_settings(path, no_env);
        BOOST_FAIL("expected config_error");
      } catch (const config_error& error) {
        check_contains(error.what(), "'" + path + "'");
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(syntax_error_names_the_line) {
  const auto message = load_error("http:\n  port: 80\n  threads: [1, 2\n");
  check_contains(message, "syntax error");
  check_contains(message, "line 4");
}

BOOST_AUTO_TEST_CASE(syntax_error_in_a_file_names_the_file) {
  const temp_file file("http:\n  port: [80\n");
  try {
    load_settings(file.path.string(), no_env);
    BOOST_FAIL("expected config_error");
  } catch (const config_error& error) {
    check_contains(error.what(), file.path.string());
  }
}

BOOST_AUTO_TEST_CASE(render_round_trips_every_key) {
  const auto original = non_default_settings();
  const auto text = boxoffice::render_settings(original);
  BOOST_TEST_CONTEXT("rendered:\n" << text) {
    check_equal(load_settings_from_string(text, no_env), original);
    check_contains(text, "http:\n  address: 0.0.0.0\n  port: 9443\n");
    check_contains(text, "reservation:\n  hold_ttl_s: 300\n");
  }
}

BOOST_AUTO_TEST_CASE(render_masks_the_postgres_password) {
  settings s;
  s.database.url = "postgresql://user:hunter2@host:5432/db";
  const auto text = boxoffice::render_settings(s);
  check_contains(text, "postgresql://user:***@host:5432/db");
  BOOST_TEST(!contains(text, "hunter2"));
}

BOOST_AUTO_TEST_CASE(render_masks_the_token_key_and_the_admin_password) {
  settings s;
  s.auth.jwt_secret = "a-signing-key-of-at-least-32-bytes-long";
  s.auth.admin_password = "correct horse battery";
  const auto text = boxoffice::render_settings(s);
  check_contains(text, "jwt_secret: \"***\"");
  check_contains(text, "admin_password: \"***\"");
  BOOST_TEST(!contains(text, "signing-key"));
  BOOST_TEST(!contains(text, "horse"));
}

BOOST_AUTO_TEST_CASE(render_keeps_a_url_without_password) {
  settings s;
  s.database.url = "postgresql://user@host:5432/db";
  check_contains(boxoffice::render_settings(s), "url: postgresql://user@host:5432/db");
}

BOOST_AUTO_TEST_CASE(setting_keys_lists_every_key_in_order) {
  const std::vector<std::string> expected = {
      "server.shutdown_grace_s",
      "log.format",
      "log.level",
      "http.address",
      "http.port",
      "http.threads",
      "http.max_body_bytes",
      "http.header_bytes_max",
      "http.target_bytes_max",
      "http.header_timeout_s",
      "http.body_timeout_s",
      "http.keepalive_timeout_s",
      "http.request_deadline_ms",
      "http.pipelined_requests_max",
      "http.max_in_flight_requests",
      "http.trusted_proxies",
      "http.queue_heartbeat_s",
      "http.queue_stream_poll_ms",
      "http.queue_streams_max",
      "database.url",
      "database.journal_batch_rows_max",
      "database.journal_batch_wait_ms",
      "database.journal_queue_rows_max",
      "database.journal_batches_in_flight_max",
      "actors.threads",
      "actors.event_idle_stop_s",
      "actors.event_backlog_max",
      "actors.request_timeout_ms",
      "reservation.hold_ttl_s",
      "reservation.hold_max_lifetime_s",
      "reservation.max_seats_per_hold",
      "reservation.max_holds_per_customer",
      "reservation.max_tickets_per_customer",
      "reservation.max_sections_per_event",
      "reservation.max_seats_per_section",
      "reservation.ended_holds_kept_max",
      "waiting_room.tick_ms",
      "waiting_room.tickets_per_shopper",
      "waiting_room.stock_margin_pct",
      "waiting_room.refresh_after_s",
      "waiting_room.rate_per_s_max",
      "waiting_room.queue_length_max",
      "waiting_room.pass_ttl_s_max",
      "waiting_room.abandon_after_s",
      "waiting_room.return_grace_s",
      "auth.jwt_secret",
      "auth.access_token_ttl_s",
      "auth.refresh_token_ttl_s",
      "auth.password_min_length",
      "auth.password_hash_iterations",
      "auth.password_hash_memory_kib",
      "auth.workers",
      "auth.hash_queue_max",
      "auth.worker_nice",
      "auth.attempts_per_address_per_min",
      "auth.attempts_per_account_per_min",
      "auth.rate_limit_keys_max",
      "auth.admin_email",
      "auth.admin_password",
      "queue_pass.key_id",
      "queue_pass.secret",
      "queue_pass.previous_key_id",
      "queue_pass.previous_secret",
      "idempotency.ttl_s",
      "idempotency.in_flight_max",
      "cluster.listen_address",
      "cluster.listen_port",
      "cluster.enabled",
      "cluster.node_id",
      "cluster.advertise_host",
      "cluster.lease_s",
      "cluster.heartbeat_ms",
      "cluster.poll_ms",
      "cluster.commit_idle_timeout_ms",
      "cluster.take_lock_timeout_ms",
      "cluster.link_heartbeat_ms",
      "cluster.link_timeout_ms",
      "cluster.link_connect_timeout_ms",
      "cluster.tls_ca_file",
      "cluster.tls_cert_file",
      "cluster.tls_key_file",
      "cluster.tls_key_passphrase",
      "cluster.forward_retries_max",
      "cluster.moves_in_flight_max",
      "cluster.loader_workers",
  };
  const auto keys = boxoffice::setting_keys();
  BOOST_TEST(keys == expected, boost::test_tools::per_element());
}

// An empty value is invalid for every key, so setting each documented
// variable to "" must fail with an error naming that variable and its key.
BOOST_AUTO_TEST_CASE(each_key_is_read_from_its_documented_env_name) {
  const std::map<std::string, std::string> env_name_of = {
      {"server.shutdown_grace_s", "BOXOFFICE_SERVER_SHUTDOWN_GRACE_S"},
      {"log.format", "BOXOFFICE_LOG_FORMAT"},
      {"log.level", "BOXOFFICE_LOG_LEVEL"},
      {"http.address", "BOXOFFICE_HTTP_ADDRESS"},
      {"http.port", "BOXOFFICE_HTTP_PORT"},
      {"http.threads", "BOXOFFICE_HTTP_THREADS"},
      {"http.max_body_bytes", "BOXOFFICE_HTTP_MAX_BODY_BYTES"},
      {"http.header_bytes_max", "BOXOFFICE_HTTP_HEADER_BYTES_MAX"},
      {"http.target_bytes_max", "BOXOFFICE_HTTP_TARGET_BYTES_MAX"},
      {"http.header_timeout_s", "BOXOFFICE_HTTP_HEADER_TIMEOUT_S"},
      {"http.body_timeout_s", "BOXOFFICE_HTTP_BODY_TIMEOUT_S"},
      {"http.keepalive_timeout_s", "BOXOFFICE_HTTP_KEEPALIVE_TIMEOUT_S"},
      {"http.request_deadline_ms", "BOXOFFICE_HTTP_REQUEST_DEADLINE_MS"},
      {"http.pipelined_requests_max", "BOXOFFICE_HTTP_PIPELINED_REQUESTS_MAX"},
      {"http.max_in_flight_requests", "BOXOFFICE_HTTP_MAX_IN_FLIGHT_REQUESTS"},
      {"http.trusted_proxies", "BOXOFFICE_HTTP_TRUSTED_PROXIES"},
      {"http.queue_heartbeat_s", "BOXOFFICE_HTTP_QUEUE_HEARTBEAT_S"},
      {"http.queue_stream_poll_ms", "BOXOFFICE_HTTP_QUEUE_STREAM_POLL_MS"},
      {"http.queue_streams_max", "BOXOFFICE_HTTP_QUEUE_STREAMS_MAX"},
      {"database.url", "BOXOFFICE_DATABASE_URL"},
      {"database.journal_batch_rows_max", "BOXOFFICE_DATABASE_JOURNAL_BATCH_ROWS_MAX"},
      {"database.journal_batch_wait_ms", "BOXOFFICE_DATABASE_JOURNAL_BATCH_WAIT_MS"},
      {"database.journal_queue_rows_max", "BOXOFFICE_DATABASE_JOURNAL_QUEUE_ROWS_MAX"},
      {"database.journal_batches_in_flight_max",
       "BOXOFFICE_DATABASE_JOURNAL_BATCHES_IN_FLIGHT_MAX"},
      {"actors.threads", "BOXOFFICE_ACTORS_THREADS"},
      {"actors.event_idle_stop_s", "BOXOFFICE_ACTORS_EVENT_IDLE_STOP_S"},
      {"actors.event_backlog_max", "BOXOFFICE_ACTORS_EVENT_BACKLOG_MAX"},
      {"actors.request_timeout_ms", "BOXOFFICE_ACTORS_REQUEST_TIMEOUT_MS"},
      {"reservation.hold_ttl_s", "BOXOFFICE_RESERVATION_HOLD_TTL_S"},
      {"reservation.hold_max_lifetime_s", "BOXOFFICE_RESERVATION_HOLD_MAX_LIFETIME_S"},
      {"reservation.max_seats_per_hold", "BOXOFFICE_RESERVATION_MAX_SEATS_PER_HOLD"},
      {"reservation.max_holds_per_customer", "BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER"},
      {"reservation.max_tickets_per_customer", "BOXOFFICE_RESERVATION_MAX_TICKETS_PER_CUSTOMER"},
      {"reservation.max_sections_per_event", "BOXOFFICE_RESERVATION_MAX_SECTIONS_PER_EVENT"},
      {"reservation.max_seats_per_section", "BOXOFFICE_RESERVATION_MAX_SEATS_PER_SECTION"},
      {"reservation.ended_holds_kept_max", "BOXOFFICE_RESERVATION_ENDED_HOLDS_KEPT_MAX"},
      {"waiting_room.tick_ms", "BOXOFFICE_WAITING_ROOM_TICK_MS"},
      {"waiting_room.tickets_per_shopper", "BOXOFFICE_WAITING_ROOM_TICKETS_PER_SHOPPER"},
      {"waiting_room.stock_margin_pct", "BOXOFFICE_WAITING_ROOM_STOCK_MARGIN_PCT"},
      {"waiting_room.refresh_after_s", "BOXOFFICE_WAITING_ROOM_REFRESH_AFTER_S"},
      {"waiting_room.rate_per_s_max", "BOXOFFICE_WAITING_ROOM_RATE_PER_S_MAX"},
      {"waiting_room.queue_length_max", "BOXOFFICE_WAITING_ROOM_QUEUE_LENGTH_MAX"},
      {"waiting_room.pass_ttl_s_max", "BOXOFFICE_WAITING_ROOM_PASS_TTL_S_MAX"},
      {"waiting_room.abandon_after_s", "BOXOFFICE_WAITING_ROOM_ABANDON_AFTER_S"},
      {"waiting_room.return_grace_s", "BOXOFFICE_WAITING_ROOM_RETURN_GRACE_S"},
      {"auth.jwt_secret", "BOXOFFICE_AUTH_JWT_SECRET"},
      {"auth.access_token_ttl_s", "BOXOFFICE_AUTH_ACCESS_TOKEN_TTL_S"},
      {"auth.refresh_token_ttl_s", "BOXOFFICE_AUTH_REFRESH_TOKEN_TTL_S"},
      {"auth.password_min_length", "BOXOFFICE_AUTH_PASSWORD_MIN_LENGTH"},
      {"auth.password_hash_iterations", "BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS"},
      {"auth.password_hash_memory_kib", "BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB"},
      {"auth.workers", "BOXOFFICE_AUTH_WORKERS"},
      {"auth.hash_queue_max", "BOXOFFICE_AUTH_HASH_QUEUE_MAX"},
      {"auth.worker_nice", "BOXOFFICE_AUTH_WORKER_NICE"},
      {"auth.attempts_per_address_per_min", "BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN"},
      {"auth.attempts_per_account_per_min", "BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN"},
      {"auth.rate_limit_keys_max", "BOXOFFICE_AUTH_RATE_LIMIT_KEYS_MAX"},
      {"auth.admin_email", "BOXOFFICE_AUTH_ADMIN_EMAIL"},
      {"auth.admin_password", "BOXOFFICE_AUTH_ADMIN_PASSWORD"},
      {"queue_pass.key_id", "BOXOFFICE_QUEUE_PASS_KEY_ID"},
      {"queue_pass.secret", "BOXOFFICE_QUEUE_PASS_SECRET"},
      {"queue_pass.previous_key_id", "BOXOFFICE_QUEUE_PASS_PREVIOUS_KEY_ID"},
      {"queue_pass.previous_secret", "BOXOFFICE_QUEUE_PASS_PREVIOUS_SECRET"},
      {"idempotency.ttl_s", "BOXOFFICE_IDEMPOTENCY_TTL_S"},
      {"idempotency.in_flight_max", "BOXOFFICE_IDEMPOTENCY_IN_FLIGHT_MAX"},
      {"cluster.listen_address", "BOXOFFICE_CLUSTER_LISTEN_ADDRESS"},
      {"cluster.listen_port", "BOXOFFICE_CLUSTER_LISTEN_PORT"},
      {"cluster.enabled", "BOXOFFICE_CLUSTER_ENABLED"},
      {"cluster.node_id", "BOXOFFICE_CLUSTER_NODE_ID"},
      {"cluster.advertise_host", "BOXOFFICE_CLUSTER_ADVERTISE_HOST"},
      {"cluster.lease_s", "BOXOFFICE_CLUSTER_LEASE_S"},
      {"cluster.heartbeat_ms", "BOXOFFICE_CLUSTER_HEARTBEAT_MS"},
      {"cluster.poll_ms", "BOXOFFICE_CLUSTER_POLL_MS"},
      {"cluster.commit_idle_timeout_ms", "BOXOFFICE_CLUSTER_COMMIT_IDLE_TIMEOUT_MS"},
      {"cluster.take_lock_timeout_ms", "BOXOFFICE_CLUSTER_TAKE_LOCK_TIMEOUT_MS"},
      {"cluster.link_heartbeat_ms", "BOXOFFICE_CLUSTER_LINK_HEARTBEAT_MS"},
      {"cluster.link_timeout_ms", "BOXOFFICE_CLUSTER_LINK_TIMEOUT_MS"},
      {"cluster.link_connect_timeout_ms", "BOXOFFICE_CLUSTER_LINK_CONNECT_TIMEOUT_MS"},
      {"cluster.tls_ca_file", "BOXOFFICE_CLUSTER_TLS_CA_FILE"},
      {"cluster.tls_cert_file", "BOXOFFICE_CLUSTER_TLS_CERT_FILE"},
      {"cluster.tls_key_file", "BOXOFFICE_CLUSTER_TLS_KEY_FILE"},
      {"cluster.tls_key_passphrase", "BOXOFFICE_CLUSTER_TLS_KEY_PASSPHRASE"},
      {"cluster.forward_retries_max", "BOXOFFICE_CLUSTER_FORWARD_RETRIES_MAX"},
      {"cluster.moves_in_flight_max", "BOXOFFICE_CLUSTER_MOVES_IN_FLIGHT_MAX"},
      {"cluster.loader_workers", "BOXOFFICE_CLUSTER_LOADER_WORKERS"},
  };
  // Keys whose empty value means "not set": a variable of theirs is read
  // when a valid value of it shows up in the loaded settings.
  struct set_and_read {
    std::string value;
    std::function<std::string(const settings&)> read;
  };
  const std::string email = "someone@example.com";
  const std::map<std::string, set_and_read> may_be_empty = {
      {"auth.jwt_secret", {email, [](const settings& s) { return s.auth.jwt_secret; }}},
      {"auth.admin_email", {email, [](const settings& s) { return s.auth.admin_email; }}},
      {"auth.admin_password", {email, [](const settings& s) { return s.auth.admin_password; }}},
      {"http.trusted_proxies",
       {"::1",
        [](const settings& s) {
          return s.http.trusted_proxies.empty() ? "" : s.http.trusted_proxies.front();
        }}},
      {"cluster.node_id", {"node-1", [](const settings& s) { return s.cluster.node_id; }}},
      {"queue_pass.secret",
       {std::string(32, 'q'), [](const settings& s) { return s.queue_pass.secret; }}},
      {"queue_pass.previous_key_id",
       {"k0", [](const settings& s) { return s.queue_pass.previous_key_id; }}},
      {"queue_pass.previous_secret",
       {std::string(40, 'p'), [](const settings& s) { return s.queue_pass.previous_secret; }}},
      {"cluster.advertise_host",
       {"10.0.0.7", [](const settings& s) { return s.cluster.advertise_host; }}},
      {"cluster.tls_ca_file", {"ca.pem", [](const settings& s) { return s.cluster.tls_ca_file; }}},
      {"cluster.tls_cert_file",
       {"n.pem", [](const settings& s) { return s.cluster.tls_cert_file; }}},
      {"cluster.tls_key_file", {"n.key", [](const settings& s) { return s.cluster.tls_key_file; }}},
      {"cluster.tls_key_passphrase",
       {"pass", [](const settings& s) { return s.cluster.tls_key_passphrase; }}},
  };
  const auto keys = boxoffice::setting_keys();
  BOOST_TEST(keys.size() == env_name_of.size());
  for (const auto& key : keys) {
    BOOST_TEST_CONTEXT("key " << key) {
      const auto found = env_name_of.find(key);
      BOOST_TEST_REQUIRE((found != env_name_of.end()));
      if (auto empty_ok = may_be_empty.find(key); empty_ok != may_be_empty.end()) {
        const auto& [value, read] = empty_ok->second;
        const auto loaded = load_settings_from_string("", fake_env({{found->second, value}}));
        BOOST_TEST(read(loaded) == value);
        continue;
      }
      check_contains(load_error("", {{found->second, ""}}), found->second + " (" + key + "): ''");
    }
  }
}

BOOST_AUTO_TEST_CASE(every_log_level_and_format_is_accepted) {
  for (const std::string level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    BOOST_TEST(load_settings_from_string("log:\n  level: " + level + "\n", no_env).log.level ==
               level);
  }
  const auto text = load_settings_from_string("", fake_env({{"BOXOFFICE_LOG_FORMAT", "text"}}));
  BOOST_TEST(text.log.format == "text");
}

BOOST_AUTO_TEST_CASE(trusted_proxies_are_split_on_commas) {
  const auto s = load_settings_from_string(
      "http:\n  trusted_proxies: \"127.0.0.1, ::1 ,2001:db8::1,::ffff:10.0.0.1\"\n", no_env);
  const std::vector<std::string> expected = {"127.0.0.1", "::1", "2001:db8::1", "::ffff:10.0.0.1"};
  BOOST_TEST(s.http.trusted_proxies == expected, boost::test_tools::per_element());
  const auto from_env = load_settings_from_string(
      "http:\n  trusted_proxies: 10.0.0.1\n",
      fake_env({{"BOXOFFICE_HTTP_TRUSTED_PROXIES", "10.0.0.2,10.0.0.3"}}));
  BOOST_TEST(from_env.http.trusted_proxies == (std::vector<std::string>{"10.0.0.2", "10.0.0.3"}),
             boost::test_tools::per_element());
  BOOST_TEST(load_settings_from_string("http:\n  trusted_proxies: \"\"\n", no_env)
                 .http.trusted_proxies.empty());
  check_contains(load_error("", {{"BOXOFFICE_HTTP_TRUSTED_PROXIES", "localhost"}}),
                 "BOXOFFICE_HTTP_TRUSTED_PROXIES (http.trusted_proxies): 'localhost' has "
                 "'localhost', not an IPv4 or IPv6 address");
}

BOOST_AUTO_TEST_SUITE_END()

// deploy/boxoffice.yaml: render_documented_settings of the defaults, kept in
// the repository so that operators can read and copy it.
namespace {

const std::filesystem::path documented_example =
    std::filesystem::path(__FILE__).parent_path().parent_path() / "deploy" / "boxoffice.yaml";

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  BOOST_TEST_REQUIRE(in.good(), "cannot read " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

// Where each key's "key: value" line is (index into `lines`), by dotted
// path; a secret's line is its commented-out "# key: ..." line.
std::map<std::string, size_t> key_lines(const std::vector<std::string>& lines) {
  std::map<std::string, size_t> found;
  std::string section;
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const auto colon = line.find(':');
    if (colon == std::string::npos || line.empty() || line[0] == '#')
      continue;
    if (line[0] != ' ') {
      section = line.substr(0, colon);
    } else if (line.compare(0, 4, "  # ") != 0) {
      found[section + "." + line.substr(2, colon - 2)] = i;
    } else if (i > 0 && contains(lines[i - 1], "# A secret: set ")) {
      found[section + "." + line.substr(4, colon - 4)] = i;
    }
  }
  return found;
}

} // namespace

BOOST_AUTO_TEST_SUITE(config_example)

// BOXOFFICE_REGENERATE_EXAMPLE=1 rewrites the file instead, after a key
// was added or changed; review the diff and commit it.
BOOST_AUTO_TEST_CASE(the_repository_copy_is_rendered_from_the_key_table) {
  const auto rendered = boxoffice::render_documented_settings(settings{});
  if (const char* regenerate = std::getenv("BOXOFFICE_REGENERATE_EXAMPLE");
      regenerate != nullptr && std::string(regenerate) == "1") {
    std::ofstream(documented_example, std::ios::binary) << rendered;
    BOOST_TEST_MESSAGE("rewrote " << documented_example);
  }
  BOOST_TEST(read_text(documented_example) == rendered,
             documented_example.string()
                 << " is out of date with config/settings.cpp; regenerate it with "
                    "BOXOFFICE_REGENERATE_EXAMPLE=1 boxoffice_tests --run_test=config_example");
}

BOOST_AUTO_TEST_CASE(loading_it_gives_the_defaults) {
  const auto text = read_text(documented_example);
  check_equal(load_settings_from_string(text, no_env), settings{});
  check_equal(load_settings(documented_example.string(), no_env), settings{});
}

BOOST_AUTO_TEST_CASE(it_documents_every_key_with_default_and_allowed_values) {
  const auto text = read_text(documented_example);
  const auto lines = lines_of(text);
  const auto where = key_lines(lines);
  const auto defaults = boxoffice::render_settings(settings{});
  BOOST_TEST(where.size() == boxoffice::setting_keys().size());
  std::string section;
  for (const auto& key : boxoffice::setting_keys()) {
    BOOST_TEST_CONTEXT("key " << key) {
      const auto dot = key.find('.');
      if (key.substr(0, dot) != section) {
        section = key.substr(0, dot);
        check_contains(text, "\n# " + section + ": ");
        check_contains(text, "\n" + section + ":\n");
      }
      const auto found = where.find(key);
      BOOST_TEST_REQUIRE((found != where.end()), "no line for " << key);
      const auto secret = key == "auth.jwt_secret" || key == "auth.admin_password"
                          || key == "queue_pass.secret" || key == "queue_pass.previous_secret"
                          || key == "cluster.tls_key_passphrase";
      const auto& line = lines[found->second];
      if (secret) {
        BOOST_TEST(line == "  # " + key.substr(dot + 1) + ": \"\"");
      } else {
        check_contains(defaults, "\n" + line + "\n");
      }
      // Above the key: what it is, its default and what is allowed.
      const size_t above = secret ? 2 : 1;
      BOOST_TEST_REQUIRE(found->second >= above);
      const auto& comment = lines[found->second - above];
      BOOST_TEST(comment.compare(0, 4, "  # ") == 0, comment);
      check_contains(comment, " (default ");
      check_contains(comment, ", allowed ");
    }
  }
}

BOOST_AUTO_TEST_CASE(secrets_are_commented_out_with_their_variable) {
  settings s;
  s.auth.jwt_secret = "a-signing-key-of-at-least-32-bytes-long";
  s.auth.admin_password = "correct horse battery";
  s.database.url = "postgresql://box:hunter2@db:5432/box";
  const auto text = boxoffice::render_documented_settings(s);
  for (const std::string secret : {"signing-key", "horse", "hunter2"})
    BOOST_TEST(!contains(text, secret), "the documented settings show '" << secret << "'");
  check_contains(text, "  # A secret: set BOXOFFICE_AUTH_JWT_SECRET in the environment instead.\n"
                       "  # jwt_secret: \"\"\n");
  check_contains(text, "BOXOFFICE_AUTH_ADMIN_PASSWORD");
  check_contains(text, "url: postgresql://box:***@db:5432/box\n");
}

// What the operator changed is what the file says, and loads back whole.
BOOST_AUTO_TEST_CASE(non_default_settings_render_and_load_back) {
  const auto original = non_default_settings();
  const auto text = boxoffice::render_documented_settings(original);
  BOOST_TEST_CONTEXT("rendered:\n" << text) {
    check_equal(load_settings_from_string(text, no_env), original);
    check_contains(text, "  trusted_proxies: ");
  }
}

BOOST_AUTO_TEST_SUITE_END()
