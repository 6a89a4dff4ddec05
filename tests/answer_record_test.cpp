// The answer of a keyed write (answer_saved) on both backends (see
// tests/db_fixture.h): sql_store writes it in the transaction of the change
// it answers, so a refused batch keeps neither, and the idempotency store
// reads it back as the actors' reply.
#include "actors/answer_codec.h"
#include "persistence/account_store.h"
#include "persistence/sql_store.h"
#include "tests/change_fixture.h"
#include "tests/db_fixture.h"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

namespace {

using namespace boxoffice;
using test::backends;
using test::scratch_database;
namespace data = boost::unit_test::data;

constexpr timestamp_ms t0 = test::sale_t0;
constexpr event_id ev = test::sale_event;
constexpr auto setup = test::stalls_on_sale;
constexpr auto hold = test::stalls_hold;

hold_info reply_to(const hold_placed& h) {
  return {{ev, 1, h.hold.id}, h.hold.customer, {"A-4", "A-5"}, h.hold.quantity, 9000,
          h.hold.created_at, h.hold.expires_at};
}

answer_saved answer(const std::string& key, const hold_info& reply) {
  return {{7, key, "f1ng3rpr1nt"}, encode_answer(reply), t0};
}

} // namespace

BOOST_AUTO_TEST_SUITE(answer_record)

BOOST_AUTO_TEST_CASE(a_reply_survives_its_text_form) {
  hold_info reply{{1, 2, 3}, 7, {"A-1", "B-12"}, 2, 9000, t0, t0 + 600'000};
  auto back = decode_answer<hold_info>(encode_answer(reply));
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST(back->ref.hold == 3u);
  BOOST_TEST(back->seats == reply.seats, boost::test_tools::per_element());
  BOOST_TEST(back->expires_at == reply.expires_at);
  BOOST_TEST(!decode_answer<hold_info>("zz").has_value());
  BOOST_TEST(!decode_answer<hold_info>(encode_answer(reply) + "00").has_value());
  BOOST_TEST(!decode_answer<order_info>("0").has_value());
}

BOOST_DATA_TEST_CASE(an_answer_is_committed_with_its_change, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(setup());
  auto h = hold(1, {3, 4});
  // A record of the key past its lifetime, as the HTTP layer stored it: the
  // keeper forgets it before it runs the key again, then the journal writes.
  boxoffice::account_store records{db.url()};
  records.save_idempotency({7, "k1", "old", 201, "application/json", "", "{}", "", t0 - 1});
  records.forget_idempotency(7, "k1", t0);
  store.apply({h, answer("k1", reply_to(h))});

  auto found = records.find_idempotency(7, "k1", 0);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->fingerprint == "f1ng3rpr1nt");
  BOOST_TEST(found->body.empty());
  BOOST_TEST(found->created_at == t0);
  auto reply = decode_answer<hold_info>(found->answer);
  BOOST_TEST_REQUIRE(reply.has_value());
  BOOST_TEST(reply->ref.hold == 1u);
  BOOST_TEST(reply->seats == reply_to(h).seats, boost::test_tools::per_element());
}

BOOST_DATA_TEST_CASE(a_refused_change_keeps_no_answer, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(setup());
  store.apply({hold(1, {3})});
  // Hold 1 exists: the second hold_placed with its id is refused, and the
  // answer written before it in the batch goes with it.
  auto again = hold(1, {4});
  BOOST_CHECK_THROW(store.apply({answer("k2", reply_to(again)), again}), store_error);
  boxoffice::account_store records{db.url()};
  BOOST_TEST(!records.find_idempotency(7, "k2", 0).has_value());
}

// Two attempts of one keyed request (a retry after the client's 503 while
// the first was still in the journal): the second answer is refused with its
// change, so only one effect commits; the same answer again is harmless.
BOOST_DATA_TEST_CASE(a_key_with_an_answer_refuses_a_second_change, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::sql_store store{db.url()};
  store.apply(setup());
  auto first = hold(1, {3});
  store.apply({first, answer("k3", reply_to(first))});
  auto second = hold(2, {4});
  BOOST_CHECK_THROW(store.apply({second, answer("k3", reply_to(second))}), store_error);
  store.apply({answer("k3", reply_to(first))});  // a write repeated after a lost connection
  boxoffice::account_store records{db.url()};
  auto found = records.find_idempotency(7, "k3", 0);
  BOOST_TEST_REQUIRE(found.has_value());
  auto reply = decode_answer<hold_info>(found->answer);
  BOOST_TEST_REQUIRE(reply.has_value());
  BOOST_TEST(reply->ref.hold == 1u);
  // Hold 2 did not commit: its id is free for the next hold.
  store.apply({hold(2, {4})});
  // A record left by the HTTP layer (an answer as sent) refuses it too.
  records.save_idempotency({7, "k4", "f1ng3rpr1nt", 409, "application/problem+json", "", "{}", "",
                            t0});
  auto third = hold(3, {5});
  BOOST_CHECK_THROW(store.apply({third, answer("k4", reply_to(third))}), store_error);
}

BOOST_AUTO_TEST_SUITE_END()
