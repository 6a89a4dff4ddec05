// boxoffice: the one binary. Subcommands: serve, migrate, create-admin,
// remove-demo-accounts, backup; --version.
#include "accounts/service.h"
#include "actors/directory.h"
#include "actors/protocol.h"
#include "app/cluster_mode.h"
#include "app/demo.h"
#include "app/shutdown_watchdog.h"
#include "cluster/membership_actor.h"
#include "cluster/node_door.h"
#include "cluster/node_links.h"
#include "cluster/router.h"
#include "config/settings.h"
#include "http/api.h"
#include "http/idempotency.h"
#include "http/server.h"
#include "persistence/query_service.h"
#include "persistence/journal.h"
#include "persistence/migrations.h"
#include "persistence/openssl_lifetime.h"
#include "persistence/sql_store.h"
#include "persistence/sqlite_backup.h"
#include "telemetry/logging.h"
#include "telemetry/metrics.h"
#include "telemetry/instruments.h"
#include "telemetry/process.h"

#include <CLI/CLI.hpp>
#include <caf/io/all.hpp>
#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>
#include <thread>

namespace {

using namespace boxoffice;
using namespace std::chrono_literals;

struct options {
  std::optional<std::string> config_path;
  bool demo = false;
  bool print_config = false;
  std::string database_url;  // cluster status|drain --database
  std::string drain_node;    // cluster drain NODE, cluster undrain NODE
  std::string admin_email;
  std::string backup_file;
};

account_rules account_rules_of(const settings& s) {
  account_rules rules;
  rules.password_min_length = s.auth.password_min_length;
  rules.hashing = password_hash_params{s.auth.password_hash_iterations,
                                       s.auth.password_hash_memory_kib};
  rules.refresh_token_ttl_s = s.auth.refresh_token_ttl_s;
  rules.worker_nice = s.auth.worker_nice;
  return rules;
}

// The access-token key: from the configuration, at least 32 bytes. Only the
// demo makes one up (tokens then die with the process).
std::string signer_key(const settings& s, bool demo) {
  auto key = s.auth.jwt_secret;
  if (key.empty() && demo) {
    key = new_random_token(token_signer::min_key_bytes);
    spdlog::warn("auth.jwt_secret is not set: the demo signs tokens with a random key");
  }
  if (key.size() < token_signer::min_key_bytes)
    throw config_error("config: auth.jwt_secret: must be set (BOXOFFICE_AUTH_JWT_SECRET), at "
                       "least " + std::to_string(token_signer::min_key_bytes) + " bytes");
  return key;
}

// The waiting room's pass keys (queue_pass.*). An empty secret is derived
// from the token key, under a label of its own, so that one secret set in
// production is enough and passes still verify after a restart.
std::shared_ptr<const pass_keys> make_pass_keys(const settings& s, const std::string& jwt_key) {
  const auto& q = s.queue_pass;
  auto secret = q.secret;
  if (secret.empty())
    secret = hmac_sha256(jwt_key, "boxoffice waiting-room pass key");
  std::vector<pass_keys::key> older;
  if (!q.previous_key_id.empty() && !q.previous_secret.empty())
    older.push_back({q.previous_key_id, q.previous_secret});
  return std::make_shared<const pass_keys>(pass_keys::key{q.key_id, secret}, std::move(older));
}

cluster::link_settings link_settings_of(const settings& s) {
  cluster::link_settings l;
  const auto& c = s.cluster;
  l.self_node = c.node_id;
  l.heartbeat = std::chrono::milliseconds(c.link_heartbeat_ms);
  l.connection_timeout = std::chrono::milliseconds(c.link_timeout_ms);
  l.connect_timeout = std::chrono::milliseconds(c.link_connect_timeout_ms);
  l.poll = std::chrono::milliseconds(c.poll_ms);
  l.ca_file = c.tls_ca_file;
  l.cert_file = c.tls_cert_file;
  l.key_file = c.tls_key_file;
  l.key_passphrase = c.tls_key_passphrase;
  return l;
}

void configure_actor_system(caf::actor_system_config& cfg, const settings& s) {
  register_protocol(cfg);
  // Cluster mode: the node port is mutual TLS only. Without it, a plain
  // node port (the end-to-end tests' door) opens only when configured.
  if (s.cluster.enabled)
    cluster::configure_node_links(cfg, link_settings_of(s));
  else if (s.cluster.listen_port != 0)
    cfg.load<caf::io::middleman>();
  // CAF's default is max(cores, 4) worker threads; the HTTP layer needs cores too.
  cfg.set("scheduler.max-threads", static_cast<size_t>(s.actors.threads));
}

// Waits on the main thread (not an actor, not an HTTP thread) for a signal.
int wait_for_stop_signal(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  return signal;
}

// Every in-flight request answered, or the deadline; polled from the main
// thread, which has nothing else to do.
bool wait_until_idle(const http::gateway& gate, std::chrono::steady_clock::time_point deadline) {
  while (gate.in_flight() > 0) {
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// Asks the journal to commit what it holds and waits (on the main thread)
// for its answer, until the deadline at most.
void flush_journal(caf::actor_system& sys, const journal_actor& journal,
                   std::chrono::steady_clock::time_point deadline) {
  caf::scoped_actor self{sys};
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  self->request(journal, std::max(left, std::chrono::milliseconds(1)), flush_atom::value)
    .receive([](committed_atom) { spdlog::info("journal flushed"); },
             [&](caf::error& err) {
               spdlog::error("journal not flushed: {}", sys.render(err));
             });
}

telemetry::log_format log_format_of(const std::string& name) {
  return name == "text" ? telemetry::log_format::text : telemetry::log_format::json;
}

// `patience`: how long a cluster node may refuse (not_owner) while it is
// still joining: it creates events only once it is active.
void announce_demo(caf::actor_system& sys, const directory_actor& dir,
                   std::chrono::milliseconds patience) {
  const auto until = std::chrono::steady_clock::now() + patience;
  auto demo = create_demo_event(sys, dir);
  while (!demo && demo.error() == make_error(errc::not_owner)
         && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // main thread, before serving
    demo = create_demo_event(sys, dir);
  }
  if (!demo)
    throw std::runtime_error("could not create the demo event: " + sys.render(demo.error()));
  for (size_t i = 0; i < demo->sections.size(); ++i)
    spdlog::info("demo event {} section {} '{}': {} seats free", demo->info.id,
                 demo->info.sections[i].id, demo->info.sections[i].name,
                 demo->sections[i].free);
}

int serve(const options& opts) {
  // Block the stop signals before any thread starts, so that every thread
  // inherits the mask and only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto s = load_settings(opts.config_path, process_env());
  if (opts.print_config) {
    std::cout << render_settings(s);
    return 0;
  }
  telemetry::setup_logging(log_format_of(s.log.format), s.log.level);
  telemetry::register_process_metrics(metrics::default_registry());
  telemetry::register_instruments();
  auto jwt_key = signer_key(s, opts.demo);
  auto signer = std::make_shared<const token_signer>(jwt_key, s.auth.access_token_ttl_s);
  auto rules = account_rules_of(s);
  // Before serving, on the main thread: connect, migrate, list the events.
  auto stored = sql_store{s.database.url}.event_ids();
  if (!opts.demo)
    refuse_demo_accounts(s.database.url);
  if (!s.auth.admin_email.empty() && !s.auth.admin_password.empty())
    spdlog::info("admin account {} is ready",
                 ensure_admin(s.database.url, s.auth.admin_email, s.auth.admin_password, rules).id);
  if (opts.demo)
    create_demo_accounts(s.database.url, rules);
  // The backend only: the URL may hold a password.
  spdlog::info("database: {}, {} stored events", to_string(parse_database_url(s.database.url).kind),
               stored.size());

  caf::actor_system_config cfg;
  configure_actor_system(cfg, s);
  caf::actor_system sys{cfg};
  auto make_store = [url = s.database.url] { return std::make_unique<sql_store>(url); };
  auto cluster = app::start_cluster(sys, s);
  // SQLite has one writer: a second transaction would only wait for the
  // first in SQLite's busy handler.
  const uint32_t in_flight = parse_database_url(s.database.url).kind == backend::sqlite
                               ? 1 : s.database.journal_batches_in_flight_max;
  auto committer = spawn_committers(sys, app::journal_store_factory(s), in_flight,
                                    cluster ? commit_mode::fenced : commit_mode::direct);
  // Cluster mode: a joining node recovers its share of the events at once.
  auto loader = spawn_loaders(sys, make_store, cluster ? s.cluster.loader_workers : 1);
  auto journal = spawn_journal(sys,
                               journal_settings{s.database.journal_batch_rows_max,
                                                s.database.journal_batch_wait_ms,
                                                s.database.journal_queue_rows_max,
                                                in_flight},
                               committer);
  auto dir = spawn_directory(sys, directory_settings{s.reservation, s.actors.event_idle_stop_s,
                                                     s.actors.event_backlog_max, journal, loader,
                                                     stored,
                                                     cluster ? app::gate_of(*cluster)
                                                             : ownership_gate{},
                                                     s.waiting_room, make_pass_keys(s, jwt_key)});
  auto api_ctx = std::make_shared<http::api_context>(s, signer);
  api_ctx->directory = dir;
  if (cluster)
    api_ctx->cluster = cluster->ownership;
  // Cluster mode: HTTP asks the router, which forwards a request for an
  // event owned elsewhere to its owner's door; peers reach this node only
  // through its own door (cluster/node_door.h), never the directory.
  caf::actor door, link_manager;
  cluster::router_actor router;
  if (s.cluster.enabled) {
    door = cluster::spawn_node_door(sys, dir);
    router = cluster::spawn_router(
      sys, {s.cluster.node_id, dir, std::chrono::milliseconds(s.http.request_deadline_ms),
            s.cluster.forward_retries_max});
    link_manager = cluster::spawn_link_manager(
      sys, router, link_settings_of(s), cluster::spawn_membership_worker(sys, s.database.url));
    caf::anon_send(link_manager, cluster::link_atom::value, door);
    caf::anon_send(door, cluster::link_atom::value, link_manager);
    api_ctx->directory = router;
    // The cluster's orders go through the router, which learns the moves.
    app::attach_directory(*cluster, router, link_manager);
  }
  api_ctx->accounts = spawn_account_workers(sys, s.auth.workers, s.database.url, signer, rules);
  api_ctx->queries = spawn_query_workers(sys, s.auth.workers, s.database.url);
  auto timeout = std::chrono::milliseconds(s.actors.request_timeout_ms);
  api_ctx->idempotency = http::spawn_idempotency(sys, s.database.url, s.idempotency, timeout);
  api_ctx->gate = std::make_unique<http::gateway>(
    sys, s.actors.threads, s.http.max_in_flight_requests, timeout,
    std::chrono::milliseconds(s.http.request_deadline_ms));
  auto stop_all = [&] {
    api_ctx->gate->stop();
    caf::anon_send_exit(api_ctx->accounts, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(api_ctx->queries, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(api_ctx->idempotency, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    for (const caf::actor& a : {door, link_manager, caf::actor_cast<caf::actor>(router)})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(journal, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(committer, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(loader, caf::exit_reason::user_shutdown);
    if (cluster)
      app::stop_cluster(*cluster);
  };
  try {
    if (s.cluster.enabled) {
      auto port = cluster::publish_door(door, s.cluster.listen_port, s.cluster.listen_address);
      if (!port)
        throw std::runtime_error("cannot open the node port (TLS) " + s.cluster.listen_address
                                 + ":" + std::to_string(s.cluster.listen_port) + ": "
                                 + sys.render(port.error()));
      spdlog::info("node port {}:{} (mutual TLS, CA {})", s.cluster.listen_address, *port,
                   s.cluster.tls_ca_file);
    } else if (s.cluster.listen_port != 0) {
      auto port = sys.middleman().publish(dir, s.cluster.listen_port,
                                          s.cluster.listen_address.c_str(), true);
      if (!port)
        throw std::runtime_error("cannot open the node port " + s.cluster.listen_address + ":"
                                 + std::to_string(s.cluster.listen_port) + ": "
                                 + sys.render(port.error()));
      spdlog::info("node port {}:{}", s.cluster.listen_address, *port);
    }
    if (opts.demo && stored.empty())
      announce_demo(sys, dir,
                    s.cluster.enabled ? std::chrono::milliseconds(4 * s.cluster.heartbeat_ms
                                                                  + 1000 * s.cluster.lease_s)
                                      : std::chrono::milliseconds(0));
    else if (opts.demo)
      spdlog::info("demo: the database already holds {} events; none added", stored.size());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    stop_all();
    return 1;
  }
  http::http_server api{s.http, http::api_routes(api_ctx)};
  try {
    api.start();
  } catch (const std::exception& e) {
    spdlog::error("cannot serve HTTP on {}:{}: {}", s.http.address, s.http.port, e.what());
    stop_all();
    return 1;
  }
  api_ctx->started = true;
  spdlog::info("boxoffice ready: http://{}:{}/ (API under /v1), {} actor threads; Ctrl-C to stop",
               s.http.address, api.port(), s.actors.threads);
  // Passwords never go to the log, not even the demo's: they go to the terminal.
  if (opts.demo)
    std::cerr << "demo accounts: admin " << demo_admin.email << " / " << demo_admin.password
              << ", customer " << demo_customer.email << " / " << demo_customer.password << '\n';
  auto signal = wait_for_stop_signal(signals);
  // Graceful: refuse new work (503, ready says so), let the requests in
  // flight answer, stop serving, then stop the actors; the journal commits
  // what it holds before it ends. A 2xx was only ever sent after its commit.
  const auto grace = std::chrono::seconds(s.server.shutdown_grace_s);
  start_shutdown_watchdog(signals, grace);
  spdlog::info("signal {}: stopping; finishing {} requests in flight (at most {} s)", signal,
               api_ctx->gate->in_flight(), grace.count());
  api_ctx->gate->close();
  const auto deadline = std::chrono::steady_clock::now() + grace;
  if (cluster) {  // takes nothing new; its commits still count; hands every event over
    app::leave_step(sys, *cluster, 0, deadline);
    // Half the grace at most: the rest is for the requests and the journal.
    const auto now = std::chrono::steady_clock::now();
    app::leave_step(sys, *cluster, 2, now + (deadline - now) / 2);
  }
  if (!wait_until_idle(*api_ctx->gate, deadline))
    spdlog::warn("requests still in flight at the deadline");
  else
    spdlog::info("every request in flight answered");
  // The last answers are queued for the reactors, whose threads write them
  // within microseconds. Pistache gives no safe signal that a write is done
  // (continuing its send promise from our thread races its reactor in 0.0.5
  // and crashed under load), so the shutdown gives them a fixed moment.
  std::this_thread::sleep_until(std::min(deadline, std::chrono::steady_clock::now() + 200ms));
  api.stop();
  spdlog::info("HTTP stopped");
  // No new requests; what the journal holds (expiries, writes whose client
  // has gone) is committed before the database closes. Sections stopping
  // meanwhile may still send an expiry after the flush: never acknowledged,
  // it is redone from its deadline at the next start.
  caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
  flush_journal(sys, journal, deadline);
  if (cluster)  // dead (left): the others take its events, by placement
    app::leave_step(sys, *cluster, 1, deadline);
  stop_all();
  sys.await_all_actors_done();
  spdlog::info("stopped");
  return 0;
}

int migrate_database(const options& opts) {
  auto s = load_settings(opts.config_path, process_env());
  auto target = parse_database_url(s.database.url);
  auto session = open_session(target);
  auto report = migrate(*session, target.kind);
  std::cout << "schema version " << report.from_version << " -> " << report.to_version << " ("
            << report.applied.size() << " migrations applied)\n";
  return 0;
}

// The first admin, from the command line: the password is read from
// standard input (one line), never from the arguments, which `ps` shows.
int create_admin(const options& opts) {
  auto s = load_settings(opts.config_path, process_env());
  std::string password;
  std::getline(std::cin, password);
  auto made = ensure_admin(s.database.url, opts.admin_email, password, account_rules_of(s));
  std::cout << "admin account " << made.id << " (" << made.email << ") is ready\n";
  return 0;
}

int remove_demo(const options& opts) {
  auto s = load_settings(opts.config_path, process_env());
  auto removed = remove_demo_accounts(s.database.url);
  for (const auto& email : removed)
    std::cout << "demo account " << email << " disabled\n";
  if (removed.empty())
    std::cout << "no usable demo account in this database\n";
  return 0;
}

// SQLite only; the copy is consistent while the server runs (see
// persistence/sqlite_backup.h).
int backup(const options& opts) {
  auto s = load_settings(opts.config_path, process_env());
  auto report = backup_sqlite(s.database.url, opts.backup_file);
  std::cout << "backup of " << report.source << " in " << opts.backup_file << ": "
            << report.pages << " pages, " << report.bytes << " bytes, schema version "
            << report.schema_version << '\n';
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  keep_openssl_until_exit();
  CLI::App app{"boxoffice: a ticketing server for flash sales"};
  app.set_version_flag("--version", std::string{"boxoffice "} + BOXOFFICE_VERSION
                                      + " (database schema version "
                                      + std::to_string(schema_version()) + ")");
  app.require_subcommand(1);
  options opts;
  auto add_config = [&](CLI::App* cmd) {
    cmd->add_option("--config", opts.config_path, "YAML configuration file")
      ->check(CLI::ExistingFile);
  };
  auto serve_cmd = app.add_subcommand("serve", "Start the server");
  add_config(serve_cmd);
  serve_cmd->add_flag("--demo", opts.demo, "Create a demo event on sale if the database has none");
  serve_cmd->add_flag("--print-config", opts.print_config,
                      "Print the effective configuration (file, then BOXOFFICE_* environment; "
                      "secrets masked) and exit");
  auto migrate_cmd = app.add_subcommand("migrate", "Apply pending database migrations and exit");
  add_config(migrate_cmd);
  auto admin_cmd = app.add_subcommand(
    "create-admin", "Create an admin account, or make an existing account admin; the password is "
                    "read from standard input");
  add_config(admin_cmd);
  admin_cmd->add_option("--email", opts.admin_email, "The admin's email")->required();
  auto remove_demo_cmd = app.add_subcommand(
    "remove-demo-accounts", "Disable the demo accounts that `serve --demo` made (their passwords "
                            "are published), keeping their holds and orders");
  add_config(remove_demo_cmd);
  auto backup_cmd = app.add_subcommand(
    "backup", "Copy the SQLite database to FILE, consistently, while the server runs "
              "(PostgreSQL: use pg_dump)");
  add_config(backup_cmd);
  backup_cmd->add_option("FILE", opts.backup_file, "The backup file to create (must not exist)")
    ->required();
  auto cluster_cmd = app.add_subcommand("cluster", "Cluster mode (docs/cluster.md)");
  cluster_cmd->require_subcommand(1);
  auto cluster_status_cmd = cluster_cmd->add_subcommand(
    "status", "Print the members, their states and owned events, from the database");
  add_config(cluster_status_cmd);
  cluster_status_cmd->add_option("--database", opts.database_url,
                                 "The cluster's PostgreSQL URL (default: database.url)");
  auto cluster_drain_cmd = cluster_cmd->add_subcommand(
    "drain", "Move a node's events to the other nodes without stopping it (its state goes to "
             "leaving)");
  add_config(cluster_drain_cmd);
  cluster_drain_cmd->add_option("NODE", opts.drain_node, "The node id to drain")->required();
  cluster_drain_cmd->add_option("--database", opts.database_url,
                                "The cluster's PostgreSQL URL (default: database.url)");
  auto cluster_undrain_cmd = cluster_cmd->add_subcommand(
    "undrain", "Let a drained node take events again (its state goes back to active)");
  add_config(cluster_undrain_cmd);
  cluster_undrain_cmd->add_option("NODE", opts.drain_node, "The node id to undrain")->required();
  cluster_undrain_cmd->add_option("--database", opts.database_url,
                                  "The cluster's PostgreSQL URL (default: database.url)");
  CLI11_PARSE(app, argc, argv);
  try {
    if (serve_cmd->parsed()) {
      int code = serve(opts);
      telemetry::stop_logging();  // what is queued is written
      return code;
    }
    if (migrate_cmd->parsed())
      return migrate_database(opts);
    if (admin_cmd->parsed())
      return create_admin(opts);
    if (remove_demo_cmd->parsed())
      return remove_demo(opts);
    if (backup_cmd->parsed())
      return backup(opts);
    if (cluster_status_cmd->parsed()) {
      auto s = load_settings(opts.config_path, process_env());
      if (!opts.database_url.empty())
        s.database.url = opts.database_url;
      return app::print_cluster_status(s);
    }
    if (cluster_drain_cmd->parsed()) {
      auto s = load_settings(opts.config_path, process_env());
      if (!opts.database_url.empty())
        s.database.url = opts.database_url;
      return app::drain_cluster_node(s, opts.drain_node);
    }
    if (cluster_undrain_cmd->parsed()) {
      auto s = load_settings(opts.config_path, process_env());
      if (!opts.database_url.empty())
        s.database.url = opts.database_url;
      return app::undrain_cluster_node(s, opts.drain_node);
    }
  } catch (const config_error& e) {
    std::cerr << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "boxoffice: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
