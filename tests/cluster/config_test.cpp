// The cluster keys of the config: defaults, the rules between them, and the
// one clear line that refuses cluster mode on SQLite.
#include "config/settings.h"

#include <boost/test/unit_test.hpp>

#include <map>

using boxoffice::config_error;
using boxoffice::settings;

namespace {

const std::string pg_url = "postgresql://boxoffice:secret@127.0.0.1:5432/boxoffice";

boxoffice::env_lookup fake_env(std::map<std::string, std::string> values) {
  return [values](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end())
      return std::nullopt;
    return found->second;
  };
}

settings load(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  return boxoffice::load_settings_from_string(yaml, fake_env(std::move(env)));
}

// The error of a config that must be refused; empty if it was accepted.
std::string refusal(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  try {
    load(yaml, std::move(env));
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

const std::string cluster_node = "cluster:\n"
                                 "  enabled: true\n"
                                 "  node_id: node-1\n"
                                 "  listen_port: 21001\n"
                                 "  tls_ca_file: /etc/boxoffice/ca.pem\n"
                                 "  tls_cert_file: /etc/boxoffice/node-1.pem\n"
                                 "  tls_key_file: /etc/boxoffice/node-1.key\n";

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_config)

BOOST_AUTO_TEST_CASE(cluster_mode_is_off_by_default_with_valid_timings) {
  const auto s = load("");
  BOOST_TEST(!s.cluster.enabled);
  BOOST_TEST(s.cluster.node_id.empty());
  BOOST_TEST(s.cluster.lease_s * 1000 >= 3 * s.cluster.heartbeat_ms);
  BOOST_TEST(s.cluster.poll_ms < s.cluster.lease_s * 1000);
}

BOOST_AUTO_TEST_CASE(a_cluster_node_on_postgresql_loads) {
  const auto s = load(cluster_node + "  advertise_host: 10.0.0.7\n  lease_s: 5\n"
                                     "  heartbeat_ms: 500\n  poll_ms: 250\n",
                      {{"BOXOFFICE_DATABASE_URL", pg_url}});
  BOOST_TEST(s.cluster.enabled);
  BOOST_TEST(s.cluster.node_id == "node-1");
  BOOST_TEST(s.cluster.advertise_host == "10.0.0.7");
  BOOST_TEST(s.cluster.lease_s == 5u);
  BOOST_TEST(s.cluster.heartbeat_ms == 500u);
  BOOST_TEST(s.cluster.poll_ms == 250u);
  // And from the environment alone.
  const auto e = load("", {{"BOXOFFICE_DATABASE_URL", pg_url},
                           {"BOXOFFICE_CLUSTER_ENABLED", "true"},
                           {"BOXOFFICE_CLUSTER_NODE_ID", "n2"},
                           {"BOXOFFICE_CLUSTER_LISTEN_PORT", "21002"},
                           {"BOXOFFICE_CLUSTER_TLS_CA_FILE", "ca.pem"},
                           {"BOXOFFICE_CLUSTER_TLS_CERT_FILE", "n2.pem"},
                           {"BOXOFFICE_CLUSTER_TLS_KEY_FILE", "n2.key"}});
  BOOST_TEST(e.cluster.enabled);
  BOOST_TEST(e.cluster.node_id == "n2");
}

BOOST_AUTO_TEST_CASE(cluster_mode_on_sqlite_is_refused_with_one_clear_line) {
  const auto error = refusal(cluster_node);
  BOOST_TEST(error == "config: cluster.enabled: cluster mode needs PostgreSQL, but database.url"
                      " is 'sqlite://./boxoffice.db' (SQLite stays single-node)");
  BOOST_TEST(!contains(error, "\n"));
  // The same without cluster mode is the ordinary single node.
  BOOST_TEST(refusal("cluster:\n  node_id: node-1\n").empty());
}

BOOST_AUTO_TEST_CASE(a_password_in_the_url_never_shows_in_the_refusal) {
  const auto error = refusal(cluster_node, {{"BOXOFFICE_DATABASE_URL",
                                             "sqlite://./x.db"}});
  BOOST_TEST(contains(error, "'sqlite://./x.db'"));
  BOOST_TEST(refusal(cluster_node, {{"BOXOFFICE_DATABASE_URL", pg_url}}).empty());
}

BOOST_AUTO_TEST_CASE(cluster_mode_needs_a_node_id_and_a_node_port) {
  const std::map<std::string, std::string> pg = {{"BOXOFFICE_DATABASE_URL", pg_url}};
  BOOST_TEST(contains(refusal("cluster:\n  enabled: true\n  listen_port: 21001\n", pg),
                      "config: cluster.node_id: '' is not allowed in cluster mode"));
  BOOST_TEST(contains(refusal("cluster:\n  enabled: true\n  node_id: a\n", pg),
                      "config: cluster.listen_port: '0' is not allowed in cluster mode"));
  BOOST_TEST(contains(refusal("cluster:\n  node_id: two words\n"),
                      "config: cluster.node_id: 'two words' is not allowed"));
}

BOOST_AUTO_TEST_CASE(a_lease_shorter_than_three_heartbeats_is_refused) {
  BOOST_TEST(refusal("cluster:\n  lease_s: 3\n  heartbeat_ms: 1001\n  poll_ms: 500\n")
             == "config: cluster.lease_s: '3' is shorter than three cluster.heartbeat_ms"
                " (allowed 4 seconds or more)");
  BOOST_TEST(refusal("cluster:\n  lease_s: 3\n  heartbeat_ms: 1000\n").empty());
  BOOST_TEST(refusal("cluster:\n  lease_s: 2\n  poll_ms: 2000\n  heartbeat_ms: 500\n")
             == "config: cluster.poll_ms: '2000' is not shorter than cluster.lease_s"
                " (allowed less than 2000 milliseconds)");
}

BOOST_AUTO_TEST_CASE(cluster_mode_needs_the_three_tls_files) {
  const std::map<std::string, std::string> pg = {{"BOXOFFICE_DATABASE_URL", pg_url}};
  const std::string plain = "cluster:\n  enabled: true\n  node_id: a\n  listen_port: 21001\n";
  BOOST_TEST(contains(refusal(plain, pg),
                      "config: cluster.tls_ca_file: '' is not allowed in cluster mode"));
  BOOST_TEST(contains(refusal(plain + "  tls_ca_file: ca.pem\n  tls_cert_file: a.pem\n", pg),
                      "config: cluster.tls_key_file: '' is not allowed in cluster mode"));
  // The passphrase is a secret: never printed back.
  auto s = load(cluster_node + "  tls_key_passphrase: hunter2\n", pg);
  BOOST_TEST(s.cluster.tls_key_passphrase == "hunter2");
  BOOST_TEST(!contains(boxoffice::render_settings(s), "hunter2"));
}

BOOST_AUTO_TEST_CASE(a_link_timeout_shorter_than_two_heartbeats_is_refused) {
  const auto s = load("");
  BOOST_TEST(s.cluster.link_timeout_ms >= 2 * s.cluster.link_heartbeat_ms);
  BOOST_TEST(refusal("cluster:\n  link_heartbeat_ms: 300\n  link_timeout_ms: 599\n")
             == "config: cluster.link_timeout_ms: '599' is shorter than two "
                "cluster.link_heartbeat_ms (allowed 600 milliseconds or more)");
  BOOST_TEST(refusal("cluster:\n  link_heartbeat_ms: 300\n  link_timeout_ms: 600\n").empty());
}

BOOST_AUTO_TEST_CASE(enabled_is_true_or_false) {
  BOOST_TEST(refusal("cluster:\n  enabled: yes\n")
             == "config: cluster.enabled: 'yes' is not allowed (allowed true or false)");
  BOOST_TEST(contains(refusal("", {{"BOXOFFICE_CLUSTER_ENABLED", "1"}}),
                      "BOXOFFICE_CLUSTER_ENABLED (cluster.enabled): '1' is not allowed"));
}

BOOST_AUTO_TEST_SUITE_END()
