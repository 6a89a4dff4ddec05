// The link and routing logic on CAF's deterministic test coordinator, in
// virtual time: a peer is simulated by a local actor standing in for its
// node door. Proves that pending forwards fail at once when the peer goes
// down (no time passes), that a forward gets exactly its remaining deadline,
// and that the owner cache follows not_owner answers and is invalidated.
#include "cluster/link_messages.h"
#include "cluster/peer_link.h"
#include "cluster/router.h"

#include <boost/test/unit_test.hpp>

#define FAIL(msg) BOOST_FAIL(msg)  // dsl.hpp calls an undefined FAIL()
#include <caf/test/dsl.hpp>

#include <memory>
#include <optional>

using namespace boxoffice;
using namespace boxoffice::cluster;
using namespace std::chrono_literals;

namespace {

struct link_config : caf::actor_system_config {
  link_config() {
    register_protocol(*this);
    register_link_messages(*this);
  }
};

template <class T>
using slot = std::shared_ptr<std::optional<caf::expected<T>>>;

// What the simulated door does with a forward.
enum class door_mode { silent, answer, not_owner_self };

struct door_script {
  door_mode mode = door_mode::silent;
  int seen = 0;
  std::vector<caf::response_promise> held;  // silent: answered never
};

caf::behavior fake_door(caf::event_based_actor* self, std::shared_ptr<door_script> script,
                        std::string self_node) {
  return {
    [=](forward_atom, forward_envelope& env) {
      ++script->seen;
      auto rp = self->make_response_promise();
      if (script->mode == door_mode::silent) {
        script->held.push_back(rp);
      } else if (script->mode == door_mode::answer) {
        auto req = env.body.get_as<event_request>(0);
        event_view v;
        v.info.id = req.event;
        v.info.title = "from " + self_node;
        rp.deliver(forward_answer{caf::make_message(v)});
      } else {
        rp.deliver(make_not_owner({"n1", ""}));
      }
      return rp;
    },
    // Answers what it held back (late, from the actor itself).
    [=](caf::ok_atom) {
      for (auto& rp : script->held)
        rp.deliver(forward_answer{caf::make_message(event_view{})});
      script->held.clear();
    },
  };
}

// The local directory: not_owner (owner n2) unless it owns the event.
struct local_script {
  bool owns = false;
  int asked = 0;
};

caf::behavior fake_directory(caf::event_based_actor*, std::shared_ptr<local_script> script) {
  return {
    [=](event_request& req) -> caf::result<event_view> {
      ++script->asked;
      if (!script->owns)
        return make_not_owner({"n2", "127.0.0.1:21002"});
      event_view v;
      v.info.id = req.event;
      v.info.title = "local";
      return v;
    },
  };
}

template <class T, class Handle, class... Ts>
void ask_once(caf::event_based_actor* client, Handle dest, slot<T> out, Ts... xs) {
  client->request(dest, caf::infinite, std::move(xs)...)
    .then([=](T& x) { *out = std::move(x); }, [=](caf::error& err) { *out = std::move(err); });
}

// sched.run() runs what is queued and fires no timer: the fixture's run()
// would also fire every pending timeout, which is virtual time passing.
struct link_fixture : test_coordinator_fixture<link_config> {
  template <class T, class Handle, class... Ts>
  slot<T> ask(const Handle& dest, Ts... xs) {
    auto out = std::make_shared<std::optional<caf::expected<T>>>();
    sys.spawn(ask_once<T, Handle, Ts...>, dest, out, std::move(xs)...);
    return out;
  }

  forward_envelope envelope(uint32_t remaining_ms) {
    return {1, remaining_ms, 0, caf::make_message(event_request{7, true})};
  }

  // Node n1's router, its local directory, and node n2's door behind a link.
  struct nodes {
    std::shared_ptr<local_script> local;
    router_actor router;
    std::shared_ptr<door_script> script;
    caf::actor door;
  };
  nodes two_nodes(std::chrono::milliseconds deadline, uint32_t tries_max = 40) {
    auto local = std::make_shared<local_script>();
    auto dir = caf::actor_cast<directory_actor>(sys.spawn(fake_directory, local));
    auto router = spawn_router(sys, {"n1", dir, deadline, tries_max});
    auto script = std::make_shared<door_script>();
    auto door = sys.spawn(fake_door, script, std::string{"n2"});
    caf::anon_send(router, link_atom::value, std::string{"n2"}, spawn_peer_link(sys, "n2", door));
    sched.run();
    return {local, router, script, door};
  }

