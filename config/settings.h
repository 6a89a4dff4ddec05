// The whole configuration of a boxoffice node: one YAML file, every key with
// a default, every key overridable by BOXOFFICE_<PATH> in the environment
// (dots become underscores, upper-cased: http.port -> BOXOFFICE_HTTP_PORT).
// Loading validates everything and throws config_error naming the bad key.
#pragma once

#include "actors/limits.h"
#include "actors/waiting_room.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace boxoffice {

// The process itself.
struct server_settings {
  // On SIGTERM or SIGINT: how long to finish in-flight requests and flush the
  // journal before exiting anyway.
  uint32_t shutdown_grace_s = 10;
};

// Log records on standard output.
struct log_settings {
  // "json": one JSON object per line; "text": for reading in a terminal.
  std::string format = "json";
  // The least severe level written: trace, debug, info, warn, error,
  // critical or off (spdlog's names; "warn" is spdlog's "warning").
  std::string level = "info";
};

struct http_settings {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;
  uint32_t threads = 2;
  uint32_t max_body_bytes = 65536;
  // The request line and headers together, and the target alone.
  uint32_t header_bytes_max = 8192;
  uint32_t target_bytes_max = 4096;
  // A request's head must arrive within header_timeout_s of its first byte,
  // its body within body_timeout_s of its head (else 408); a connection with
  // nothing on the way is closed after keepalive_timeout_s.
  uint32_t header_timeout_s = 10;
  uint32_t body_timeout_s = 10;
  uint32_t keepalive_timeout_s = 75;
  // A whole request is answered within this, or gets 503 request_timeout +
  // Retry-After (the outcome of a write is then unknown: the client retries
  // with its Idempotency-Key). Longer than actors.request_timeout_ms.
  uint32_t request_deadline_ms = 10000;
  // Requests read ahead of the one being answered, per connection.
  uint32_t pipelined_requests_max = 32;
  // Requests handed to the actors and not answered yet; past it, new ones
  // are answered 503 + Retry-After at once instead of queueing.
  uint32_t max_in_flight_requests = 10000;
  // Waiting-room event streams (SSE): a comment line at least this often,
  // so proxies and clients see the stream alive; the state is read this often.
  uint32_t queue_heartbeat_s = 10;
  uint32_t queue_stream_poll_ms = 500;
  uint32_t queue_streams_max = 10000;  // open at once; past it, 503
  // Reverse proxies (IPv4 or IPv6 literals, as inet_pton reads them) whose
  // X-Forwarded-For names the client; from any other peer it is ignored.
  // Empty: the peer address is the client.
  std::vector<std::string> trusted_proxies;
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
  // Batches committing at the same time, each on its own connection
  // (PostgreSQL); SQLite has one writer and always uses 1.
  uint32_t journal_batches_in_flight_max = 4;
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

// Accounts and tokens. The signing key is a secret: set it in the
// environment (BOXOFFICE_AUTH_JWT_SECRET), at least 32 bytes; only the demo
// mode makes one up.
struct auth_settings {
  std::string jwt_secret;
  uint32_t access_token_ttl_s = 600;
  uint32_t refresh_token_ttl_s = 2592000;  // 30 days
  uint32_t password_min_length = 10;
  // Argon2id cost per hash (libsodium's "interactive" profile by default).
  uint32_t password_hash_iterations = 2;
  uint32_t password_hash_memory_kib = 65536;
  // Threads that hash passwords and read accounts (each one database connection).
  uint32_t workers = 2;
  // Signups and logins waiting for a worker, past the `workers` being hashed;
  // more are answered 503 auth_busy + Retry-After (http/hash_slots.h).
  uint32_t hash_queue_max = 32;
  // The workers' threads run at this nice value, so a login storm never
  // takes the cores the sale needs (0: the same priority as the sale).
  uint32_t worker_nice = 10;
  // Signup, login and refresh attempts per minute, per client address and per account.
  uint32_t attempts_per_address_per_min = 60;
  uint32_t attempts_per_account_per_min = 10;
  uint32_t rate_limit_keys_max = 100000;
  // The first admin: created (or reset) at start when both are set.
  std::string admin_email;
  std::string admin_password;
};

// Idempotency-Key: answers are replayed for this long after the first request.
struct idempotency_settings {
  uint32_t ttl_s = 86400;
  // Keyed requests running at once; past it, 503 + Retry-After.
  uint32_t in_flight_max = 10000;
};

// The node port. In cluster mode it is mutual TLS only and leads to the
// node door (cluster/node_door.h), never the directory. Without cluster
// mode it opens only when listen_port is set, as the end-to-end tests'
// unauthenticated door into the directory: loopback by default, never
// expose it.
struct cluster_settings {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 0;  // 0: no node port

