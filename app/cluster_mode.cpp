#include "app/cluster_mode.h"

#include "cluster/fence.h"
#include "cluster/membership_actor.h"
#include "cluster/ownership_actor.h"
#include "cluster/schema.h"
#include "cluster/status.h"
#include "persistence/database.h"
#include "persistence/sql_store.h"

#include <soci/soci.h>
#include <spdlog/spdlog.h>

#include <iostream>

namespace boxoffice::app {

namespace {

std::string host_of(const settings& s) {
  return s.cluster.advertise_host.empty() ? s.cluster.listen_address : s.cluster.advertise_host;
}

} // namespace

store_factory journal_store_factory(const settings& s) {
  if (!s.cluster.enabled)
    return [url = s.database.url] { return std::make_unique<sql_store>(url); };
  return [url = s.database.url, node = s.cluster.node_id,
          idle = s.cluster.commit_idle_timeout_ms] {
    return std::make_unique<sql_store>(url, cluster::journal_fence(node), idle);
  };
}

std::optional<cluster_runtime> start_cluster(caf::actor_system& sys, const settings& s) {
  if (!s.cluster.enabled)
    return std::nullopt;
  const auto& c = s.cluster;
  auto agent_worker = cluster::spawn_membership_worker(sys, s.database.url,
                                                       c.take_lock_timeout_ms);
  auto ownership_worker = cluster::spawn_membership_worker(sys, s.database.url,
                                                           c.take_lock_timeout_ms);
  const auto http = host_of(s) + ":" + std::to_string(s.http.port);
  const auto node = host_of(s) + ":" + std::to_string(c.listen_port);
  cluster::agent_settings agent{c.node_id, {http, node}, c.lease_s * 1000, c.heartbeat_ms,
                                c.poll_ms};
  cluster::ownership_settings own{c.node_id, http};
  own.rebalance_ms = c.poll_ms;
  own.moves_in_flight_max = c.moves_in_flight_max;
  auto started = cluster::start_cluster_node(sys, agent_worker, ownership_worker, own,
                                             std::move(agent));
  spdlog::info("cluster: node {} joining (lease {} s, heartbeat {} ms)", c.node_id, c.lease_s,
               c.heartbeat_ms);
  return cluster_runtime{started.ownership,
                         started.agent,
                         caf::actor_cast<caf::actor>(agent_worker),
                         caf::actor_cast<caf::actor>(ownership_worker),
                         s.database.url,
                         nullptr};
}

ownership_gate gate_of(const cluster_runtime& c) {
  return caf::actor_cast<ownership_gate>(c.ownership);
}

void attach_directory(cluster_runtime& c, const directory_actor& dir,
                      const caf::actor& links) {
  caf::anon_send(c.ownership, cluster::links_atom::value, links);
  caf::anon_send(c.ownership, cluster::attach_atom::value, caf::actor_cast<caf::actor>(dir));
  c.listener = std::make_shared<cluster::membership_listener>(
    c.database_url, std::vector<caf::actor>{c.agent, links});
}

bool leave_step(caf::actor_system& sys, const cluster_runtime& c, uint8_t step,
                std::chrono::steady_clock::time_point deadline) {
  caf::scoped_actor self{sys};
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - std::chrono::steady_clock::now());
  bool done = false;
  self->request(c.ownership, std::max(left, std::chrono::milliseconds(1)),
                cluster::leave_atom::value, step)
    .receive([&](bool changed) { done = changed; }, [&](caf::error&) { done = false; });
  const char* what = step == 0   ? "leaving"
                     : step == 2 ? "handed its events over"
                                 : "left the membership";
  spdlog::info("cluster: {} {}", what, done ? "" : "(not done)");
  return done;
}

void stop_cluster(cluster_runtime& c) {
  c.listener.reset();
  for (const auto& a : {c.agent, c.ownership, c.agent_worker, c.ownership_worker})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

int print_cluster_status(const settings& s) {
  auto target = parse_database_url(s.database.url);
  if (target.kind != backend::postgresql) {
    std::cerr << "boxoffice: cluster status needs the cluster's PostgreSQL database.url\n";
    return 2;
  }
  auto session = open_session(target);
  cluster::migrate_cluster_schema(*session);
  std::cout << cluster::read_status_json(*session).dump(2) << '\n';
  return 0;
}

namespace {

// `cluster drain|undrain NODE`: one state change of NODE's live incarnation,
// straight in the database; the node sees it at its next poll.
template <class Change>
int change_cluster_node(const settings& s, const std::string& command, const std::string& node,
                        Change change, const std::string& refused, const std::string& done) {
  auto target = parse_database_url(s.database.url);
  if (target.kind != backend::postgresql) {
    std::cerr << "boxoffice: cluster " << command
              << " needs the cluster's PostgreSQL database.url\n";
    return 2;
  }
  auto session = open_session(target);
  cluster::migrate_cluster_schema(*session);
  auto changed = change(*session, node);
  if (!changed) {
    std::cerr << "boxoffice: node " << node << " has no " << refused << '\n';
    return 1;
  }
  std::cout << "node " << node << " incarnation " << changed->incarnation << done << '\n';
  return 0;
}

} // namespace

int drain_cluster_node(const settings& s, const std::string& node) {
  return change_cluster_node(s, "drain", node, cluster::drain_member,
                             "active incarnation to drain",
                             " is leaving: it moves its events to the other active nodes and "
                             "keeps serving; stop it with SIGTERM when `cluster status` shows it "
                             "owns none");
}

int undrain_cluster_node(const settings& s, const std::string& node) {
  return change_cluster_node(s, "undrain", node, cluster::undrain_member,
                             "leaving incarnation to undrain",
                             " is active again: it takes its share of the events back");
}

} // namespace boxoffice::app
