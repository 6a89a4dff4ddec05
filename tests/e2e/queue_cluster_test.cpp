// The waiting room moves with its event (issue 15): on two real node
// processes on one PostgreSQL, customers queue for an event that node b
// owns, some are admitted; b is drained (`boxoffice cluster drain`), the
// event moves to a, and there every entry keeps its state and position,
// admission goes on in the same order, a pass issued by b still holds
// seats, and an event stream opened through a after the move tells the
// admission, and so does one opened before the move.
#include "tests/e2e/api_checks.h"
#include "tests/e2e/cluster_nodes.h"

#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <thread>

using namespace boxoffice;
using namespace boxoffice::e2e;
using namespace std::chrono_literals;

namespace {

const json floor_section = json{{"name", "Floor"}, {"kind", "general"}, {"capacity", 100},
                                {"price_cents", 2000}};

std::map<std::string, std::string> room_node(const std::string& id) {
  auto s = node_settings(id);
  // A planned move: long enough leases that a busy machine is not taken
  // for a dead node (see cluster_move_test.cpp).
  s["BOXOFFICE_CLUSTER_LEASE_S"] = "4";
  s["BOXOFFICE_CLUSTER_HEARTBEAT_MS"] = "500";
  s["BOXOFFICE_CLUSTER_LINK_TIMEOUT_MS"] = "4000";
  s["BOXOFFICE_CLUSTER_COMMIT_IDLE_TIMEOUT_MS"] = "5000";
  s["BOXOFFICE_HTTP_QUEUE_STREAM_POLL_MS"] = "100";
  s["BOXOFFICE_HTTP_QUEUE_HEARTBEAT_S"] = "1";
  return s;
}

std::string room_path(uint64_t event) {
  return event_path(event) + "/queue";
}

void set_room(api_server& node, uint64_t event, const json& settings) {
  expect_json(node.call_json("PATCH", room_path(event), settings, node.admin_token()), 200);
}

struct waiter {
  std::string token;
  std::string id;
};

// The event stream of `entry` through `port`, read until it tells the
// admission, ends, or `limit` passes (it pings every second, so it never
// goes quiet while the entry waits).
std::string read_stream(uint16_t port, const std::string& entry, std::chrono::seconds limit) {
  std::string text;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    auto req = "GET /v1/queue/" + entry + "/stream HTTP/1.1\r\nHost: t\r\n\r\n";
    ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    auto until = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    while (std::chrono::steady_clock::now() < until
           && text.find("event: admitted") == std::string::npos) {
      auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        break;
      if (n > 0)
        text.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return text;
}

} // namespace

BOOST_AUTO_TEST_SUITE(queue_cluster_e2e)

BOOST_AUTO_TEST_CASE(the_room_moves_with_its_event_on_a_drain) {
  api_server a{"postgresql", "room-a", room_node("a")};
  if (!a.started())
    return;
  api_server b{a, "room-b", room_node("b")};
  BOOST_TEST_REQUIRE(within(10s, [&] { return active_members(a) == 2; }).has_value());
  const auto event = create_staying(b, "b", {"a", "b"}, floor_section);
  BOOST_TEST_REQUIRE(within(10s, [&] { return event_owner(a, event).value("owner_node", "") == "b"; })
                       .has_value());
  const auto epoch = event_owner(a, event).value("epoch", int64_t{0});

  // Ten waiters join through a (forwarded to b); two are admitted, then
  // the room is paused so that the line stands still for the comparison.
  set_room(a, event, json{{"mode", "queue"}, {"rate_per_s", 20}, {"active_max", 2},
                          {"pass_ttl_s", 600}});
  std::vector<waiter> ws;
  for (int i = 0; i < 10; ++i) {
    auto token = a.customer_token("room-w" + std::to_string(i));
    auto j = expect_json(a.call("POST", room_path(event), "", token), 201);
    ws.push_back({token, j["id"].get<std::string>()});
  }
  auto admitted_count = [&](api_server& node) {
    int n = 0;
    for (const auto& w : ws)
      n += expect_json(node.call("GET", "/v1/queue/" + w.id), 200)["state"] == "admitted";
    return n;
  };
  BOOST_TEST_REQUIRE(within(10s, [&] { return admitted_count(a) == 2; }).has_value());
  set_room(a, event, json{{"paused", true}});
  std::map<std::string, json> before;
  for (const auto& w : ws)
    before[w.id] = expect_json(b.call("GET", "/v1/queue/" + w.id), 200);
  std::string pass, pass_owner;
  for (const auto& w : ws)
    if (before[w.id]["state"] == "admitted" && pass.empty()) {
      pass = before[w.id]["pass"]["token"].get<std::string>();
      pass_owner = w.token;
    }
  BOOST_TEST_REQUIRE(!pass.empty());
  // The head of the line, and its event stream through a (the non-owner).
  std::string head;
  for (const auto& w : ws)
    if (before[w.id]["state"] == "waiting" && before[w.id]["position"] == 1)
      head = w.id;
  BOOST_TEST_REQUIRE(!head.empty());
  // The stream never ends on its own while the head waits (pings every
  // second), so the reader stops at the admission or after 20 s.
  std::string text;
  std::thread reader([&] {
    // SIGCHLD (the drain command below exits) goes to another thread: here
    // it would interrupt recv (Boost.Test handles the signal, and a recv
    // with a timeout is not restarted).
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &chld, nullptr);
    text = read_stream(a.process().http_port(), head, 20s);
  });
  // Joined however the test ends (a failed requirement throws).
  struct joiner {
    std::thread& t;
    ~joiner() {
      if (t.joinable())
        t.join();
    }
  } join_reader{reader};
  std::this_thread::sleep_for(1s);

