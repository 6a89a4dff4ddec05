// The old owner's side of a planned move, on the deterministic coordinator
// in virtual time: the directory answers handover only once the event's
// commit in flight is answered, holds the requests that come meanwhile and
// hands them on (moved: refused not_owner naming the new owner, which the
// router follows; adopt: the move is called off, served here); a commit
// that fails mid-move is refused and undone, and the move still completes.
// And two nodes that both believe they own one event: only the newer epoch
// commits (the fence), the other's write is undone and refused not_owner.
#include "tests/actor_fixture.h"

#include "telemetry/metrics.h"

#include <map>

using namespace boxoffice;
using namespace std::chrono_literals;

namespace {

ownership_gate::behavior_type granting_gate(ownership_gate::pointer, ownership grant) {
  return {
    [grant](acquire_atom, event_id) -> caf::result<ownership> { return grant; },
    [grant](create_atom, event_id at_least) -> caf::result<event_id, ownership> {
      return caf::result<event_id, ownership>(std::max<event_id>(at_least, 100), grant);
    },
  };
}

double waiting_gauge() {
  const auto text = metrics::default_registry().render();
  const std::string name = "\nboxoffice_cluster_move_waiting_requests ";
  const auto at = text.find(name);
  return at == std::string::npos ? 0.0 : std::stod(text.substr(at + name.size()));
}

// The fence as the database runs it, by epoch: a write commits only at the
// newest epoch the event was granted at (by any node).
struct epochs {
  std::map<event_id, int64_t> newest;
};

class epoch_fenced_store : public store {
public:
  epoch_fenced_store(const std::string& url, std::shared_ptr<epochs> e)
    : real_(url), epochs_(std::move(e)) {}
  void apply(const std::vector<change>& batch) override { real_.apply(batch); }
  std::vector<event_id> apply_fenced(const std::vector<journal_write>& writes) override {
    std::vector<change> kept;
    std::vector<event_id> lost;
    for (const auto& w : writes) {
      if (w.owner.epoch < epochs_->newest[w.event])
        lost.push_back(w.event);
      else
        kept.insert(kept.end(), w.changes.begin(), w.changes.end());
    }
    real_.apply(kept);
    return lost;
  }
  std::vector<event_id> event_ids() override { return real_.event_ids(); }
  std::optional<event_snapshot> load_event(event_id id) override { return real_.load_event(id); }

private:
  sql_store real_;
  std::shared_ptr<epochs> epochs_;
};

struct move_fixture : test::durable_fixture {
  journal_actor slow;  // commits 10 ms after a write: a commit stays in flight
  std::vector<caf::actor> others;

  move_fixture() {
    stop_journal();
    mode = commit_mode::fenced;
    start_journal();
    slow = spawn_journal(sys, journal_settings{512, 10, 65536}, committer);
  }
  ~move_fixture() override {
    for (auto& a : others)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(slow, caf::exit_reason::user_shutdown);
    sched.run();
  }

  directory_actor node(journal_actor journal, ownership grant) {
    auto gate = sys.spawn(granting_gate, grant);
    auto dir = spawn_directory(sys, directory_settings{{}, 0, 1024, journal, loader,
                                                       stored_events(), gate, {}, nullptr});
    others.push_back(caf::actor_cast<caf::actor>(gate));
    others.push_back(caf::actor_cast<caf::actor>(dir));
    auto until = std::chrono::duration_cast<std::chrono::nanoseconds>(
      (sched.clock().now() + 600s).time_since_epoch());
    caf::anon_send(dir, lease_atom::value, static_cast<int64_t>(until.count()));
    sched.run();
    return dir;
  }

  // Asks and lets virtual time pass (10 ms steps) until the answer is in.
  template <class Reply, class... Ts>
  caf::expected<Reply> settle(const directory_actor& dir, Ts... xs) {
    auto slot = start<Reply>(dir, std::move(xs)...);
    for (int i = 0; i < 100 && !slot->has_value(); ++i) {
      sched.run();
      if (!slot->has_value())
        advance_time(10ms);
    }
    BOOST_REQUIRE_MESSAGE(slot->has_value(), "no answer");
    return std::move(**slot);
  }

  std::pair<event_id, section_id> sale(const directory_actor& dir) {
    auto info = settle<event_info>(dir, create_event_request{"Night", "", "Hall", 0, 0, {}});
    BOOST_REQUIRE(info);
    auto s = settle<section_info>(dir, add_section_request{info->id, "S", reserved_layout(1, 5),
                                                           100, {}});
    BOOST_REQUIRE(s);
    BOOST_REQUIRE(settle<event_info>(dir, set_status_request{info->id, sale_status::on_sale}));
    return {info->id, s->id};
  }

