// Tests for account_store on both backends (see tests/db_fixture.h):
// accounts and their unique emails, refresh token rotation with reuse
// detection (also two stores racing for one token), and idempotency records.
#include "persistence/account_store.h"
#include "tests/db_fixture.h"

#include <soci/soci.h>

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace boxoffice;
using test::backends;
using test::scratch_database;
namespace data = boost::unit_test::data;
using verdict = refresh_use::verdict;

constexpr timestamp_ms t0 = 1'700'000'000'000;
constexpr timestamp_ms day_ms = 86'400'000;

const char* name_of(verdict v) {
  switch (v) {
    case verdict::rotated: return "rotated";
    case verdict::unknown: return "unknown";
    case verdict::expired: return "expired";
    case verdict::reused: return "reused";
  }
  return "?";
}

refresh_token_record token(const std::string& hash, customer_id who, const std::string& family,
                           timestamp_ms expires_at = t0 + day_ms) {
  return {hash, who, family, t0, expires_at};
}

// A replacement as the account service passes it: no account or family.
refresh_token_record next_token(const std::string& hash) {
  return {hash, 0, "", t0 + 1, t0 + 2 * day_ms};
}

// What presenting `hash` at `now` found, as "verdict/account".
std::string use(boxoffice::account_store& store, const std::string& hash,
                const std::string& replacement, timestamp_ms now = t0 + 10) {
  auto used = store.use_refresh_token(hash, next_token(replacement), now);
  return std::string(name_of(used.result)) + "/" + std::to_string(used.account);
}

customer_id new_account(boxoffice::account_store& store, const std::string& email) {
  auto created = store.create_account(email, "$argon2id$hash", account_role::customer, t0);
  BOOST_TEST_REQUIRE(created.has_value());
  return created->id;
}

idempotency_record answer(customer_id scope, const std::string& key, timestamp_ms created_at,
                          const std::string& body) {
  return {scope, key, "f1ng3rpr1nt", 201, "application/json", "/events/42", body, "", created_at};
}

} // namespace

BOOST_AUTO_TEST_SUITE(account_store)

BOOST_DATA_TEST_CASE(accounts_are_created_found_and_updated, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::account_store store{db.url()};
  BOOST_TEST(!store.find_account(1).has_value());
  auto ada = store.create_account("ada@example.org", "hash-a", account_role::customer, t0);
  BOOST_TEST_REQUIRE(ada.has_value());
  BOOST_TEST(ada->id > 0u);
  BOOST_TEST(ada->email == "ada@example.org");
  BOOST_TEST((ada->role == account_role::customer));
  BOOST_TEST(ada->created_at == t0);
  auto bob = store.create_account("bob@example.org", "hash-b", account_role::admin, t0 + 1);
  BOOST_TEST_REQUIRE(bob.has_value());
  BOOST_TEST(bob->id != ada->id);
  // The email is taken: nothing is created, whatever the rest.
  BOOST_TEST(!store.create_account("ada@example.org", "other", account_role::admin, t0 + 2));

  auto found = store.find_account(bob->id);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->email == "bob@example.org");
  BOOST_TEST(found->password_hash == "hash-b");
  BOOST_TEST((found->role == account_role::admin));
  BOOST_TEST(found->created_at == t0 + 1);
  auto by_email = store.find_account_by_email("ada@example.org");
  BOOST_TEST_REQUIRE(by_email.has_value());
  BOOST_TEST(by_email->id == ada->id);
  BOOST_TEST(by_email->password_hash == "hash-a");
  BOOST_TEST(!store.find_account_by_email("ADA@example.org").has_value());

  BOOST_TEST(store.update_account(ada->id, "hash-a2", account_role::admin));
  auto updated = store.find_account(ada->id);
  BOOST_TEST_REQUIRE(updated.has_value());
  BOOST_TEST(updated->password_hash == "hash-a2");
  BOOST_TEST((updated->role == account_role::admin));
  BOOST_TEST(updated->email == "ada@example.org");
  BOOST_TEST(!store.update_account(bob->id + ada->id + 100, "x", account_role::admin));
}

BOOST_DATA_TEST_CASE(a_refresh_token_rotates_once_and_reuse_revokes_its_family,
                     data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::account_store store{db.url()};
  auto ada = new_account(store, "ada@example.org");
  auto who = "/" + std::to_string(ada);
  store.store_refresh_token(token("a1", ada, "fam-a"));
  store.store_refresh_token(token("b1", ada, "fam-b"));  // another login

  BOOST_TEST(use(store, "a1", "a2") == "rotated" + who);
  BOOST_TEST(use(store, "a2", "a3") == "rotated" + who);
  // a1 again: someone kept a copy. Its family goes, the live a3 with it.
  BOOST_TEST(use(store, "a1", "a4") == "reused" + who);
  BOOST_TEST(use(store, "a3", "a5") == "unknown/0");
  BOOST_TEST(use(store, "a2", "a6") == "unknown/0");
  BOOST_TEST(use(store, "a4", "a7") == "unknown/0");  // never stored
  // The other login is untouched.
  BOOST_TEST(use(store, "b1", "b2") == "rotated" + who);
}