  // --- Cluster mode (issue 13; docs/cluster.md) ---------------------------
  // Nodes share one PostgreSQL database, which holds the membership and who
  // owns each event. Needs database.url to be PostgreSQL, a node_id and a
  // node port.
  bool enabled = false;
  // This node's name in the membership; unique among live nodes. A restart
  // joins as a new incarnation of the same name.
  std::string node_id;
  // The host other nodes and operators reach this node at (its node port
  // and HTTP port); empty: listen_address.
  std::string advertise_host;
  // A member whose lease (kept on the database clock) is not renewed for
  // lease_s is declared dead; heartbeat_ms renews it, at least three
  // heartbeats per lease. poll_ms: how often the member list is read and
  // expired members declared dead; below the lease.
  uint32_t lease_s = 3;
  uint32_t heartbeat_ms = 1000;
  uint32_t poll_ms = 1000;
  // A fenced commit's transaction idle longer than this is ended by
  // PostgreSQL (idle_in_transaction_session_timeout): a node paused between
  // its fence and its COMMIT cannot hold a takeover off. A take waits at
  // most take_lock_timeout_ms for an event row another commit holds.
  uint32_t commit_idle_timeout_ms = 2000;
  uint32_t take_lock_timeout_ms = 500;
  // Node links (cluster/node_links.h): CAF middleman heartbeats, the
  // silence after which a link is dropped (its pending forwards fail at
  // once), and how long one connect may take.
  uint32_t link_heartbeat_ms = 250;
  uint32_t link_timeout_ms = 1000;
  uint32_t link_connect_timeout_ms = 1000;
  // Mutual TLS of the node links with the cluster's own CA (PEM files;
  // tools/make-cluster-certs.sh); all three required in cluster mode.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_key_passphrase;  // only for an encrypted key
  // Planned moves (docs/cluster.md): a request refused not_owner (its event
  // is moving) or with no link to its owner yet tries again up to
  // forward_retries_max times, 5 ms doubling to 50 ms apart (40: about
  // 2 s), never past its deadline; a node moves at most moves_in_flight_max
  // of its events at once; loader_workers connections recover the events
  // that move to (or are taken over by) this node.
  uint32_t forward_retries_max = 40;
  uint32_t moves_in_flight_max = 16;
  uint32_t loader_workers = 4;
  // --- end of cluster mode -------------------------------------------------
};

// The waiting room's admission passes (HMAC-SHA256): the key that signs,
// named by key_id, and the previous key, which still verifies, for rotation.
// Secrets of at least 32 bytes; an empty secret is derived from
// auth.jwt_secret, so passes verify across restarts with nothing more set.
struct queue_pass_settings {
  std::string key_id = "k1";
  std::string secret;
  std::string previous_key_id;
  std::string previous_secret;
};

struct settings {
  server_settings server;
  log_settings log;
  http_settings http;
  database_settings database;
  actor_settings actors;
  reservation_limits reservation;
  waiting_room_limits waiting_room;
  auth_settings auth;
  queue_pass_settings queue_pass;
  idempotency_settings idempotency;
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

// A complete YAML config file that documents itself: a header comment per
// section, and per key a "# description (default X, allowed ...)" line
// above "key: value" with the value of `s`. Secrets are commented out, with
// their environment variable named instead: the file never holds one.
// deploy/boxoffice.yaml is this, rendered from the defaults.
std::string render_documented_settings(const settings& s);

// The dotted paths of every key, in declaration order.
std::vector<std::string> setting_keys();

} // namespace boxoffice
