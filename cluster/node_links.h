// The node links' transport: CAF's middleman over CAF's OpenSSL module,
// mutual TLS with the cluster's own CA, and the link manager that keeps one
// peer_link per active peer.
//
// TLS (libcaf_openssl 0.17.6): with a certificate, key and CA file set, CAF
// builds its SSL context with SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
// on both ends (cipher list "HIGH:!aNULL:!MD5"), so a peer whose certificate
// is not signed by that CA, or that has none, fails the handshake before a
// single BASP message is read (tests/cluster/tls_link_test.cpp). CAF checks
// the chain only, not the host name: any certificate the cluster CA signed
// is a member's. Keep the CA key offline; a node's key is its membership.
#pragma once

#include "cluster/router.h"
#include "cluster/messages.h"

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace boxoffice::cluster {

struct link_settings {
  std::string self_node;
  // Middleman heartbeats and the silence after which a connection is
  // dropped (and its proxies go down): set on every node.
  std::chrono::milliseconds heartbeat{250};
  std::chrono::milliseconds connection_timeout{1000};
  // How long one connect (TCP + TLS + BASP handshake) may take.
  std::chrono::milliseconds connect_timeout{1000};
  std::chrono::milliseconds poll{1000};  // how often the member list is read
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string key_passphrase;  // empty: the key is not encrypted
};

// Before the actor system exists: loads the middleman and the OpenSSL
// module, sets the heartbeat, the connection timeout, the app identifier
// (link_protocol: nodes of another wire version refuse the handshake) and
// the certificates; registers the link messages.
void configure_node_links(caf::actor_system_config& cfg, const link_settings& s);

// Publishes `door` on address:port over TLS, and only over TLS.
caf::expected<uint16_t> publish_door(const caf::actor& door, uint16_t port,
                                     const std::string& address);

struct peer_address {
  std::string node;
  std::string host;
  uint16_t port = 0;
};

// "host:port" (node_address of a member) split; nullopt if malformed.
std::optional<peer_address> parse_peer_address(const std::string& node,
                                               const std::string& host_port);

using peers_atom = caf::atom_constant<caf::atom("cl_peers")>;

// The link manager. (peers_atom, std::vector<peer_address>): the active
// peers (this node excluded); it connects, each at most connect_timeout,
// to every peer it has no link to (again after a link went down), spawns
// its peer_link and hands it to `router`. (peers_atom) -> uint64_t: links
// up now. (links_atom, std::vector<std::string> nodes) -> bool: linked to
// every one of them. With a worker, it reads the member list every `poll`
// itself and links to every live member (joining and leaving included). Of two nodes, only the one with the
// smaller id dials (CAF 0.17 drops one of two connections between the same
// pair, and the proxies of both with it): it introduces its own door
// ((link_atom, door) tells the manager which) through the peer's door, and
// the peer's manager gets (link_atom, node, door) and links back over that
// connection.
caf::actor spawn_link_manager(caf::actor_system& sys, router_actor router, link_settings s,
                              std::optional<membership_worker> worker = std::nullopt);

} // namespace boxoffice::cluster

// Local to a node (the manager's own input): never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<boxoffice::cluster::peer_address>)