BOOST_DATA_TEST_CASE(expired_unknown_and_revoked_tokens_change_nothing, data::make(backends),
                     name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::account_store store{db.url()};
  auto ada = new_account(store, "ada@example.org");
  auto who = "/" + std::to_string(ada);
  store.store_refresh_token(token("e1", ada, "fam-e", t0 + 1000));
  BOOST_TEST(use(store, "e1", "e2", t0 + 1000) == "expired" + who);
  BOOST_TEST(use(store, "e2", "e3") == "unknown/0");  // no replacement was stored
  // Nothing changed: before its expiry the token still works.
  BOOST_TEST(use(store, "e1", "e4", t0 + 999) == "rotated" + who);
  BOOST_TEST(use(store, "nope", "n1") == "unknown/0");

  store.store_refresh_token(token("r1", ada, "fam-r"));
  BOOST_TEST(store.revoke_refresh_token("r1"));
  BOOST_TEST(!store.revoke_refresh_token("r1"));
  BOOST_TEST(use(store, "r1", "r2") == "unknown/0");
  BOOST_TEST(!store.revoke_refresh_token("nope"));
  BOOST_TEST(!store.revoke_refresh_token("e1"));  // used
  BOOST_TEST(store.revoke_refresh_token("e4"));
  BOOST_TEST(use(store, "e4", "e5") == "unknown/0");
}

// Two processes presenting one token at once: one rotates it, the other
// finds it used, and the family (with the new token) is revoked.
BOOST_DATA_TEST_CASE(two_stores_racing_for_one_token_rotate_it_once, data::make(backends),
                     name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::account_store first{db.url()}, second{db.url()};
  auto ada = new_account(first, "ada@example.org");
  BOOST_TEST_REQUIRE(second.find_account(ada).has_value());  // both connected
  constexpr int rounds = 10;
  for (int round = 0; round < rounds; ++round) {
    auto hash = "race-" + std::to_string(round);
    first.store_refresh_token(token(hash, ada, "fam-" + hash));
    std::atomic<int> ready{0};
    verdict got[2] = {verdict::unknown, verdict::unknown};
    auto racer = [&](boxoffice::account_store& store, int i) {
      ++ready;
      while (ready.load() < 2)
        std::this_thread::yield();
      got[i] = store.use_refresh_token(hash, next_token(hash + "-" + std::to_string(i)), t0 + 5)
                 .result;
    };
    std::thread a{racer, std::ref(first), 0};
    std::thread b{racer, std::ref(second), 1};
    a.join();
    b.join();
    auto outcome = std::string(name_of(got[0])) + "+" + name_of(got[1]);
    BOOST_TEST((outcome == "rotated+reused" || outcome == "reused+rotated"), outcome);
    for (int i = 0; i < 2; ++i)
      BOOST_TEST(use(first, hash + "-" + std::to_string(i), hash + "-x") == "unknown/0");
  }
}

// Deterministically: while another transaction has the token (PostgreSQL:
// its row locked; SQLite: the write lock) and then marks it used, a use
// waits for it and finds the token used rather than rotating it again.
BOOST_DATA_TEST_CASE(a_use_waits_for_a_concurrent_use_to_commit, data::make(backends), name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::account_store store{db.url()};
  auto ada = new_account(store, "ada@example.org");
  store.store_refresh_token(token("w1", ada, "fam-w"));
  auto other = open_session(db.url());
  sql_transaction tx(*other, db.kind());
  if (db.kind() == backend::postgresql)
    execute_sql(*other, "select used_at from refresh_tokens where token_hash = 'w1' for update");
  std::string got;
  std::thread user{[&] { got = use(store, "w1", "w2"); }};
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  execute_sql(*other, "update refresh_tokens set used_at = 1 where token_hash = 'w1'");
  tx.commit();
  user.join();
  BOOST_TEST(got == "reused/" + std::to_string(ada));
  BOOST_TEST(use(store, "w2", "w3") == "unknown/0");
}

BOOST_DATA_TEST_CASE(idempotency_records_are_saved_replaced_and_pruned, data::make(backends),
                     name) {
  scratch_database db{name};
  if (!db.available())
    return;
  boxoffice::account_store store{db.url()};
  BOOST_TEST(!store.find_idempotency(7, "k1", 0).has_value());
  auto body = std::string("{\"title\": \"It's \\\"quoted\\\"\",\n \"note\": \"caf\xc3\xa9\"}");
  store.save_idempotency(answer(7, "k1", t0, body));
  store.save_idempotency(answer(0, "k1", t0 + 5, "{}"));  // unauthenticated, same key
  store.save_idempotency(answer(7, "k2", t0 + 10, "{}"));

  auto found = store.find_idempotency(7, "k1", t0);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->scope == 7u);
  BOOST_TEST(found->key == "k1");
  BOOST_TEST(found->fingerprint == "f1ng3rpr1nt");
  BOOST_TEST(found->status == 201);
  BOOST_TEST(found->content_type == "application/json");
  BOOST_TEST(found->location == "/events/42");
  BOOST_TEST(found->body == body);
  BOOST_TEST(found->created_at == t0);
  // Older than not_before: as if never stored.
  BOOST_TEST(!store.find_idempotency(7, "k1", t0 + 1).has_value());
  BOOST_TEST(store.find_idempotency(0, "k1", t0).value_or(idempotency_record{}).body == "{}");

  auto replaced = answer(7, "k1", t0 + 20, "[]");
  replaced.status = 409;
  replaced.location = "";
  store.save_idempotency(replaced);
  found = store.find_idempotency(7, "k1", t0 + 1);
  BOOST_TEST_REQUIRE(found.has_value());
  BOOST_TEST(found->status == 409);
  BOOST_TEST(found->location == "");
  BOOST_TEST(found->body == "[]");
  BOOST_TEST(found->created_at == t0 + 20);

  BOOST_TEST(store.prune_idempotency(t0 + 10) == 1u);  // (0, k1) at t0 + 5
  BOOST_TEST(!store.find_idempotency(0, "k1", 0).has_value());
  BOOST_TEST(store.find_idempotency(7, "k2", 0).has_value());
  BOOST_TEST(store.prune_idempotency(t0 + 21) == 2u);
  BOOST_TEST(store.prune_idempotency(t0 + 21) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
