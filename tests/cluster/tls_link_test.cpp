// Two real nodes over loopback, linked by mutual TLS: the owner runs in a
// forked child process (its own actor system, its own sockets), the sender
// here. Proves that a request forwarded to the owner gets the owner's
// answer, that a peer whose certificate another CA signed, a peer without a
// certificate, and a plaintext peer are all refused before any message
// reaches the owner, and that SIGKILLing the owner fails the forward pending
// on it at once (the down_msg), long before its deadline.
#include "cluster/link_messages.h"
#include "cluster/node_door.h"
#include "cluster/node_links.h"
#include "cluster/router.h"

#include <boost/test/unit_test.hpp>

#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace boxoffice;
using namespace boxoffice::cluster;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr event_id held_event = 9;  // the owner never answers it

fs::path make_certs() {
  auto dir = fs::temp_directory_path() / ("boxoffice-certs-" + std::to_string(getpid()));
  fs::remove_all(dir);
  auto tool = std::string{BOXOFFICE_SOURCE_DIR} + "/tools/make-cluster-certs.sh";
  auto made = std::system((tool + " " + dir.string() + " n1 n2 >/dev/null && " + tool + " "
                           + (dir / "other").string() + " n3 >/dev/null").c_str());
  BOOST_REQUIRE_EQUAL(made, 0);
  return dir;
}

link_settings node_tls(const fs::path& dir, const std::string& node) {
  link_settings s;
  s.self_node = node;
  s.ca_file = (dir / "ca.pem").string();
  s.cert_file = (dir / (node + ".pem")).string();
  s.key_file = (dir / (node + ".key")).string();
  return s;
}

struct node_config : caf::actor_system_config {
  explicit node_config(const link_settings& s) {
    register_protocol(*this);
    configure_node_links(*this, s);
    set("scheduler.max-threads", 2);
  }
};

// The owner's directory: answers every event with how many requests it
// has seen, except held_event, which it reports on `got_held` and keeps.
caf::behavior owner_directory(caf::event_based_actor* self, int got_held) {
  auto seen = std::make_shared<int>(0);
  auto held = std::make_shared<std::vector<caf::response_promise>>();
  return {
    [=](event_request& req) {
      auto rp = self->make_response_promise();
      ++*seen;
      if (req.event == held_event) {
        held->push_back(rp);
        char c = 'h';
        BOOST_VERIFY(write(got_held, &c, 1) == 1);
      } else {
        event_view v;
        v.info.id = req.event;
        v.info.title = "owner saw " + std::to_string(*seen);
        rp.deliver(v);
      }
      return rp;
    },
  };
}

// The child: node n1, owner of every event. Never returns.
[[noreturn]] void run_owner(const fs::path& dir, int port_out, int got_held,
                            const std::string& node = "n1") {
  {
    node_config cfg{node_tls(dir, node)};
    caf::actor_system sys{cfg};
    auto directory = caf::actor_cast<directory_actor>(sys.spawn(owner_directory, got_held));
    auto door = spawn_node_door(sys, directory);
    auto port = publish_door(door, 0, "127.0.0.1");
    uint16_t p = port ? *port : 0;
    BOOST_VERIFY(write(port_out, &p, sizeof p) == sizeof p);
    pause();  // until the test kills it
  }
  _exit(0);
}

// The sender's local directory: n1 owns everything.
// One (unused) argument: CAF 0.17 spawns an actor function without
// arguments through a null tuple pointer, which UBSan reports.
caf::behavior sender_directory(caf::event_based_actor*, int /*unused*/) {
  return {[](event_request&) -> caf::result<event_view> { return make_not_owner({"n1", ""}); }};
}

bool wait_readable(int fd, std::chrono::milliseconds t) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, static_cast<int>(t.count())) == 1;
}

// Connects from a system of its own; true if the handshake succeeded.
bool connects(caf::actor_system& sys, const caf::io::middleman_actor& mm, uint16_t port) {
  caf::scoped_actor self{sys};
  bool ok = false;
  self->request(mm, 3s, caf::connect_atom::value, std::string{"127.0.0.1"}, port)
    .receive([&](caf::node_id&, caf::strong_actor_ptr& p, std::set<std::string>&) { ok = !!p; },
             [&](caf::error&) { ok = false; });
  return ok;
}

