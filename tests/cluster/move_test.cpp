// The ownership actor's planned moves on CAF's deterministic coordinator, in
// virtual time, over an in-memory stand-in for the database (the worker)
// and a stand-in directory: when a view shows another active node that
// placement now prefers, the event is handed over (drained by the
// directory, recorded at the next epoch in one transaction, the directory
// told where it went); when the database fails or the new owner may not
// take it, the move is called off and the event runs here again at its
// epoch; a later tick tries again; an event another node took meanwhile is
// let go. No move happens toward a joining node.
#include "cluster/messages.h"
#include "cluster/ownership_actor.h"
#include "cluster/placement.h"

#include <boost/test/unit_test.hpp>

#define FAIL(msg) BOOST_FAIL(msg)  // dsl.hpp calls an undefined FAIL()
#include <caf/test/dsl.hpp>

#include <map>
#include <memory>
#include <set>
#include <optional>

using namespace boxoffice;
using namespace boxoffice::cluster;
using namespace std::chrono_literals;

namespace {

struct move_config : caf::actor_system_config {
  move_config() { register_protocol(*this); }
};

// The database as the worker answers it.
struct fake_db {
  std::map<uint64_t, event_owner> owners;
  membership_view view;
  bool down = false;          // every write fails (storage unavailable)
  bool target_alive = true;   // hand_over_event finds the new owner active
  int handoffs = 0;
  std::set<uint64_t> events;  // the domain's events table: what a take may take
};

member active(const std::string& node, int64_t incarnation) {
  member m;
  m.id = {node, incarnation};
  m.addresses = {node + ":8080", node + ":21001"};
  m.state = member_state::active;
  m.lease_left_ms = 3000;
  return m;
}

membership_worker::behavior_type fake_worker(membership_worker::pointer,
                                             std::shared_ptr<fake_db> db) {
  auto unavailable = [] { return make_error(errc::storage_unavailable); };
  return {
    [=](join_atom, const std::string& node, const member_addresses&,
        uint32_t) -> caf::result<join_result> {
      return join_result{{node, 1}, 1, {}};
    },
    [=](renew_atom, const node_incarnation&, uint32_t) -> caf::result<lease_renewal> {
      return lease_renewal{true, std::nullopt};
    },
    [=](state_atom, const node_incarnation&, member_state, member_state)
      -> caf::result<state_change> { return state_change{int64_t{2}}; },
    [=](declare_atom) -> caf::result<dead_declaration> { return dead_declaration{}; },
    [=](members_atom) -> caf::result<membership_view> { return db->view; },
    // As take_existing_event: no_event (nothing written) for an id no
    // event has, else the compare-and-set.
    [=](take_atom, const node_incarnation& self, uint64_t event,
        int64_t expected) -> caf::result<take_result> {
      if (db->down)
        return unavailable();
      auto row = db->owners.find(event);
      std::optional<event_owner> owner;
      if (row != db->owners.end())
        owner = row->second;
      if (db->events.count(event) == 0)
        return take_result{take_outcome::no_event, owner};
      if ((owner ? owner->epoch : 0) != expected)
        return take_result{take_outcome::epoch_moved, owner};
      db->owners[event] = event_owner{event, self, expected + 1};
      return take_result{take_outcome::taken, db->owners[event]};
    },
    [=](owner_atom, uint64_t event) -> caf::result<owner_lookup> {
      auto i = db->owners.find(event);
      return owner_lookup{i == db->owners.end() ? std::nullopt
                                                : std::optional<event_owner>{i->second}};
    },
    [=](orphans_atom) -> caf::result<orphan_list> { return orphan_list{}; },
    [=](claim_atom, const node_incarnation&, uint64_t) -> caf::result<claimed_event> {
      return unavailable();
    },
    [=](handoff_atom, const node_incarnation& self, uint64_t event, int64_t epoch,
        const node_incarnation& to) -> caf::result<bool> {
      ++db->handoffs;
      if (db->down)
        return unavailable();
      auto& row = db->owners.at(event);
      if (!db->target_alive || row.owner != self || row.epoch != epoch)
        return false;
      row = event_owner{event, to, epoch + 1};
      return true;
    },
    [=](status_atom) -> caf::result<std::string> { return std::string{"{}"}; },
    [=](status_atom, uint64_t) -> caf::result<std::string> { return std::string{"{}"}; },
  };
}

// What the ownership actor told its directory.
struct directory_log {
  std::vector<event_id> handovers;
  std::vector<std::pair<event_id, std::string>> moved;
  std::vector<std::pair<event_id, ownership>> adopted;
  int warmups = 0;
};

caf::behavior fake_directory(caf::event_based_actor*, std::shared_ptr<directory_log> log) {
  return {
    [=](lease_atom, int64_t) {},
    [=](drop_atom) {},
    [=](handover_atom, event_id e) {
      log->handovers.push_back(e);
      return ownership{};
    },
    [=](moved_atom, event_id e, const std::string& node, const std::string&) {
      log->moved.emplace_back(e, node);
    },
    [=](adopt_atom, event_id e, ownership held) { log->adopted.emplace_back(e, held); },
    [=](const event_request&) -> caf::result<event_view> {
      ++log->warmups;
      return make_error(errc::not_owner);
    },
  };
}

member in_state(member m, member_state s) {
  m.state = s;
  return m;
}

// An event id that placement over {a, b} puts on `node`.
uint64_t placed_on(const std::string& node, uint64_t from = 1) {
  for (uint64_t e = from;; ++e)
    if (place_event(e, {"a", "b"}) == node)
      return e;
}
uint64_t placed_on_b() {
  return placed_on("b");
}

struct move_fixture : test_coordinator_fixture<move_config> {
  std::shared_ptr<fake_db> db = std::make_shared<fake_db>();
  std::shared_ptr<directory_log> dirlog = std::make_shared<directory_log>();
  cluster_node node;
  caf::actor dir;
  const uint64_t event = placed_on_b();

