// Cluster mode in the server (docs/cluster.md): the membership agent and the
// ownership actor, the journal's store with its fence, leaving on SIGTERM,
// and `boxoffice cluster status`. Nothing here runs when cluster.enabled is
// false: a single node keeps its unfenced store and its journal as they were.
#pragma once

#include "actors/protocol.h"
#include "cluster/membership_listener.h"
#include "config/settings.h"
#include "persistence/store.h"

#include <caf/all.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace boxoffice::app {

struct cluster_runtime {
  caf::actor ownership;  // the directory's gate; answers cluster_atom (GET /v1/cluster)
  caf::actor agent;
  caf::actor agent_worker;
  caf::actor ownership_worker;
  std::string database_url;
  // LISTENs for membership changes (started by attach_directory, which
  // knows the link manager); stopped by stop_cluster.
  std::shared_ptr<cluster::membership_listener> listener;
};

// The journal's store: fenced in cluster mode (cluster/fence.h), plain otherwise.
store_factory journal_store_factory(const settings& s);

// Joins the cluster (nullopt when cluster mode is off). The gate goes into
// the directory's settings; attach the directory once it is spawned.
std::optional<cluster_runtime> start_cluster(caf::actor_system& sys, const settings& s);
ownership_gate gate_of(const cluster_runtime& c);
// `dir`: the router (it passes the orders on to the directory and learns
// where moved events went); `links`: the link manager, asked before the
// node goes active.
void attach_directory(cluster_runtime& c, const directory_actor& dir,
                      const caf::actor& links);

// Leaving, in steps around the drain (SIGTERM): 0: active -> leaving, so
// that the node takes nothing new; 2: every event moves to its new owner
// (planned moves); 1: once the journal is flushed, -> dead (left), so that
// the others take what could not move. Waits (main thread) until
// `deadline` at most; false if the step did not happen.
bool leave_step(caf::actor_system& sys, const cluster_runtime& c, uint8_t step,
                std::chrono::steady_clock::time_point deadline);
void stop_cluster(cluster_runtime& c);

// `boxoffice cluster status`: the members and owned-event counts, read from
// the database of the configuration; prints JSON, the shape of GET /v1/cluster.
int print_cluster_status(const settings& s);

// `boxoffice cluster drain NODE`: NODE's active incarnation goes to leaving
// in the database; the node then moves its events to the others and keeps
// serving (forwarding). Exit code 1 when NODE has no active incarnation.
int drain_cluster_node(const settings& s, const std::string& node);

// `boxoffice cluster undrain NODE`: NODE's leaving incarnation goes back to
// active; the node takes its share of the events again. Exit code 1 when
// NODE has no leaving incarnation.
int undrain_cluster_node(const settings& s, const std::string& node);

} // namespace boxoffice::app
