// A deterministic actor system for tests: CAF's test coordinator runs every
// actor on the test's thread, in an order the test drives, in virtual time.
// Nothing sleeps and nothing blocks: a request is made by a short-lived client
// actor whose answer lands in a shared slot.
#pragma once

#include "actors/directory.h"
#include "actors/protocol.h"
#include "actors/wall_clock.h"

#include <boost/test/unit_test.hpp>

#define FAIL(msg) BOOST_FAIL(msg)  // dsl.hpp calls an undefined FAIL()
#include <caf/test/dsl.hpp>

#include <memory>
#include <optional>

namespace boxoffice::test {

struct protocol_config : caf::actor_system_config {
  protocol_config() { register_protocol(*this); }
};

// An answer that may not have arrived yet.
template <class Reply>
using pending = std::shared_ptr<std::optional<caf::expected<Reply>>>;

// A client that asks once and keeps the answer. Its inputs are spawn
// arguments: CAF 0.17.6 trips UBSan when a function is spawned without any.
template <class Reply, class Handle, class Msg>
void ask_once(caf::event_based_actor* client, Handle dest, Msg msg, pending<Reply> slot) {
  client->request(dest, caf::infinite, std::move(msg))
    .then([=](Reply& reply) { *slot = std::move(reply); },
          [=](caf::error& err) { *slot = std::move(err); });
}

// Keeps every customer_delta it is sent.
inline delta_sink::behavior_type record_deltas(
  std::shared_ptr<std::vector<customer_delta>> log) {
  return {[log](const customer_delta& d) { log->push_back(d); }};
}

struct actor_fixture : test_coordinator_fixture<protocol_config> {
  // Spawns a client that sends `msg` to `dest` when it first runs. Nothing
  // runs until the test runs the scheduler, so several clients can be started
  // and their order driven (see run_first).
  template <class Reply, class Handle, class Msg>
  pending<Reply> start(const Handle& dest, Msg msg) {
    auto slot = std::make_shared<std::optional<caf::expected<Reply>>>();
    last_client = sys.spawn(ask_once<Reply, Handle, Msg>, dest, std::move(msg), slot);
    return slot;
  }

  // Sends and runs every actor until nothing is left to do. Timers do not
  // fire: time only moves when the test calls advance_time.
  template <class Reply, class Handle, class Msg>
  caf::expected<Reply> ask(const Handle& dest, Msg msg) {
    auto slot = start<Reply>(dest, std::move(msg));
    sched.run();
    BOOST_REQUIRE_MESSAGE(slot->has_value(), "no answer");
    return std::move(**slot);
  }

  // The domain code of a refusal, or nullopt for a success or another error.
  template <class T>
  static std::optional<errc> code(const caf::expected<T>& x) {
    return x ? std::nullopt : to_errc(x.error());
  }

  // The time the actors see now.
  timestamp_ms now_ms() { return wall_clock_ms(sched.clock()); }

  caf::actor last_client;
};

// A directory with one event on sale, its sections added by the test.
struct event_fixture : actor_fixture {
  reservation_limits limits;
  directory_actor dir;
  event_id event = 0;

  explicit event_fixture(reservation_limits lim = {}, uint32_t idle_stop_s = 0,
                         uint32_t backlog_max = 1024)
    : limits(lim) {
    dir = spawn_directory(sys, directory_settings{limits, idle_stop_s, backlog_max});
    auto info = ask<event_info>(dir, create_event_request{"Test night", "", "Hall", 0, 0});
    BOOST_REQUIRE(info);
    event = info->id;
  }

  // The base fixture's destructor fires timers until none is left; the
  // directory's sweep re-arms itself, so it has to stop first.
  ~event_fixture() override {
    caf::anon_send_exit(dir, caf::exit_reason::user_shutdown);
    sched.run();
  }

  section_id add_reserved(uint32_t rows, uint32_t seats_per_row, int64_t price_cents = 1000) {
    auto s = ask<section_info>(dir, add_section_request{event, "S", reserved_layout(rows, seats_per_row),
                                                        price_cents});
    BOOST_REQUIRE(s);
    return s->id;
  }

  section_id add_general(uint32_t capacity) {
    auto s = ask<section_info>(dir, add_section_request{event, "GA", general_layout(capacity), 500});
    BOOST_REQUIRE(s);
    return s->id;
  }

  void open_sale() {
    BOOST_REQUIRE(ask<event_info>(dir, set_status_request{event, sale_status::on_sale}));
  }

  caf::expected<hold_info> hold(customer_id c, section_id s, std::vector<std::string> seats) {
    return ask<hold_info>(dir, hold_request{event, s, c, std::move(seats), 0});
  }

  caf::expected<hold_info> hold_best(customer_id c, section_id s, int32_t quantity) {
    return ask<hold_info>(dir, hold_request{event, s, c, {}, quantity});
  }

  caf::expected<order_info> purchase(customer_id c, const hold_ref& ref) {
    return ask<order_info>(dir, purchase_request{ref, c});
  }

  section_stats stats(section_id s) {
    auto st = ask<section_stats>(dir, stats_request{event, s});
    BOOST_REQUIRE(st);
    return *st;
  }
};

} // namespace boxoffice::test