  move_fixture() {
    db->view.version = 1;
    db->view.members = {active("a", 1)};
    db->owners[event] = event_owner{event, {"a", 1}, 3};
    auto worker = sys.spawn(fake_worker, db);
    ownership_settings settings{"a", "a:8080"};
    settings.rebalance_ms = 1000;
    node = start_cluster_node(sys, worker, worker, settings,
                              {"a", {"a:8080", "a:21001"}, 3000, 1000, 1000});
    dir = sys.spawn(fake_directory, dirlog);
    caf::anon_send(node.ownership, attach_atom::value, dir);
    sched.run();
    advance_time(100ms);  // joined, then active
    sched.run();
    // a serves the event at epoch 3 (the directory's first request for it).
    auto held = acquire();
    BOOST_REQUIRE(held);
    BOOST_REQUIRE_EQUAL(held->epoch, 3);
  }
  ~move_fixture() {
    for (const auto& a : {node.ownership, node.agent, dir})
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    sched.run();
  }

  caf::expected<ownership> acquire() { return acquire(event); }
  caf::expected<ownership> acquire(uint64_t which) {
    auto slot = std::make_shared<std::optional<caf::expected<ownership>>>();
    auto gate = gate_of(node);
    sys.spawn([=](caf::event_based_actor* self, int) {
      self->request(gate, caf::infinite, acquire_atom::value, event_id{which})
        .then([=](ownership o) { *slot = o; }, [=](caf::error& e) { *slot = e; });
    }, 0);
    sched.run();
    BOOST_REQUIRE(slot->has_value());
    return **slot;
  }

