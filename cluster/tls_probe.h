// Checks, apart from CAF, that a peer's node port presents a certificate
// the cluster's CA signed, before the link manager lets CAF dial it.
//
// Why: in CAF 0.17.6 an outgoing connect whose TLS handshake fails takes
// this node's other links down with it (measured in the e2e test of a node
// with another CA's certificate: every failed dial to it dropped the a-b
// link about 5 ms later, failing the forwards pending on it). Inbound
// handshakes that fail (no certificate, another CA's, a plaintext client)
// do not; neither does this probe's own connection, which completes the
// handshake with this node's certificate and closes.
// Blocking (TCP connect, TLS handshake, at most `timeout`): call it only
// from a detached actor (spawn_tls_probe).
#pragma once

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace boxoffice::cluster {

struct tls_files {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string key_passphrase;  // empty: the key is not encrypted
};

// True when host:port completes a TLS handshake whose peer certificate
// verifies against files.ca_file; otherwise false, and `why` says why.
bool peer_certificate_ok(const std::string& host, uint16_t port, const tls_files& files,
                         std::chrono::milliseconds timeout, std::string& why);

using probe_atom = caf::atom_constant<caf::atom("cl_probe")>;

// A detached actor answering one (probe_atom, host, port) -> (bool, why)
// with peer_certificate_ok, then quitting. Its thread blocks SIGPIPE.
caf::actor spawn_tls_probe(caf::actor_system& sys, tls_files files,
                           std::chrono::milliseconds timeout);

} // namespace boxoffice::cluster
