#include "cluster/node_links.h"

#include "cluster/link_messages.h"
#include "cluster/membership_listener.h"
#include "cluster/peer_link.h"
#include "cluster/tls_probe.h"

#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>
#include <spdlog/spdlog.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <map>
#include <set>

#include <dlfcn.h>

// CAF 0.17.6's OpenSSL session (libcaf_openssl, session.cpp) reads a closed
// or failed connection's result with SSL_get_error but drains the thread's
// OpenSSL error queue only when CAF's own logging is compiled in. The queue
// is per thread and the middleman runs every connection on one thread, so
// the error a dead peer's connection left there (e.g. "unexpected eof while
// reading" of a SIGKILLed peer, a failed handshake) made SSL_get_error
// report SSL_ERROR_SSL for the next SSL_read on ANOTHER connection that just
// had no data yet: CAF closed that healthy link too (remote_link_unreachable,
// at the next heartbeat), failing its pending forwards. OpenSSL requires an
// empty queue before each TLS I/O call (SSL_get_error(3)); these wrappers,
// defined in the executable, take the place of libssl's for libcaf_openssl
// (and every other caller) and clear the queue first.
namespace {
template <class F>
F next_ssl_symbol(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}
} // namespace

extern "C" {
int SSL_read(SSL* ssl, void* buf, int num) {
  static auto real = next_ssl_symbol<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  return real(ssl, buf, num);
}
int SSL_write(SSL* ssl, const void* buf, int num) {
  static auto real = next_ssl_symbol<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  return real(ssl, buf, num);
}
int SSL_connect(SSL* ssl) {
  static auto real = next_ssl_symbol<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  return real(ssl);
}
int SSL_accept(SSL* ssl) {
  static auto real = next_ssl_symbol<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  return real(ssl);
}
} // extern "C"

namespace boxoffice::cluster {

void configure_node_links(caf::actor_system_config& cfg, const link_settings& s) {
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  cfg.set("middleman.heartbeat-interval", caf::timespan{s.heartbeat});
  cfg.set("middleman.connection-timeout", caf::timespan{s.connection_timeout});
  cfg.set("middleman.app-identifiers", std::vector<std::string>{link_protocol});
  cfg.openssl_cafile = s.ca_file;
  cfg.openssl_certificate = s.cert_file;
  cfg.openssl_key = s.key_file;
  cfg.openssl_passphrase = s.key_passphrase;
  register_link_messages(cfg);
}

caf::expected<uint16_t> publish_door(const caf::actor& door, uint16_t port,
                                     const std::string& address) {
  return caf::openssl::publish(door, port, address.c_str(), true);
}

std::optional<peer_address> parse_peer_address(const std::string& node,
                                               const std::string& host_port) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == host_port.size())
    return std::nullopt;
  auto digits = host_port.substr(colon + 1);
  if (digits.size() > 5 || digits.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  auto port = std::stoul(digits);
  if (port == 0 || port > 65535)
    return std::nullopt;
  auto host = host_port.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return peer_address{node, host, static_cast<uint16_t>(port)};
}

