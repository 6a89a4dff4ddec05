// The directory in cluster mode, on the deterministic coordinator in
// virtual time, with a fake ownership gate and a store whose fence is a
// switch: writes carry the epoch the gate granted; a fenced write is
// answered not_owner and undone in its section; an event owned elsewhere is
// refused with its owner; past its lease the directory serves nothing and
// forgets its events, and a takeover (adopt) runs an event at once.
#include "tests/actor_fixture.h"

#include "telemetry/metrics.h"

#include <set>

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {

bool ok(const caf::expected<hold_info>& x) {
  return static_cast<bool>(x);
}

struct gate_log {
  std::set<event_id> mine;  // acquire grants these; others live on node "b"
  int64_t epoch = 5;
  int acquires = 0;
  event_id next = 100;
};

ownership_gate::behavior_type fake_gate(ownership_gate::pointer, std::shared_ptr<gate_log> log) {
  return {
    [log](acquire_atom, event_id id) -> caf::result<ownership> {
      ++log->acquires;
      if (log->mine.count(id) == 0)
        return make_not_owner(owner_hint{"b", "127.0.0.1:9002"});
      return ownership{1, log->epoch};
    },
    [log](create_atom, event_id at_least) -> caf::result<event_id, ownership> {
      auto id = std::max(at_least, log->next++);
      log->mine.insert(id);
      return caf::result<event_id, ownership>(id, ownership{1, 1});
    },
  };
}

double fenced_metric() {
  const auto text = metrics::default_registry().render();
  const std::string name = "boxoffice_fenced_commits_total ";
  const auto at = text.find("\n" + name);
  return at == std::string::npos ? 0.0 : std::stod(text.substr(at + 1 + name.size()));
}

struct cluster_fixture : test::durable_fixture {
  std::shared_ptr<gate_log> log = std::make_shared<gate_log>();
  ownership_gate gate;
  directory_actor dir;

  cluster_fixture() {
    stop_journal();
    mode = commit_mode::fenced;
    start_journal();
    gate = sys.spawn(fake_gate, log);
    dir = spawn_directory(sys, directory_settings{{}, 0, 1024, journal, loader,
                                                  stored_events(), gate, {}, nullptr});
  }
  ~cluster_fixture() override {
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(gate, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void lease_for(std::chrono::seconds d) {
    auto until = std::chrono::duration_cast<std::chrono::nanoseconds>(
      (sched.clock().now() + d).time_since_epoch());
    caf::anon_send(dir, lease_atom::value, static_cast<int64_t>(until.count()));
    sched.run();
  }

  // An event on sale with one reserved row of five seats.
  std::pair<event_id, section_id> sale() {
    auto info = ask<event_info>(dir, create_event_request{"Night", "", "Hall", 0, 0, {}});
    BOOST_REQUIRE(info);
    auto s = ask<section_info>(dir, add_section_request{info->id, "S", reserved_layout(1, 5), 100, {}});
    BOOST_REQUIRE(s);
    BOOST_REQUIRE(ask<event_info>(dir, set_status_request{info->id, sale_status::on_sale}));
    return {info->id, s->id};
  }

  caf::expected<hold_info> hold(event_id e, section_id s, const std::string& seat) {
    return ask<hold_info>(dir, hold_request{e, s, 1, {seat}, 0, {}, {}});
  }

  seat_status seat(event_id e, section_id s, size_t index) {
    auto map = ask<seat_map>(dir, seat_map_request{e, s});
    BOOST_REQUIRE(map);
    return map->seats.at(index);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_directory, cluster_fixture)

BOOST_AUTO_TEST_CASE(without_a_lease_nothing_is_served) {
  BOOST_TEST((code(ask<event_info>(dir, create_event_request{"Night", "", "Hall", 0, 0, {}}))
              == errc::not_owner));
  BOOST_TEST((code(ask<event_view>(dir, event_request{100})) == errc::not_owner));
  BOOST_TEST(log->acquires == 0);
}

BOOST_AUTO_TEST_CASE(writes_carry_the_granted_epoch_and_a_fenced_one_is_undone) {
  lease_for(60s);
  auto [event, section] = sale();
  BOOST_TEST(event == 100u);
  BOOST_TEST_REQUIRE(ok(hold(event, section, "A-1")));
  BOOST_TEST_REQUIRE(!faults->seen.empty());
  for (const auto& o : faults->seen)
    BOOST_TEST((o.incarnation == 1 && o.epoch == 1));

  // The node lost the event before this commit: refused, and undone.
  faults->fenced = {event};
  const auto before = fenced_metric();
  BOOST_TEST((code(hold(event, section, "A-2")) == errc::not_owner));
  BOOST_TEST(fenced_metric() == before + 1);
  BOOST_TEST((seat(event, section, 1) == seat_status::free));
  BOOST_TEST((seat(event, section, 0) == seat_status::held));
  faults->fenced.clear();
  BOOST_TEST(static_cast<bool>(hold(event, section, "A-2")));  // the seat was given back
}

BOOST_AUTO_TEST_CASE(an_event_owned_elsewhere_is_refused_with_its_owner) {
  lease_for(60s);
  auto answer = ask<event_view>(dir, event_request{7});
  BOOST_TEST_REQUIRE(!answer);
  auto hint = not_owner_hint(answer.error());
  BOOST_TEST_REQUIRE(hint.has_value());
  BOOST_TEST(hint->node == "b");
  BOOST_TEST(hint->address == "127.0.0.1:9002");
}

BOOST_AUTO_TEST_CASE(past_its_lease_it_serves_nothing_and_forgets_its_events) {
  lease_for(5s);
  auto [event, section] = sale();
  BOOST_TEST_REQUIRE(ok(hold(event, section, "A-1")));
  const auto acquires = log->acquires;
  advance_time(6s);  // paused past the lease: no renewal came
  BOOST_TEST((code(ask<event_view>(dir, event_request{event})) == errc::not_owner));
  BOOST_TEST((code(hold(event, section, "A-2")) == errc::not_owner));
  // Rejoined, with a new lease: the event must be granted again (new epoch),
  // and is recovered from the database with its hold.
  log->epoch = 9;
  faults->seen.clear();
  lease_for(60s);
  BOOST_TEST((seat(event, section, 0) == seat_status::held));
  BOOST_TEST(log->acquires == acquires + 1);
  BOOST_TEST_REQUIRE(ok(hold(event, section, "A-2")));
  BOOST_TEST_REQUIRE(!faults->seen.empty());
  BOOST_TEST(faults->seen.back().epoch == 9);
}

BOOST_AUTO_TEST_CASE(a_takeover_runs_the_event_at_its_new_epoch_without_asking) {
  lease_for(60s);
  auto [event, section] = sale();
  BOOST_TEST_REQUIRE(ok(hold(event, section, "A-1")));
  caf::anon_send(dir, drop_atom::value);  // lost it
  sched.run();
  const auto acquires = log->acquires;
  caf::anon_send(dir, adopt_atom::value, event, ownership{2, 12});
  sched.run();
  faults->seen.clear();
  BOOST_TEST_REQUIRE(ok(hold(event, section, "A-3")));
  BOOST_TEST(log->acquires == acquires);
  BOOST_TEST_REQUIRE(!faults->seen.empty());
  BOOST_TEST((faults->seen.back().incarnation == 2 && faults->seen.back().epoch == 12));
  BOOST_TEST((seat(event, section, 0) == seat_status::held));  // recovered from the database
}

BOOST_AUTO_TEST_SUITE_END()
