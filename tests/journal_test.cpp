// The journal with more than one batch in flight (issue 17), against a
// committer that the test answers by hand, in any order, on CAF's
// deterministic scheduler: independent batches commit at once; a batch with
// a change that depends on one in flight waits for it; answers keep the
// order the journal took the writes; a failure fails the writes that
// depend on it and nothing else.
#include "persistence/write_keys.h"
#include "tests/actor_fixture.h"
#include "tests/change_fixture.h"

using namespace boxoffice;
using namespace boxoffice::test;

namespace {

struct held_commit {
  commit_batch batch;
  caf::response_promise rp;
};

using commit_log = std::shared_ptr<std::vector<held_commit>>;
using answer_atom = caf::atom_constant<caf::atom("answer")>;

// Keeps every batch it is sent, unanswered, until the test has it answer
// one (an answer_atom with the batch's index and its result or error).
caf::behavior held_committer(caf::event_based_actor* self, commit_log log) {
  return {
    [self, log](commit_batch& batch) {
      log->push_back({std::move(batch), self->make_response_promise()});
    },
    [log](answer_atom, uint64_t i, commit_result& r) { (*log)[i].rp.deliver(std::move(r)); },
    [log](answer_atom, uint64_t i, caf::error& e) { (*log)[i].rp.deliver(std::move(e)); },
  };
}

journal_write write_of(change c) { return journal_write{{std::move(c)}, sale_event, {}}; }

commit_result all_ok(const held_commit& c) {
  commit_result r;
  r.failed.resize(c.batch.writes.size());
  return r;
}

commit_result all_failed(const held_commit& c, errc why) {
  commit_result r;
  r.failed.assign(c.batch.writes.size(), why);
  return r;
}

struct journal_fixture : actor_fixture {
  commit_log log = std::make_shared<std::vector<held_commit>>();
  caf::actor held = sys.spawn(held_committer, log);
  committer_actor committer = caf::actor_cast<committer_actor>(held);
  journal_actor journal;

  // No batch wait: a write is sent as soon as the journal may send it.
  void open_journal(uint32_t in_flight) {
    journal = spawn_journal(sys, journal_settings{512, 0, 65536, in_flight}, committer);
  }

  pending<committed_atom> write(change c) {
    auto slot = start_write(std::move(c));
    sched.run();
    return slot;
  }
  pending<committed_atom> start_write(change c) {
    return actor_fixture::start<committed_atom>(journal, write_of(std::move(c)));
  }

  template <class Result>
  void answer(size_t i, Result r) {
    BOOST_REQUIRE_LT(i, log->size());
    caf::anon_send(held, answer_atom::value, uint64_t{i}, std::move(r));
    sched.run();
  }

