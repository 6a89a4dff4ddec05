// The Idempotency-Key keeper (http/idempotency.cpp) with a keyed write the
// actors commit that is slower than the gateway's deadline, on the
// deterministic coordinator: the job's own answer, not the client's 503,
// frees the key. Meanwhile a retry is 409 in use; after the slow job
// committed (its answer in idempotency_keys, as the journal writes it) the
// retry gets the first answer without running; after it failed, the retry
// runs. The inner job is held by a test actor that answers when told.
#include "http/idempotency.h"
#include "persistence/account_store.h"
#include "persistence/sql_store.h"
#include "tests/actor_fixture.h"

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace boxoffice;
using boxoffice::http::reply;

// Holds every request until a `release` says how to answer the oldest one.
struct slow_state {
  std::vector<caf::response_promise> waiting;
};
struct release {
  uint16_t status = 0;
};
struct slow_ask {};

} // namespace

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(release)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slow_ask)

namespace {

// One (unused) argument: CAF 0.17 spawns an actor function without
// arguments through a null tuple pointer, which UBSan reports.
caf::behavior slow_actor(caf::stateful_actor<slow_state>* self, int /*unused*/) {
  return {
    [=](slow_ask) {
      auto rp = self->make_response_promise();
      self->state.waiting.push_back(rp);
      return rp;
    },
    [=](const release& r) {
      auto rp = self->state.waiting.front();
      self->state.waiting.erase(self->state.waiting.begin());
      rp.deliver(r.status);
    },
  };
}

// Runs one job and keeps its reply; alive while the job waits.
void run_job(caf::event_based_actor* self, http::job j, std::shared_ptr<std::optional<reply>> out) {
  j(self, [out](reply r) { *out = std::move(r); });
}

struct keeper_fixture : test::actor_fixture {
  keeper_fixture() {
    static int counter = 0;
    file = std::filesystem::temp_directory_path()
           / ("boxoffice keeper " + std::to_string(getpid()) + "-" + std::to_string(++counter)
              + ".db");
    std::filesystem::remove(file);
    url = "sqlite://" + file.string();
    sql_store schema{url};  // makes the schema
    keeper = http::spawn_idempotency(sys, url, {}, std::chrono::milliseconds{1000},
                                     thread_model::scheduled);
    slow = sys.spawn(slow_actor, 0);
    sched.run();
  }
  ~keeper_fixture() {
    caf::anon_send_exit(keeper, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(slow, caf::exit_reason::user_shutdown);
    sched.run();
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(file.string() + suffix);
  }

  // A keyed journaled write whose inner job asks the slow actor (runs counts it).
  std::shared_ptr<std::optional<reply>> submit(const std::string& key) {
    auto out = std::make_shared<std::optional<reply>>();
    auto slow_actor = slow;
    auto counter = runs;
    http::job inner = [slow_actor, counter](caf::event_based_actor* self, http::reply_fn done) {
      ++*counter;
      self->request(slow_actor, caf::infinite, slow_ask{})
        .then([done](uint16_t status) { done(http::json_reply(status, "first")); },
              [done](caf::error& err) { done(http::error_reply(err)); });
    };
    http::answer_renderer render = [](const std::string& answer) -> std::optional<reply> {
      return http::json_reply(201, "replayed " + answer);
    };
    sys.spawn(run_job,
              http::with_idempotency(keeper, 7, key, "fp", std::chrono::milliseconds{1000},
                                     std::move(inner), std::move(render)),
              out);
    sched.run();
    return out;
  }

  // What the journal commits with the change of a 2xx.
  void commit_answer(const std::string& key) {
    account_store records{url};
    records.save_idempotency({7, key, "fp", 0, "", "", "", "hold-1", system_clock_ms()});
  }

  std::filesystem::path file;
  std::string url;
  caf::actor keeper;
  caf::actor slow;
  std::shared_ptr<int> runs = std::make_shared<int>(0);
};

bool in_use(const std::optional<reply>& r) {
  return r && r->status == 409 && r->body.find("idempotency_key_in_use") != std::string::npos &&
         r->retry_after_s.has_value();
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(idempotency_keeper, keeper_fixture)

BOOST_AUTO_TEST_CASE(a_retry_of_a_slow_write_waits_then_gets_its_committed_answer) {
  auto first = submit("k1");
  BOOST_TEST(!first->has_value());  // the gateway answers this client 503 at its deadline
  auto retry = submit("k1");
  BOOST_TEST(in_use(*retry));
  BOOST_TEST(*runs == 1);
  // The first attempt commits (the journal wrote its answer), then answers.
  commit_answer("k1");
  caf::anon_send(slow, release{201});
  sched.run();
  BOOST_TEST_REQUIRE(first->has_value());
  BOOST_TEST((*first)->status == 201);
  auto later = submit("k1");
  BOOST_TEST_REQUIRE(later->has_value());
  BOOST_TEST((*later)->status == 201);
  BOOST_TEST((*later)->body == "replayed hold-1");
  BOOST_TEST(*runs == 1);  // never ran twice
}

BOOST_AUTO_TEST_CASE(a_retry_of_a_failed_slow_write_runs_again) {
  auto first = submit("k2");
  BOOST_TEST(in_use(*submit("k2")));
  // The slow write fails (its change is not committed): the key is free.
  caf::anon_send(slow, release{503});
  sched.run();
  BOOST_TEST_REQUIRE(first->has_value());
  BOOST_TEST((*first)->status == 503);
  auto retry = submit("k2");
  BOOST_TEST(*runs == 2);
  BOOST_TEST(!retry->has_value());  // running, not refused
  caf::anon_send(slow, release{201});
  sched.run();
  BOOST_TEST_REQUIRE(retry->has_value());
  BOOST_TEST((*retry)->status == 201);
  BOOST_TEST((*retry)->body == "first");
}

BOOST_AUTO_TEST_CASE(an_attempt_refused_beside_a_committed_first_answers_the_first) {
  // The key's first attempt outlived the keeper's wait; a retry ran and was
  // refused, but the first committed meanwhile: the retry answers the first.
  http::job refused = [](caf::event_based_actor*, http::reply_fn done) {
    done(http::json_reply(422, "not_enough_seats"));
  };
  http::answer_renderer render = [](const std::string& answer) -> std::optional<reply> {
    return http::json_reply(201, "replayed " + answer);
  };
  auto out = std::make_shared<std::optional<reply>>();
  http::job late = [refused, this](caf::event_based_actor* self, http::reply_fn done) {
    commit_answer("k3");  // the first attempt commits while this one runs
    refused(self, done);
  };
  sys.spawn(run_job,
            http::with_idempotency(keeper, 7, "k3", "fp", std::chrono::milliseconds{1000}, late,
                                   render),
            out);
  sched.run();
  BOOST_TEST_REQUIRE(out->has_value());
  BOOST_TEST((*out)->status == 201);
  BOOST_TEST((*out)->body == "replayed hold-1");
  account_store records{url};
  auto kept = records.find_idempotency(7, "k3", 0);
  BOOST_TEST_REQUIRE(kept.has_value());
  BOOST_TEST(kept->answer == "hold-1");  // the refusal did not replace it
}

BOOST_AUTO_TEST_SUITE_END()