namespace {

struct manager_state {
  link_settings settings;
  router_actor router;
  std::optional<membership_worker> worker;
  std::map<std::string, caf::actor> links;  // node -> peer_link
  std::set<std::string> connecting;
  caf::actor door;  // this node's own door, introduced to the peers it dials
};

using manager_ptr = caf::stateful_actor<manager_state>*;

// A link to `node` through its door `door`, for the router.
void add_link(manager_ptr self, const std::string& node, caf::actor door) {
  auto& st = self->state;
  auto link = spawn_peer_link(self->system(), node, std::move(door));
  self->monitor(link);
  st.links[node] = link;
  self->send(st.router, link_atom::value, node, link);
}

// One connection per pair of nodes: CAF 0.17's BASP drops one of two
// connections two nodes open to each other at once, and with it every
// proxy of both (links flapped every few ms). The node with the smaller id
// dials and introduces its door; the other links back over that connection.
void dial(manager_ptr self, const peer_address& peer) {
  auto& st = self->state;
  auto mm = self->system().openssl_manager().actor_handle();
  self->request(mm, st.settings.connect_timeout, caf::connect_atom::value, peer.host, peer.port)
    .then(
      [self, peer](caf::node_id&, caf::strong_actor_ptr& door, std::set<std::string>&) {
        auto& st = self->state;
        st.connecting.erase(peer.node);
        if (!door) {
          spdlog::warn("cluster: {} at {}:{} publishes no door", peer.node, peer.host, peer.port);
          return;
        }
        auto remote = caf::actor_cast<caf::actor>(std::move(door));
        if (st.door)
          self->send(remote, link_atom::value, st.settings.self_node, st.door);
        add_link(self, peer.node, std::move(remote));
        spdlog::info("cluster: linked to {} at {}:{}", peer.node, peer.host, peer.port);
      },
      [self, peer](caf::error& err) {
        self->state.connecting.erase(peer.node);
        spdlog::warn("cluster: cannot link to {} at {}:{}: {}", peer.node, peer.host, peer.port,
                     self->system().render(err));
      });
}

// CAF dials only a peer whose certificate the cluster's CA signed, checked
// first by a probe of its own (cluster/tls_probe.h: a failed dial in CAF
// 0.17.6 takes this node's other links down).
void connect(manager_ptr self, const peer_address& peer) {
  auto& st = self->state;
  if (st.settings.self_node > peer.node)
    return;  // the peer dials us
  if (st.links.count(peer.node) || !st.connecting.insert(peer.node).second)
    return;
  if (st.settings.ca_file.empty()) {  // no TLS (tests of the plain transport)
    dial(self, peer);
    return;
  }
  const auto& s = st.settings;
  auto probe = spawn_tls_probe(self->system(),
                               {s.ca_file, s.cert_file, s.key_file, s.key_passphrase},
                               s.connect_timeout);
  self->request(probe, s.connect_timeout * 2, probe_atom::value, peer.host, peer.port)
    .then(
      [self, peer](bool ok, std::string& why) {
        if (ok) {
          dial(self, peer);
          return;
        }
        self->state.connecting.erase(peer.node);
        spdlog::warn("cluster: cannot link to {} at {}:{}: {} (not dialled)", peer.node,
                     peer.host, peer.port, why);
      },
      [self, peer](caf::error&) { self->state.connecting.erase(peer.node); });
}

// Links to every live member it has no link to (joining and leaving ones
// included: a node goes active only once linked to every active one;
// leaving ones still own events).
void read_members(manager_ptr self) {
  self->request(*self->state.worker, self->state.settings.poll, members_atom::value)
    .then(
      [self](membership_view& view) {
        std::vector<peer_address> peers;
        for (const auto& m : view.members)
          if (m.id.node_id != self->state.settings.self_node)
            if (auto p = parse_peer_address(m.id.node_id, m.addresses.node_address))
              peers.push_back(*p);
        self->send(self, peers_atom::value, std::move(peers));
      },
      [](caf::error&) {});  // the next poll tries again
}

void poll_members(manager_ptr self) {
  read_members(self);
  self->delayed_send(self, self->state.settings.poll, poll_atom::value);
}

caf::behavior link_manager(manager_ptr self, router_actor router, link_settings s,
                           std::optional<membership_worker> worker) {
  self->state.settings = std::move(s);
  self->state.router = std::move(router);
  self->state.worker = std::move(worker);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& links = self->state.links;
    for (auto i = links.begin(); i != links.end();)
      i = i->second.address() == dm.source ? links.erase(i) : std::next(i);
  });
  // Peer links are not linked to the manager (one peer going down must not
  // end the others): the manager ends them when it is told to end, or they
  // would keep the actor system (and a stopping node) alive.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& [node, link] : self->state.links)
      self->send_exit(link, msg.reason);
    self->quit(msg.reason);
  });
  if (self->state.worker)
    self->send(self, poll_atom::value);
  return {
    [self](peers_atom, std::vector<peer_address>& peers) {
      for (const auto& p : peers)
        connect(self, p);
    },
    [self](peers_atom) { return static_cast<uint64_t>(self->state.links.size()); },
    [self](links_atom, const std::vector<std::string>& nodes) {
      return std::all_of(nodes.begin(), nodes.end(),
                         [self](const std::string& n) { return self->state.links.count(n) > 0; });
    },
    [self](link_atom, caf::actor& door) { self->state.door = std::move(door); },
    // A peer with a smaller id dialled this node and introduced its door.
    [self](link_atom, std::string& node, caf::actor& door) {
      if (self->state.links.count(node) || node == self->state.settings.self_node)
        return;
      add_link(self, node, std::move(door));
      spdlog::info("cluster: linked to {} (it dialled this node)", node);
    },
    [self](poll_atom) { poll_members(self); },
    // A membership change committed (cluster/membership_listener.h).
    [self](notified_atom) {
      if (self->state.worker)
        read_members(self);
    },
  };
}

} // namespace

caf::actor spawn_link_manager(caf::actor_system& sys, router_actor router, link_settings s,
                              std::optional<membership_worker> worker) {
  return sys.spawn(link_manager, std::move(router), std::move(s), std::move(worker));
}

} // namespace boxoffice::cluster
