// The whole configuration of a boxoffice node: one YAML file, every key with
// a default, every key overridable by BOXOFFICE_<PATH> in the environment
// (dots become underscores, upper-cased: http.port -> BOXOFFICE_HTTP_PORT).
// Loading validates everything and throws config_error naming the bad key.
#pragma once

#include "actors/limits.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace boxoffice {

struct http_settings {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  uint32_t threads = 2;
  uint32_t max_body_bytes = 65536;
};

struct database_settings {
  // sqlite:///path/to/file.db or postgresql://user:password@host:port/dbname
  std::string url = "sqlite://./boxoffice.db";
  // Group commit: a batch is committed when this many rows wait, or when the
  // first of them has waited this long (0: as soon as no commit is in flight).
  uint32_t journal_batch_rows_max = 512;
  uint32_t journal_batch_wait_ms = 1;
  // Rows waiting or in flight; past it, writes are refused at once.
  uint32_t journal_queue_rows_max = 65536;
};

struct actor_settings {
  // CAF worker threads; CAF's own default is 4 even on a 2-core machine.
  uint32_t threads = 2;
  // An event with no traffic for this long is stopped; its next message
  // brings it back from its snapshot. 0 keeps events forever.
  uint32_t event_idle_stop_s = 1800;
  // Messages queued for one event while it is being brought back.
  uint32_t event_backlog_max = 1024;
  // How long an actor waits for another actor's answer before failing.
  uint32_t request_timeout_ms = 5000;
};

// The node port: other nodes (and the end-to-end tests) reach this node's
// directory over CAF's network layer. It has no authentication of its own,
// so it listens on loopback unless told otherwise: expose it only on a
// trusted network.
struct cluster_settings {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 0;  // 0: no node port
};

struct settings {
  http_settings http;
  database_settings database;
  actor_settings actors;
  reservation_limits reservation;
  cluster_settings cluster;
};

// A bad key or value; what() is one line naming the key and what is allowed.
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Returns the value of an environment variable, or nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment (getenv).
env_lookup process_env();

// Defaults, then the YAML text (if any), then the environment.
settings load_settings_from_string(const std::string& yaml_text, const env_lookup& env);

// Defaults, then the YAML file (if a path is given), then the environment.
// A named file that cannot be read is an error.
settings load_settings(const std::optional<std::string>& path, const env_lookup& env);

// Every key as "path: value" lines (YAML), in declaration order, with secrets
// (passwords in database.url) masked; for --print-config and the docs.
std::string render_settings(const settings& s);

// The dotted paths of every key, in declaration order.
std::vector<std::string> setting_keys();

} // namespace boxoffice