  size_t live_holds_stored(event_id e) {
    auto snap = sql_store{url()}.load_event(e);
    BOOST_REQUIRE(snap.has_value());
    size_t n = 0;
    for (const auto& s : snap->sections)
      n += s.holds.size();
    return n;
  }
};

hold_request one_seat(event_id e, section_id s, const std::string& seat) {
  return hold_request{e, s, 1, {seat}, 0, {}, {}};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_moves, move_fixture)

BOOST_AUTO_TEST_CASE(a_move_waits_for_the_commit_in_flight_and_hands_on_what_came_meanwhile) {
  const ownership grant{1, 4};
  auto dir = node(slow, grant);
  auto [event, section] = sale(dir);
  const auto waiting_before = waiting_gauge();

  auto in_flight = start<hold_info>(dir, one_seat(event, section, "A-1"));
  sched.run();
  BOOST_TEST_REQUIRE(!in_flight->has_value());  // in the journal, not committed yet
  auto handover = start<ownership>(dir, handover_atom::value, event);
  sched.run();
  BOOST_TEST(!handover->has_value());  // the event waits for its commit
  auto late = start<seat_map>(dir, seat_map_request{event, section});
  sched.run();
  BOOST_TEST(!late->has_value());  // held, not refused
  BOOST_TEST(waiting_gauge() == waiting_before + 1);

  advance_time(10ms);  // the commit lands: acknowledged, then the event stops
  sched.run();
  BOOST_TEST_REQUIRE(in_flight->has_value());
  BOOST_TEST(static_cast<bool>(**in_flight));
  BOOST_TEST_REQUIRE(handover->has_value());
  BOOST_TEST_REQUIRE(static_cast<bool>(**handover));
  BOOST_TEST(((**handover)->epoch == 4 && (**handover)->incarnation == 1));
  BOOST_TEST(!late->has_value());  // still held until the new owner is recorded
  BOOST_TEST(live_holds_stored(event) == 1u);  // durable before the move

  caf::anon_send(dir, moved_atom::value, event, std::string{"b"}, std::string{"10.0.0.2:8080"});
  sched.run();
  BOOST_TEST_REQUIRE(late->has_value());
  BOOST_TEST_REQUIRE(!**late);
  auto hint = not_owner_hint((**late).error());
  BOOST_TEST_REQUIRE(hint.has_value());
  BOOST_TEST(hint->node == "b");  // the router takes it there
  BOOST_TEST(waiting_gauge() == waiting_before);
}

BOOST_AUTO_TEST_CASE(a_commit_that_fails_mid_move_is_refused_and_undone_and_the_move_goes_on) {
  const ownership grant{1, 4};
  auto dir = node(slow, grant);
  auto [event, section] = sale(dir);

  auto failing = start<hold_info>(dir, one_seat(event, section, "A-1"));
  sched.run();
  auto handover = start<ownership>(dir, handover_atom::value, event);
  auto late = start<hold_info>(dir, one_seat(event, section, "A-1"));
  sched.run();
  faults->fail = store_error::kind::unavailable;
  advance_time(10ms);
  sched.run();
  faults->fail.reset();
  BOOST_TEST_REQUIRE(failing->has_value());
  BOOST_TEST(!**failing);  // never a false 2xx
  BOOST_TEST_REQUIRE(handover->has_value());
  BOOST_TEST(static_cast<bool>(**handover));  // drained all the same
  BOOST_TEST(live_holds_stored(event) == 0u);
  BOOST_TEST(!late->has_value());

  // The new owner could not be recorded (say): the move is called off and
  // the held request is served here, from the database (A-1 is free).
  caf::anon_send(dir, adopt_atom::value, event, grant);
  for (int i = 0; i < 5 && !late->has_value(); ++i) {
    sched.run();
    advance_time(10ms);
  }
  sched.run();
  BOOST_TEST_REQUIRE(late->has_value());
  BOOST_TEST(static_cast<bool>(**late));
  BOOST_TEST(live_holds_stored(event) == 1u);
}

BOOST_AUTO_TEST_CASE(of_two_nodes_claiming_one_event_only_the_newer_epoch_commits) {
  auto newest = std::make_shared<epochs>();
  stop_journal();
  auto fenced = [url = url(), newest] { return std::make_unique<epoch_fenced_store>(url, newest); };
  committer = spawn_committer(sys, fenced, thread_model::scheduled, commit_mode::fenced);
  loader = spawn_loader(sys, fenced, thread_model::scheduled);
  journal = spawn_journal(sys, journal_settings{512, 0, 65536}, committer);

  auto a = node(journal, ownership{1, 1});
  auto [event, section] = sale(a);
  // b took the event at epoch 2 (a was presumed gone); a still runs it.
  newest->newest[event] = 2;
  auto b = node(journal, ownership{1, 2});
  auto from_a = ask<hold_info>(a, one_seat(event, section, "A-1"));
  BOOST_TEST_REQUIRE(!from_a);
  BOOST_TEST((to_errc(from_a.error()) == errc::not_owner));  // fenced, undone
  auto from_b = ask<hold_info>(b, one_seat(event, section, "A-1"));
  BOOST_TEST(static_cast<bool>(from_b));
  BOOST_TEST(live_holds_stored(event) == 1u);  // one hold of A-1, b's
  auto again_a = ask<hold_info>(a, one_seat(event, section, "A-2"));
  BOOST_TEST((code(again_a) == errc::not_owner));
  BOOST_TEST(live_holds_stored(event) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