// Forks a client of the given kind that tries to connect to the owner;
// true if it got through the handshake.
bool connects_from_child(const fs::path& dir, const std::string& kind, uint16_t port) {
  pid_t child = fork();
  if (child == 0) {
    bool ok = false;
    if (kind == "plain") {
      caf::actor_system_config cfg;
      register_protocol(cfg);
      register_link_messages(cfg);
      cfg.load<caf::io::middleman>();
      cfg.set("middleman.app-identifiers", std::vector<std::string>{link_protocol});
      caf::actor_system sys{cfg};
      ok = connects(sys, sys.middleman().actor_handle(), port);
    } else {
      link_settings s;
      s.self_node = "n4";  // anonymous: no certificate at all
      if (kind == "foreign")
        s = node_tls(dir / "other", "n3");
      else if (kind == "member")
        s = node_tls(dir, "n2");
      node_config cfg{s};
      caf::actor_system sys{cfg};
      ok = connects(sys, sys.openssl_manager().actor_handle(), port);
    }
    _exit(ok ? 1 : 0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  BOOST_REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status) == 1;
}

// How many links the manager has up now.
uint64_t links_up(caf::scoped_actor& self, const caf::actor& manager) {
  uint64_t n = 0;
  self->request(manager, 1s, peers_atom::value).receive([&](uint64_t x) { n = x; },
                                                        [](caf::error&) {});
  return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tls_links)

BOOST_AUTO_TEST_CASE(forwarding_refusal_and_a_killed_owner_over_mutual_tls) {
  auto dir = make_certs();
  int port_pipe[2], held_pipe[2];
  BOOST_REQUIRE(pipe(port_pipe) == 0 && pipe(held_pipe) == 0);
  // Fork before this process starts any actor system of its own.
  pid_t owner = fork();
  BOOST_REQUIRE(owner >= 0);
  if (owner == 0)
    run_owner(dir, port_pipe[1], held_pipe[1]);
  uint16_t port = 0;
  BOOST_REQUIRE(wait_readable(port_pipe[0], 20s));
  BOOST_REQUIRE(read(port_pipe[0], &port, sizeof port) == sizeof port);
  BOOST_REQUIRE(port != 0);

  // 1. Refused: another CA's certificate, no certificate, plaintext. Each
  // client runs in a process of its own (a second actor system with the
  // OpenSSL module next to the sender in this process would share its state).
  BOOST_TEST(!connects_from_child(dir, "foreign", port));
  BOOST_TEST(!connects_from_child(dir, "anonymous", port));
  BOOST_TEST(!connects_from_child(dir, "plain", port));
  BOOST_TEST(connects_from_child(dir, "member", port));  // the control: a member gets in

  {
    node_config cfg{node_tls(dir, "n2")};
    caf::actor_system sys{cfg};
    auto local = caf::actor_cast<directory_actor>(sys.spawn(sender_directory, 0));
    // The node id sorts before the owner's (n1): of two nodes, the smaller
    // id dials (node_links.h). The certificate is n2's.
    auto sender = node_tls(dir, "n2");
    sender.self_node = "n0";
    auto router = spawn_router(sys, {"n0", local, 10000ms});
    auto manager = spawn_link_manager(sys, router, sender);
    caf::scoped_actor self{sys};
    self->send(manager, peers_atom::value,
               std::vector<peer_address>{{"n1", "127.0.0.1", port}});
    for (int i = 0; i < 200 && links_up(self, manager) == 0; ++i)
      std::this_thread::sleep_for(50ms);
    BOOST_REQUIRE_EQUAL(links_up(self, manager), 1u);

    // 2. Forwarded to the owner; its answer comes back, and it is the first
    // request the owner's directory saw: none of the refused clients got one in.
    std::string title;
    self->request(router, 10s, event_request{7, true})
      .receive([&](event_view& v) { title = v.info.title; },
               [&](caf::error& e) { title = sys.render(e); });
    BOOST_TEST(title == "owner saw 1");

    // 3. A forward pending on the owner fails at once when it is killed.
    caf::scoped_actor asker{sys};
    asker->send(router, event_request{held_event, true});
    BOOST_REQUIRE(wait_readable(held_pipe[0], 10s));
    auto killed_at = std::chrono::steady_clock::now();
    kill(owner, SIGKILL);
    std::optional<errc> code;
    asker->receive([&](event_view&) {}, [&](caf::error& e) { code = to_errc(e); },
                   caf::after(std::chrono::seconds(20)) >> [] {});
    auto took = std::chrono::steady_clock::now() - killed_at;
    BOOST_TEST((code == errc::owner_unreachable));
    BOOST_TEST((took < 3s), "failed after "
                            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                            << " ms; its deadline was 10 s");
    caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
  }
  waitpid(owner, nullptr, 0);
  fs::remove_all(dir);
}

// Three nodes: n0 linked to n1 and n2 (both in child processes). SIGKILLing
// n2 ends n0's link to n2 only: CAF 0.17.6's OpenSSL session leaves the
// closed connection's error in the multiplexer thread's OpenSSL error queue,
// and the next SSL_read on the link to n1 then reported that error as its
// own and closed it too (remote_link_unreachable) unless the queue is
// cleared before each TLS call (cluster/node_links.cpp).
BOOST_AUTO_TEST_CASE(a_killed_peer_leaves_the_other_links_up) {
  auto dir = make_certs();
  int port_pipe[2], held_pipe[2];
  BOOST_REQUIRE(pipe(port_pipe) == 0 && pipe(held_pipe) == 0);
  pid_t owners[2];
  uint16_t ports[2];
  for (int k = 0; k < 2; ++k) {
    owners[k] = fork();
    BOOST_REQUIRE(owners[k] >= 0);
    if (owners[k] == 0)
      run_owner(dir, port_pipe[1], held_pipe[1], k == 0 ? "n1" : "n2");
    BOOST_REQUIRE(wait_readable(port_pipe[0], 20s));
    BOOST_REQUIRE(read(port_pipe[0], &ports[k], sizeof ports[k]) == sizeof ports[k]);
    BOOST_REQUIRE(ports[k] != 0);
  }
  {
    node_config cfg{node_tls(dir, "n2")};
    caf::actor_system sys{cfg};
    auto local = caf::actor_cast<directory_actor>(sys.spawn(sender_directory, 0));
    auto sender = node_tls(dir, "n2");
    sender.self_node = "n0";
    auto router = spawn_router(sys, {"n0", local, 10000ms});
    auto manager = spawn_link_manager(sys, router, sender);
    caf::scoped_actor self{sys};
    self->send(manager, peers_atom::value,
               std::vector<peer_address>{{"n1", "127.0.0.1", ports[0]},
                                         {"n2", "127.0.0.1", ports[1]}});
    auto links = [&] { return links_up(self, manager); };
    for (int i = 0; i < 200 && links() < 2; ++i)
      std::this_thread::sleep_for(50ms);
    BOOST_REQUIRE_EQUAL(links(), 2u);
    kill(owners[1], SIGKILL);
    waitpid(owners[1], nullptr, 0);
    for (int i = 0; i < 100 && links() > 1; ++i)
      std::this_thread::sleep_for(20ms);
    // Several heartbeats (250 ms) on the link to n1 after n2's went down.
    std::this_thread::sleep_for(1500ms);
    BOOST_TEST(links() == 1u);  // without a worker, a dropped link is not re-made
    std::string title;
    self->request(router, 10s, event_request{7, true})
      .receive([&](event_view& v) { title = v.info.title; },
               [&](caf::error& e) { title = sys.render(e); });
    BOOST_TEST(title == "owner saw 1");
    caf::anon_send_exit(manager, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(router, caf::exit_reason::user_shutdown);
  }
  kill(owners[0], SIGKILL);
  waitpid(owners[0], nullptr, 0);
  fs::remove_all(dir);
}

BOOST_AUTO_TEST_SUITE_END()