  // A new membership version, read by the agent at its next poll.
  void view(std::vector<member> members) {
    db->view.version += 1;
    db->view.members = std::move(members);
    advance_time(1000ms);
    sched.run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(ownership_moves, move_fixture)

BOOST_AUTO_TEST_CASE(a_node_joining_is_not_a_target_until_it_is_active) {
  auto joining = active("b", 1);
  joining.state = member_state::joining;
  view({active("a", 1), joining});
  BOOST_TEST(dirlog->handovers.empty());
  BOOST_TEST(db->owners.at(event).owner.node_id == "a");
}

BOOST_AUTO_TEST_CASE(an_event_placed_on_a_new_active_node_moves_there_at_the_next_epoch) {
  view({active("a", 1), active("b", 1)});
  BOOST_TEST_REQUIRE(dirlog->handovers.size() == 1u);
  BOOST_TEST(dirlog->handovers.front() == event);
  BOOST_TEST((db->owners.at(event).owner == node_incarnation{"b", 1}));
  BOOST_TEST(db->owners.at(event).epoch == 4);
  BOOST_TEST_REQUIRE(dirlog->moved.size() == 1u);
  BOOST_TEST(dirlog->moved.front().second == "b");
  BOOST_TEST(dirlog->warmups == 1);  // the read that brings it up on b
  BOOST_TEST(dirlog->adopted.empty());
  // No longer a's: the gate names b (a live owner in the database).
  auto again = acquire();
  BOOST_TEST_REQUIRE(!again);
  BOOST_TEST(not_owner_hint(again.error())->node == "b");
}

BOOST_AUTO_TEST_CASE(the_database_failing_mid_move_calls_it_off_and_a_tick_tries_again) {
  db->down = true;
  view({active("a", 1), active("b", 1)});
  BOOST_TEST(dirlog->handovers.size() >= 1u);
  BOOST_TEST_REQUIRE(dirlog->adopted.size() >= 1u);  // runs here again, at its epoch
  BOOST_TEST(dirlog->adopted.front().second.epoch == 3);
  BOOST_TEST(dirlog->moved.empty());
  BOOST_TEST(acquire()->epoch == 3);  // still a's
  db->down = false;
  advance_time(1000ms);  // the rebalance tick
  sched.run();
  BOOST_TEST(dirlog->moved.size() == 1u);
  BOOST_TEST(db->owners.at(event).epoch == 4);
}

BOOST_AUTO_TEST_CASE(a_new_owner_gone_mid_move_calls_it_off) {
  db->target_alive = false;  // b died between the view and the handoff
  view({active("a", 1), active("b", 1)});
  BOOST_TEST(db->handoffs >= 1);
  BOOST_TEST(dirlog->adopted.size() == static_cast<size_t>(db->handoffs));
  BOOST_TEST(dirlog->moved.empty());
  BOOST_TEST((db->owners.at(event).owner == node_incarnation{"a", 1}));
  view({active("a", 1)});  // b is gone from the view: nothing to move
  advance_time(1000ms);
  sched.run();
  BOOST_TEST(dirlog->moved.empty());
  BOOST_TEST(acquire()->epoch == 3);
}

BOOST_AUTO_TEST_CASE(an_event_taken_by_another_node_meanwhile_is_let_go_not_run_again) {
  // a was presumed gone and c took the event; a has not heard yet.
  db->owners[event] = event_owner{event, {"c", 1}, 4};
  view({active("a", 1), active("b", 1), active("c", 1)});
  BOOST_TEST(db->handoffs >= 1);
  BOOST_TEST(dirlog->adopted.empty());
  BOOST_TEST_REQUIRE(dirlog->moved.size() == 1u);
  BOOST_TEST(dirlog->moved.front().second == "c");
  BOOST_TEST(db->owners.at(event).owner.node_id == "c");
}

// `boxoffice cluster drain a` then `undrain a`: drained, a moves its events
// away and takes none (placement leaves it out); undrained (its row active
// again), it takes the events placement gives it again.
BOOST_AUTO_TEST_CASE(an_undrained_node_takes_events_again) {
  const auto on_a = placed_on("a", 1000);
  db->events.insert(on_a);
  view({in_state(active("a", 1), member_state::leaving), active("b", 1)});
  BOOST_TEST_REQUIRE(dirlog->moved.size() == 1u);  // a's event went to b
  auto refused = acquire(on_a);
  BOOST_TEST_REQUIRE(!refused);
  BOOST_TEST(not_owner_hint(refused.error())->node == "b");  // placed without a
  BOOST_TEST(db->owners.count(on_a) == 0u);

  view({active("a", 1), active("b", 1)});
  auto taken = acquire(on_a);
  BOOST_TEST_REQUIRE(static_cast<bool>(taken));
  BOOST_TEST(taken->epoch == 1);
  BOOST_TEST((db->owners.at(on_a).owner == node_incarnation{"a", 1}));
}

// An undrain that lands while the node stops (SIGTERM: leave step 0) does
// not hold: the node stays leaving and takes nothing.
BOOST_AUTO_TEST_CASE(an_undrain_does_not_hold_a_stopping_node) {
  const auto on_a = placed_on("a", 1000);
  db->events.insert(on_a);
  auto left = std::make_shared<std::optional<bool>>();
  sys.spawn([=, own = node.ownership](caf::event_based_actor* self, int) {
    self->request(own, caf::infinite, leave_atom::value, uint8_t{0})
      .then([=](bool changed) { *left = changed; });
  }, 0);
  sched.run();
  BOOST_TEST_REQUIRE(left->value_or(false));
  view({active("a", 1), active("b", 1)});  // undrained meanwhile
  auto refused = acquire(on_a);
  BOOST_TEST(!refused);
  BOOST_TEST(db->owners.count(on_a) == 0u);
}

// A request for an id no event has, on the node placement names: the gate
// answers event_not_found (the single node's 404) and grants nothing; the
// take wrote no row. An event that exists is taken as before.
BOOST_AUTO_TEST_CASE(a_request_for_an_id_no_event_has_is_not_found_and_takes_nothing) {
  constexpr uint64_t random_id = 987654321;
  auto missing = acquire(random_id);
  BOOST_TEST_REQUIRE(!missing);
  BOOST_TEST((to_errc(missing.error()) == errc::event_not_found));
  BOOST_TEST(db->owners.count(random_id) == 0u);
  // Nothing granted: asked again, it goes to the database again (no grant
  // cached for it), and is refused the same way.
  BOOST_TEST(!acquire(random_id));
  db->events.insert(random_id);
  auto taken = acquire(random_id);
  BOOST_TEST_REQUIRE(static_cast<bool>(taken));
  BOOST_TEST(taken->epoch == 1);
  BOOST_TEST((db->owners.at(random_id).owner == node_incarnation{"a", 1}));
}

BOOST_AUTO_TEST_SUITE_END()