  static bool ok(const pending<committed_atom>& p) { return p->has_value() && p->value(); }
  static bool unanswered(const pending<committed_atom>& p) { return !p->has_value(); }
  static std::optional<errc> failed_with(const pending<committed_atom>& p) {
    if (!p->has_value() || p->value())
      return std::nullopt;
    return to_errc(p->value().error());
  }
};

hold_extended extend_of(const hold_placed& h) {
  return {h.event, h.section, h.hold.id, h.hold.expires_at + 60'000};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(journal, journal_fixture)

BOOST_AUTO_TEST_CASE(with_one_in_flight_the_next_batch_waits_for_the_commit) {
  open_journal(1);
  auto a = write(stalls_hold(1, {0}));
  auto b = write(stalls_hold(2, {1}));
  BOOST_CHECK_EQUAL(log->size(), 1u);
  answer(0, all_ok((*log)[0]));
  BOOST_CHECK(ok(a));
  BOOST_CHECK(unanswered(b));
  BOOST_REQUIRE_EQUAL(log->size(), 2u);
  answer(1, all_ok((*log)[1]));
  BOOST_CHECK(ok(b));
}

BOOST_AUTO_TEST_CASE(independent_batches_commit_at_once_and_are_answered_in_order) {
  open_journal(2);
  auto a = write(stalls_hold(1, {0}));
  auto b = write(stalls_hold(2, {1}));
  auto c = write(stalls_hold(3, {2}));
  // Two commits at once; the third waits for a place.
  BOOST_REQUIRE_EQUAL(log->size(), 2u);
  // The second commit ends first: its write is not answered before the
  // first's, and no third batch starts while both are unanswered.
  answer(1, all_ok((*log)[1]));
  BOOST_CHECK(unanswered(a));
  BOOST_CHECK(unanswered(b));
  BOOST_CHECK_EQUAL(log->size(), 2u);
  answer(0, all_ok((*log)[0]));
  BOOST_CHECK(ok(a));
  BOOST_CHECK(ok(b));
  BOOST_REQUIRE_EQUAL(log->size(), 3u);
  answer(2, all_ok((*log)[2]));
  BOOST_CHECK(ok(c));
}

BOOST_AUTO_TEST_CASE(a_batch_with_a_dependent_change_waits_for_the_one_it_depends_on) {
  open_journal(4);
  auto h = stalls_hold(1, {0});
  auto placed = write(h);
  BOOST_REQUIRE_EQUAL(log->size(), 1u);
  // Purchase and extend of the hold in flight depend on it; another hold
  // taken after them goes with them (answers stay in order).
  auto bought = write(stalls_purchase(h, 1));
  auto other = write(stalls_hold(2, {1}));
  BOOST_CHECK_EQUAL(log->size(), 1u);
  BOOST_CHECK(unanswered(bought) && unanswered(other));
  answer(0, all_ok((*log)[0]));
  BOOST_CHECK(ok(placed));
  BOOST_REQUIRE_EQUAL(log->size(), 2u);
  BOOST_CHECK_EQUAL((*log)[1].batch.writes.size(), 2u);
  answer(1, all_ok((*log)[1]));
  BOOST_CHECK(ok(bought) && ok(other));
}

BOOST_AUTO_TEST_CASE(a_failed_batch_fails_the_writes_that_depend_on_it_and_nothing_else) {
  open_journal(4);
  auto h = stalls_hold(1, {0});
  auto placed = write(h);
  auto extended = write(extend_of(h));
  auto bought = write(stalls_purchase(h, 1));
  auto other = write(stalls_hold(2, {1}));
  BOOST_REQUIRE_EQUAL(log->size(), 1u);
  answer(0, all_failed((*log)[0], errc::storage_unavailable));
  BOOST_CHECK(failed_with(placed) == errc::storage_unavailable);
  // The extend and the purchase of a hold that is not there never reach the
  // database; the independent hold does.
  BOOST_REQUIRE_EQUAL(log->size(), 2u);
  const auto& sent = (*log)[1].batch.writes;
  BOOST_REQUIRE_EQUAL(sent.size(), 1u);
  BOOST_CHECK(std::holds_alternative<hold_placed>(sent[0].changes[0]));
  BOOST_CHECK_EQUAL(std::get<hold_placed>(sent[0].changes[0]).hold.id, 2u);
  BOOST_CHECK(unanswered(extended) && unanswered(bought) && unanswered(other));
  answer(1, all_ok((*log)[1]));
  BOOST_CHECK(failed_with(extended) == errc::storage_unavailable);
  BOOST_CHECK(failed_with(bought) == errc::storage_unavailable);
  BOOST_CHECK(ok(other));
}

BOOST_AUTO_TEST_CASE(a_fenced_write_fails_its_dependents_as_not_owner) {
  open_journal(2);
  auto h = stalls_hold(1, {0});
  auto placed = write(h);
  auto released = write(hold_ended{h.event, h.section, h.hold.id, hold_end::released, sale_t0});
  BOOST_REQUIRE_EQUAL(log->size(), 1u);
  answer(0, all_failed((*log)[0], errc::not_owner));
  // Nothing left to send: the release is answered in its turn, without a commit.
  BOOST_CHECK_EQUAL(log->size(), 1u);
  BOOST_CHECK(failed_with(placed) == errc::not_owner);
  BOOST_CHECK(failed_with(released) == errc::not_owner);
}

BOOST_AUTO_TEST_CASE(a_failure_never_fails_a_later_independent_batch_in_flight) {
  open_journal(2);
  auto a = write(stalls_hold(1, {0}));
  auto b = write(stalls_hold(2, {1}));
  BOOST_REQUIRE_EQUAL(log->size(), 2u);
  answer(1, all_ok((*log)[1]));
  answer(0, all_failed((*log)[0], errc::storage_conflict));
  BOOST_CHECK(failed_with(a) == errc::storage_conflict);
  BOOST_CHECK(ok(b));
}

BOOST_AUTO_TEST_CASE(a_committer_that_dies_fails_its_batch_and_the_journal_goes_on) {
  open_journal(2);
  auto a = write(stalls_hold(1, {0}));
  BOOST_REQUIRE_EQUAL(log->size(), 1u);
  answer(0, make_error(errc::storage_unavailable));
  BOOST_CHECK(failed_with(a) == errc::storage_unavailable);
  auto b = write(stalls_hold(2, {1}));
  BOOST_REQUIRE_EQUAL(log->size(), 2u);
  answer(1, all_ok((*log)[1]));
  BOOST_CHECK(ok(b));
}

BOOST_AUTO_TEST_CASE(a_drain_waits_for_every_batch_in_flight) {
  open_journal(2);
  auto a = write(stalls_hold(1, {0}));
  auto b = write(stalls_hold(2, {1}));
  auto drained = start<committed_atom>(journal, flush_atom::value);
  sched.run();
  answer(1, all_ok((*log)[1]));
  BOOST_CHECK(unanswered(drained));
  answer(0, all_failed((*log)[0], errc::storage_unavailable));
  // Empty now, but a write failed since the drain asked: it says so.
  BOOST_CHECK(failed_with(drained) == errc::storage_unavailable);
  BOOST_CHECK(ok(b));
}

BOOST_AUTO_TEST_CASE(rows_in_every_batch_in_flight_count_against_the_queue_bound) {
  journal = spawn_journal(sys, journal_settings{512, 0, 2, 4}, committer);
  auto a = write(stalls_hold(1, {0}));
  auto b = write(stalls_hold(2, {1}));
  auto c = write(stalls_hold(3, {2}));
  BOOST_CHECK_EQUAL(log->size(), 2u);
  BOOST_CHECK(failed_with(c) == errc::overloaded);
  answer(0, all_ok((*log)[0]));
  BOOST_CHECK(ok(a));
  auto d = write(stalls_hold(4, {3}));
  BOOST_CHECK_EQUAL(log->size(), 3u);
  answer(1, all_ok((*log)[1]));
  answer(2, all_ok((*log)[2]));
  BOOST_CHECK(ok(b) && ok(d));
}

BOOST_AUTO_TEST_SUITE_END()

// The keys themselves, in plain C++.
BOOST_AUTO_TEST_SUITE(write_keys)

BOOST_AUTO_TEST_CASE(changes_of_one_hold_conflict_and_holds_of_one_section_do_not) {
  auto h1 = stalls_hold(1, {0});
  auto h2 = stalls_hold(2, {1});
  key_set flight;
  flight.add(keys_of(h1));
  BOOST_CHECK(!flight.conflicts(keys_of(h2)));
  BOOST_CHECK(flight.conflicts(keys_of(extend_of(h1))));
  BOOST_CHECK(flight.conflicts(keys_of(stalls_purchase(h1, 1))));
  BOOST_CHECK(!flight.conflicts(keys_of(stalls_purchase(h2, 1))));
  // Adding the section conflicts with a hold in it (the hold reads it).
  BOOST_CHECK(flight.conflicts(keys_of(stalls_on_sale()[1])));
  // A cancel frees seats an order in flight in the same section may reuse.
  key_set orders;
  orders.add(keys_of(stalls_purchase(h2, 1)));
  BOOST_CHECK(orders.conflicts(keys_of(order_cancelled{sale_event, 1, 7, sale_t0})));
  BOOST_CHECK(!orders.conflicts(keys_of(stalls_purchase(h1, 2))));
}

BOOST_AUTO_TEST_CASE(a_set_taken_out_again_conflicts_with_nothing) {
  auto h1 = stalls_hold(1, {0});
  key_set flight;
  key_set batch;
  batch.add(keys_of(h1));
  flight.add(batch);
  flight.add(batch);
  flight.remove(batch);
  BOOST_CHECK(flight.conflicts(keys_of(extend_of(h1))));
  flight.remove(batch);
  BOOST_CHECK(flight.empty());
  BOOST_CHECK(!flight.conflicts(keys_of(extend_of(h1))));
}

BOOST_AUTO_TEST_SUITE_END()