  // The drain: the event moves to a, one epoch later.
  const auto cli = std::string{BOXOFFICE_BINARY} + " cluster drain b --database '"
                   + a.database_url() + "' > /dev/null";
  BOOST_TEST_REQUIRE(std::system(cli.c_str()) == 0);
  auto moved = within(15s, [&] { return event_owner(a, event).value("owner_node", "") == "a"; });
  BOOST_TEST_REQUIRE(moved.has_value(), "the event did not move to a");
  BOOST_TEST_MESSAGE("drain: the event on a " << moved->count() << " ms after the command");
  BOOST_TEST(event_owner(a, event).value("epoch", int64_t{0}) == epoch + 1);

  // Every entry as it was: state, position, people ahead, and the pass.
  int same = 0;
  for (const auto& w : ws) {
    auto r = a.call("GET", "/v1/queue/" + w.id);
    BOOST_TEST_REQUIRE(r.status == 200, "entry " << w.id << " after the move: " << r.status
                                                  << " " << r.body);
    auto after = json::parse(r.body);
    const auto& e = before[w.id];
    bool ok = after["state"] == e["state"] && after["position"] == e["position"]
              && after["people_ahead"] == e["people_ahead"];
    if (e["state"] == "admitted")
      ok = ok && after["pass"]["token"] == e["pass"]["token"];
    BOOST_TEST(ok, "entry " << w.id << " was " << e.dump() << ", is " << after.dump());
    same += ok;
  }
  BOOST_TEST(same == static_cast<int>(ws.size()));

  // The pass b issued holds seats on a.
  auto held = a.call_json("POST", event_path(event) + "/holds",
                          json{{"section_id", 1}, {"quantity", 1}}, pass_owner,
                          {{"Queue-Pass", pass}});
  BOOST_TEST(held.status == 201, held.body);

  // Admission goes on where it stood: the head first.
  set_room(a, event, json{{"paused", false}, {"active_max", 4}});
  auto head_admitted = within(10s, [&] {
    return expect_json(a.call("GET", "/v1/queue/" + head), 200)["state"] == "admitted";
  });
  BOOST_TEST(head_admitted.has_value(), "the head of the line was not admitted after the move");
  BOOST_TEST_REQUIRE(within(10s, [&] { return admitted_count(a) == 4; }).has_value());
  for (const auto& w : ws) {
    const auto& e = before[w.id];
    auto now = expect_json(a.call("GET", "/v1/queue/" + w.id), 200);
    // The two next in line were admitted, nobody behind them.
    if (e["state"] == "waiting" && e["position"] <= 2)
      BOOST_TEST(now["state"] == "admitted", w.id);
    if (e["state"] == "waiting" && e["position"] > 2)
      BOOST_TEST(now["state"] == "waiting", w.id);
  }

  // The stream opened through a before the move saw the head's position,
  // then the admission a reads from its own copy of the event, and
  // nothing of another response inside it.
  reader.join();
  auto position = text.find("event: position");
  BOOST_TEST(position != std::string::npos, text);
  BOOST_TEST(text.find("HTTP/1.1", 1) == std::string::npos, text);
  BOOST_TEST(text.find("event: admitted") != std::string::npos,
             "the stream through the other node did not follow the move: " << text);
  // A new stream through a, after the move, tells the admission at once.
  auto again = read_stream(a.process().http_port(), head, 5s);
  BOOST_TEST(again.find("event: admitted") != std::string::npos, again);
}

BOOST_AUTO_TEST_SUITE_END()
