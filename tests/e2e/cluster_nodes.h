// What the cluster's end-to-end suites share: node settings for real node
// processes on one PostgreSQL (short leases, mutual TLS with certificates
// made by the operator's own tool), and reading the cluster through the API.
#pragma once

#include "cluster/placement.h"
#include "tests/e2e/api_fixture.h"

#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <thread>

namespace boxoffice::e2e {

// A CA and certificates for `nodes`, made by tools/make-cluster-certs.sh in
// a directory of the temp directory named `name`.
inline std::filesystem::path make_certs(const std::string& name, const std::string& nodes) {
  auto d = std::filesystem::temp_directory_path()
           / ("boxoffice-e2e-" + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  auto tool = std::string{BOXOFFICE_SOURCE_DIR} + "/tools/make-cluster-certs.sh";
  if (std::system((tool + " " + d.string() + " " + nodes + " > /dev/null").c_str()) != 0)
    throw std::runtime_error("tools/make-cluster-certs.sh failed");
  return d;
}

// The cluster's CA and the certificates of nodes a, b, c and d, made once
// per test process.
inline const std::filesystem::path& cluster_certs() {
  static const std::filesystem::path dir = make_certs("certs", "a b c d");
  return dir;
}

// Another CA, and node "rogue"'s certificate signed by it (not by the
// cluster's CA).
inline const std::filesystem::path& foreign_certs() {
  static const std::filesystem::path dir = make_certs("foreign-certs", "rogue");
  return dir;
}

inline std::map<std::string, std::string> node_settings(const std::string& id,
                                                        const std::string& batch_wait_ms = "1") {
  return {{"BOXOFFICE_CLUSTER_ENABLED", "true"},
          {"BOXOFFICE_CLUSTER_TLS_CA_FILE", (cluster_certs() / "ca.pem").string()},
          {"BOXOFFICE_CLUSTER_TLS_CERT_FILE", (cluster_certs() / (id + ".pem")).string()},
          {"BOXOFFICE_CLUSTER_TLS_KEY_FILE", (cluster_certs() / (id + ".key")).string()},
          {"BOXOFFICE_CLUSTER_NODE_ID", id},
          {"BOXOFFICE_CLUSTER_LEASE_S", "1"},
          {"BOXOFFICE_CLUSTER_HEARTBEAT_MS", "250"},
          {"BOXOFFICE_CLUSTER_POLL_MS", "200"},
          {"BOXOFFICE_CLUSTER_COMMIT_IDLE_TIMEOUT_MS", "1000"},
          {"BOXOFFICE_DATABASE_JOURNAL_BATCH_WAIT_MS", batch_wait_ms},
          {"BOXOFFICE_SERVER_SHUTDOWN_GRACE_S", "5"}};
}

// Polls `ok` every 50 ms until it holds or `limit` passes; the time it took.
template <class F>
std::optional<std::chrono::milliseconds> within(std::chrono::milliseconds limit, F ok) {
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < limit) {
    if (ok())
      return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return std::nullopt;
}

inline json cluster_view(api_server& node) {
  auto r = node.call("GET", "/v1/cluster", "", node.admin_token());
  return r.status == 200 ? json::parse(r.body) : json{};
}

inline size_t active_members(api_server& node) {
  size_t n = 0;
  auto view = cluster_view(node);
  for (const auto& m : view.value("members", json::array()))
    n += m["state"] == "active";
  return n;
}

// GET /v1/cluster/events/{id}: owner_node, epoch, ...
inline json event_owner(api_server& node, uint64_t event) {
  auto r = node.call("GET", "/v1/cluster/events/" + std::to_string(event), "", node.admin_token());
  return r.status == 200 ? json::parse(r.body) : json{};
}

// A metric without labels from /metrics; -1 when absent.
inline double metric(api_server& node, const std::string& name) {
  auto text = node.call("GET", "/metrics").body;
  auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
}

// Where placement puts `event` among `nodes` (what the cluster converges to).
inline std::string placed_on(uint64_t event, const std::vector<std::string>& nodes) {
  return cluster::place_event(event, nodes).value_or("");
}

// An event on sale, created on `creator`, that placement over `nodes` puts
// on `creator` (so it stays there): ids are handed out in order, so this
// creates (and leaves to their owners) events until one lands there.
inline uint64_t create_staying(api_server& creator, const std::string& creator_id,
                               const std::vector<std::string>& nodes, const json& section) {
  for (int i = 0; i < 32; ++i) {
    auto id = creator.create_event("On " + creator_id, {section});
    if (placed_on(id, nodes) == creator_id)
      return id;
  }
  BOOST_FAIL("no event id placed on " << creator_id);
  return 0;
}

} // namespace boxoffice::e2e