  // Virtual time passes in steps until `r` is answered (at most 5 s): how
  // much passed.
  template <class T>
  int answered_after(const slot<T>& r, std::chrono::milliseconds step) {
    int waited_ms = 0;
    while (!r->has_value() && waited_ms < 5000) {
      sched.advance_time(step);
      sched.run();
      waited_ms += static_cast<int>(step.count());
    }
    return waited_ms;
  }

  std::optional<errc> code_of(const caf::expected<event_view>& x) {
    return x ? std::nullopt : to_errc(x.error());
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(links, link_fixture)

BOOST_AUTO_TEST_CASE(pending_forwards_fail_at_once_when_the_peer_goes_down) {
  auto script = std::make_shared<door_script>();
  auto door = sys.spawn(fake_door, script, std::string{"n2"});
  auto link = spawn_peer_link(sys, "n2", door);
  auto a = ask<forward_answer>(link, forward_atom::value, envelope(30000));
  auto b = ask<forward_answer>(link, forward_atom::value, envelope(30000));
  sched.run();
  BOOST_TEST(script->seen == 2);
  if (a->has_value() && !**a)
    BOOST_TEST_MESSAGE("answered early: " << sys.render((*a)->error()));
  BOOST_TEST(!a->has_value());
  auto pending = ask<uint64_t>(link, forward_atom::value);
  sched.run();
  BOOST_TEST(**pending == 2u);
  auto before = sched.clock().now();
  caf::anon_send_exit(door, caf::exit_reason::kill);
  sched.run();  // no virtual time passes: the down_msg alone fails them
  BOOST_TEST((sched.clock().now() == before));
  BOOST_REQUIRE(a->has_value());
  BOOST_REQUIRE(b->has_value());
  BOOST_TEST(!**a);
  BOOST_TEST((to_errc((*a)->error()) == errc::owner_unreachable));
  BOOST_TEST((to_errc((*b)->error()) == errc::owner_unreachable));
}

BOOST_AUTO_TEST_CASE(a_forward_gets_its_remaining_deadline_and_no_more) {
  auto script = std::make_shared<door_script>();
  auto door = sys.spawn(fake_door, script, std::string{"n2"});
  auto link = spawn_peer_link(sys, "n2", door);
  auto a = ask<forward_answer>(link, forward_atom::value, envelope(500));
  sched.run();
  sched.advance_time(499ms);
  sched.run();
  BOOST_TEST(!a->has_value());
  sched.advance_time(1ms);
  sched.run();
  BOOST_REQUIRE(a->has_value());
  BOOST_REQUIRE(!**a);
  BOOST_TEST(((*a)->error() == caf::sec::request_timeout));
  // A late answer from the owner is dropped, not delivered twice.
  caf::anon_send(door, caf::ok_atom::value);
  sched.run();
  auto pending = ask<uint64_t>(link, forward_atom::value);
  sched.run();
  BOOST_TEST(**pending == 0u);
  // Nothing left of the deadline: refused without a message to the owner.
  auto late = ask<forward_answer>(link, forward_atom::value, envelope(0));
  sched.run();
  BOOST_TEST(((*late)->error() == caf::sec::request_timeout));
  BOOST_TEST(script->seen == 1);
}

BOOST_AUTO_TEST_CASE(the_router_forwards_to_the_owner_named_by_not_owner_and_caches_it) {
  auto [local, router, script, door] = two_nodes(2000ms);
  script->mode = door_mode::answer;
  auto first = ask<event_view>(router, event_request{7, true});
  sched.run();
  BOOST_REQUIRE(**first);
  BOOST_TEST((**first)->info.title == "from n2");
  BOOST_TEST(local->asked == 1);
  auto cached = ask<std::string>(router, cache_atom::value, event_id{7});
  sched.run();
  BOOST_TEST(***cached == "n2");
  // Cached: straight to the owner, the local directory is not asked again.
  auto second = ask<event_view>(router, event_request{7, true});
  sched.run();
  BOOST_TEST((**second)->info.title == "from n2");
  BOOST_TEST(local->asked == 1);
  BOOST_TEST(script->seen == 2);
  // The event moved here: n2 answers not_owner naming n1; the router
  // invalidates its entry and answers from the local directory.
  script->mode = door_mode::not_owner_self;
  local->owns = true;
  auto third = ask<event_view>(router, event_request{7, true});
  sched.run();
  BOOST_REQUIRE(**third);
  BOOST_TEST((**third)->info.title == "local");
  BOOST_TEST(script->seen == 3);
  cached = ask<std::string>(router, cache_atom::value, event_id{7});
  sched.run();
  BOOST_TEST(***cached == "");
  auto forwarded = ask<uint64_t>(router, cache_atom::value);
  sched.run();
  BOOST_TEST(**forwarded == 3u);
}

BOOST_AUTO_TEST_CASE(a_request_pending_on_a_dead_owner_fails_at_once_and_forgets_it) {
  auto [local, router, script, door] = two_nodes(2000ms);  // a silent door
  auto r = ask<event_view>(router, event_request{7, true});
  sched.run();
  BOOST_TEST(script->seen == 1);
  BOOST_TEST(!r->has_value());
  auto before = sched.clock().now();
  caf::anon_send_exit(door, caf::exit_reason::kill);
  sched.run();
  BOOST_TEST((sched.clock().now() == before));
  BOOST_REQUIRE(r->has_value());
  BOOST_TEST((code_of(**r) == errc::owner_unreachable));
  auto cached = ask<std::string>(router, cache_atom::value, event_id{7});
  sched.run();
  BOOST_TEST(***cached == "");
  // The link is gone: nothing can be sent, so the next request for n2's
  // event waits for a link or a new owner, trying again, and gives up
  // within about 2 s (not_owner_tries_max 40), with the last refusal.
  auto next = ask<event_view>(router, event_request{7, true});
  sched.run();
  BOOST_TEST(!next->has_value());
  const int waited_ms = answered_after(next, 10ms);
  BOOST_REQUIRE(next->has_value());
  BOOST_TEST((code_of(**next) == errc::owner_unreachable));
  BOOST_TEST(waited_ms >= 1500);
  BOOST_TEST(waited_ms <= 2500);
  BOOST_TEST(local->asked > 10);  // it asked again on every try
}

// cluster.forward_retries_max bounds the tries: 3 tries wait 5 + 10 + 20 ms.
BOOST_AUTO_TEST_CASE(the_router_tries_at_most_its_configured_number_of_times) {
  auto [local, router, script, door] = two_nodes(2000ms, 3);
  caf::anon_send_exit(door, caf::exit_reason::kill);
  sched.run();
  const int asked_before = local->asked;
  auto r = ask<event_view>(router, event_request{7, true});
  sched.run();
  const int waited_ms = answered_after(r, 1ms);
  BOOST_REQUIRE(r->has_value());
  BOOST_TEST((code_of(**r) == errc::owner_unreachable));
  BOOST_TEST(waited_ms >= 35);
  BOOST_TEST(waited_ms <= 40);
  BOOST_TEST(local->asked - asked_before == 4);  // the first try and three more
}

BOOST_AUTO_TEST_CASE(a_request_refused_while_its_event_moves_waits_and_reaches_the_new_owner) {
  auto [local, router, script, door] = two_nodes(2000ms);
  // Mid-move: the local directory names n2, n2 names n1 (not recorded yet).
  script->mode = door_mode::not_owner_self;
  auto r = ask<event_view>(router, event_request{7, true});
  sched.run();
  BOOST_TEST(!r->has_value());  // not refused: parked
  BOOST_TEST(script->seen == 1);
  // The move lands here; the parked request tries again within 5 ms.
  local->owns = true;
  sched.advance_time(5ms);
  sched.run();
  BOOST_REQUIRE(r->has_value());
  BOOST_REQUIRE(**r);
  BOOST_TEST((**r)->info.title == "local");
}

BOOST_AUTO_TEST_CASE(the_router_gives_up_at_the_requests_one_deadline) {
  auto [local, router, script, door] = two_nodes(800ms);  // a silent door
  auto r = ask<event_view>(router, event_request{7, true});
  sched.run();
  sched.advance_time(799ms);
  sched.run();
  BOOST_TEST(!r->has_value());
  sched.advance_time(1ms);
  sched.run();
  BOOST_REQUIRE(r->has_value());
  BOOST_TEST(((*r)->error() == caf::sec::request_timeout));
  script->held.clear();  // they hold the door, which holds them
}

BOOST_AUTO_TEST_SUITE_END()
