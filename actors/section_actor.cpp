#include "actors/section_actor.h"

#include "actors/answer_codec.h"
#include "actors/seat_labels.h"
#include "actors/section_state.h"
#include "actors/wall_clock.h"
#include "actors/mailbox.h"
#include "actors/planted.h"
#include "telemetry/instruments.h"

#include <spdlog/spdlog.h>

namespace boxoffice {

namespace {

struct section_actor_state {
  static inline const char* name = "boxoffice.section";
  section_context ctx;
  section_info info;
  std::optional<section_state> rules;
  std::optional<timestamp_ms> timer_at;  // the deadline the pending timer is for
  size_t commits_in_flight = 0;
  // Stop requests wait until every commit in flight has been answered.
  std::vector<caf::typed_response_promise<stopped_atom>> stopping;
  telemetry::section_gauges gauges;  // free/held/sold on /metrics
};

using self_ptr = section_actor::stateful_pointer<section_actor_state>;

std::vector<std::string> labels_of(const section_layout& layout,
                                   const std::vector<uint32_t>& seats) {
  std::vector<std::string> labels;
  labels.reserve(seats.size());
  for (auto seat : seats)
    labels.push_back(seat_label(layout, seat));
  return labels;
}

hold_info to_info(const section_actor_state& st, const hold_record& h) {
  return hold_info{hold_ref{st.ctx.event, st.info.id, h.id}, h.customer,
                   labels_of(st.info.layout, h.seats), h.quantity,
                   h.quantity * st.info.price_cents, h.created_at, h.expires_at};
}

order_info to_info(const section_actor_state& st, const order_record& o) {
  return order_info{order_ref{st.ctx.event, st.info.id, o.id}, o.customer,
                    hold_ref{st.ctx.event, st.info.id, o.from_hold},
                    labels_of(st.info.layout, o.seats), o.quantity,
                    o.quantity * st.info.price_cents, o.created_at};
}

void report(self_ptr self, customer_id customer, int32_t holds, int32_t tickets) {
  self->send(self->state.ctx.owner, customer_delta{customer, holds, tickets});
}

int32_t seats_of(const hold_record& h) { return static_cast<int32_t>(h.quantity); }

void arm_timer(self_ptr self, timestamp_ms now) {
  auto next = self->state.rules->next_expiry();
  if (!next || (self->state.timer_at && *self->state.timer_at <= *next))
    return;
  self->state.timer_at = next;
  auto delay = std::chrono::milliseconds{std::max<timestamp_ms>(*next - now, 0)};
  self->delayed_send(self, delay, expire_atom::value, *next);
}

// Expired holds free their seats at once; nothing waits for their record,
// and recovery expires a hold by its deadline even if the record was lost.
void expired(self_ptr self, const std::vector<hold_record>& holds, timestamp_ms now) {
  if (holds.empty())
    return;
  journal_write write{{}, self->state.ctx.event, self->state.ctx.held};
  for (const auto& h : holds) {
    report(self, h.customer, -1, -seats_of(h));
    write.changes.emplace_back(
      hold_ended{self->state.ctx.event, self->state.info.id, h.id, hold_end::expired, now});
  }
  caf::anon_send(self->state.ctx.journal, std::move(write));
}

void publish(self_ptr self) {
  auto stats = self->state.rules->stats();
  self->state.gauges.publish(stats.free, stats.held, stats.sold);
}

// The frame around every message and every commit answer: due holds end
// first, so the rule sees the section as it is at `now`; afterwards the
// invariants, the timer and the seat gauges.
template <class F>
auto step(self_ptr self, F&& rule) {
  telemetry::observe_mailbox(telemetry::actor_kind::section, mailbox_depth(self));
  auto now = wall_clock_ms(self->clock());
  expired(self, self->state.rules->expire_due(now), now);
  auto result = rule(*self->state.rules, now);
#ifdef BOXOFFICE_CHECK_INVARIANTS
  self->state.rules->check_invariants();
#endif
  arm_timer(self, now);
  publish(self);
  return result;
}

// The change, made under this section's event and epoch, and with it the
// answer of a keyed request (answer_codec.h).
template <class Reply>
journal_write keyed(self_ptr self, change c, const answer_key& key, const Reply& answer,
                    timestamp_ms now) {
  return keyed(journal_write{{std::move(c)}, self->state.ctx.event, self->state.ctx.held}, key,
               answer, now);
}

// Sends `write` to the journal; once committed, `done(rules)` makes the reply
// from the section as it is then (it may still refuse: the change can have
// been overtaken meanwhile), and if the commit fails `undo(rules)` takes the
// change back and the client gets the journal's error.
template <class Reply, class Done, class Undo>
caf::result<Reply> durably(self_ptr self, journal_write write, Done done, Undo undo) {
  auto rp = self->make_response_promise<Reply>();
  if (BOXOFFICE_PLANTED(ack_before_commit))
    if (caf::expected<Reply> early{done(*self->state.rules, wall_clock_ms(self->clock()))})
      rp.deliver(std::move(*early));
  ++self->state.commits_in_flight;
  auto settled = [self] {
    if (--self->state.commits_in_flight == 0)
      for (auto& stop : std::exchange(self->state.stopping, {}))
        stop.deliver(stopped_atom::value);
  };
  self->request(self->state.ctx.journal, caf::infinite, std::move(write))
    .then(
      [=](committed_atom) mutable {
        caf::expected<Reply> reply = step(self, [&](section_state& rules, timestamp_ms now) {
          return caf::expected<Reply>{done(rules, now)};
        });
        if (reply)
          rp.deliver(std::move(*reply));
        else
          rp.deliver(reply.error());
        settled();
      },
      [=](caf::error& err) mutable {
        step(self, [&](section_state& rules, timestamp_ms) {
          if (!BOXOFFICE_PLANTED(no_undo))
            undo(rules);
          return 0;
        });
        rp.deliver(std::move(err));
        settled();
      });
  return rp;
}

caf::result<hold_info> place_hold(self_ptr self, section_state& rules, const hold_request& req,
                                  timestamp_ms now) {
  auto hold = rules.hold(req.customer, req.seats, req.quantity, now);
  if (!hold) {
    // The event reserved quota for this hold; it does not last, so give it back.
    report(self, req.customer, -1, -static_cast<int32_t>(requested_seats(req.seats, req.quantity)));
    if (BOXOFFICE_PLANTED(quota_twice))
      report(self, req.customer, -1, -static_cast<int32_t>(requested_seats(req.seats, req.quantity)));
    return make_error(hold.error());
  }
  auto h = *hold;
  return durably<hold_info>(
    self,
    keyed(self, hold_placed{self->state.ctx.event, self->state.info.id, h}, req.answer,
          to_info(self->state, h), now),
    // A commit slower than the hold's lifetime finds it expired: say so.
    [self, h](section_state& rules, timestamp_ms now) -> caf::expected<hold_info> {
      auto live = rules.find_hold(h.id, h.customer, now);
      if (!live)
        return make_error(live.error());
      return to_info(self->state, *live);
    },
    // Not committed: gone, and its quota with it (unless an expiry already
    // ended it and gave the quota back).
    [self, h](section_state& rules) {
      if (rules.undo_hold(h.id))
        report(self, h.customer, -1, -seats_of(h));
    });
}

caf::result<hold_info> extend_hold(self_ptr self, section_state& rules,
                                   const extend_request& req, timestamp_ms now) {
  auto hold = rules.extend(req.ref.hold, req.customer, now);
  if (!hold)
    return make_error(hold.error());
  auto info = to_info(self->state, *hold);
  return durably<hold_info>(
    self,
    keyed(self, hold_extended{self->state.ctx.event, self->state.info.id, hold->id, hold->expires_at},
          req.answer, info, now),
    [info, id = hold->id, to = hold->expires_at](section_state& rules, timestamp_ms) {
      rules.extend_committed(id, to);
      return info;
    },
    [id = hold->id, to = hold->expires_at](section_state& rules) { rules.undo_extend(id, to); });
}

caf::result<hold_info> release_hold(self_ptr self, section_state& rules,
                                    const release_request& req, timestamp_ms now) {
  auto hold = rules.release(req.ref.hold, req.customer, now);
  if (!hold)
    return make_error(hold.error());
  auto info = to_info(self->state, *hold);
  auto h = *hold;
  return durably<hold_info>(
    self,
    keyed(self, hold_ended{self->state.ctx.event, self->state.info.id, h.id, hold_end::released, now},
          req.answer, info, now),
    [self, h, info](section_state& rules, timestamp_ms) {
      rules.finish_release(h.id);
      report(self, h.customer, -1, -seats_of(h));
      return info;
    },
    [id = h.id](section_state& rules) { rules.undo_release(id); });
}

caf::result<order_info> purchase_hold(self_ptr self, section_state& rules,
                                      const purchase_request& req, timestamp_ms now) {
  auto hold = rules.find_hold(req.ref.hold, req.customer, now);
  auto order = rules.purchase(req.ref.hold, req.customer, now);
  if (!order)
    return make_error(order.error());
  auto info = to_info(self->state, *order);
  return durably<order_info>(
    self,
    keyed(self, order_placed{self->state.ctx.event, self->state.info.id, *order, info.total_cents},
          req.answer, info, now),
    [self, info](section_state&, timestamp_ms) {
      report(self, info.customer, -1, 0);  // the tickets stay counted, now as an order
      return info;
    },
    [id = order->id, h = *hold](section_state& rules) { rules.undo_purchase(id, h); });
}

caf::result<order_info> cancel_order(self_ptr self, section_state& rules,
                                     const cancel_request& req, timestamp_ms now) {
  auto order = rules.cancel(req.ref.order, req.customer);
  if (!order)
    return make_error(order.error());
  auto info = to_info(self->state, *order);
  return durably<order_info>(
    self,
    keyed(self, order_cancelled{self->state.ctx.event, self->state.info.id, order->id, now},
          req.answer, info, now),
    [self, info](section_state& rules, timestamp_ms) {
      rules.finish_cancel(info.ref.order);
      report(self, info.customer, 0, -static_cast<int32_t>(info.quantity));
      return info;
    },
    [id = order->id](section_state& rules) { rules.undo_cancel(id); });
}

// The operator's "expiring in the next minute" (docs/web.md).
constexpr timestamp_ms expiring_window_ms = 60'000;

section_stats stats_of(self_ptr self, const section_state& rules, timestamp_ms now) {
  auto stats = rules.stats();
  stats.section = self->state.info.id;
  stats.holds_expiring_60s = rules.holds_expiring(now, expiring_window_ms);
  return stats;
}

section_actor::behavior_type section_behavior(self_ptr self) {
  auto apply = [self](auto rule) {
    return [self, rule](auto& req) {
      return step(self, [&](section_state& rules, timestamp_ms now) {
        return rule(self, rules, req, now);
      });
    };
  };
  return {
    [=](hold_request& req) { return apply(place_hold)(req); },
    [=](const hold_query& req) -> caf::result<hold_info> {
      return step(self, [&](section_state& rules, timestamp_ms now) -> caf::result<hold_info> {
        auto hold = rules.find_hold(req.ref.hold, req.customer, now);
        if (!hold)
          return make_error(hold.error());
        return to_info(self->state, *hold);
      });
    },
    [=](const extend_request& req) { return apply(extend_hold)(req); },
    [=](const release_request& req) { return apply(release_hold)(req); },
    [=](const purchase_request& req) {
      if (BOXOFFICE_PLANTED(purchase_past_deadline))  // no expiry before the rule
        return purchase_hold(self, *self->state.rules, req, wall_clock_ms(self->clock()));
      return apply(purchase_hold)(req);
    },
    [=](const cancel_request& req) { return apply(cancel_order)(req); },
    [=](const seat_map_request&) {
      return step(self, [&](section_state& rules, timestamp_ms now) {
        return seat_map{self->state.ctx.event, self->state.info, rules.seats(),
                        stats_of(self, rules, now)};
      });
    },
    [=](const stats_request&) {
      return step(self, [&](section_state& rules, timestamp_ms now) {
        return stats_of(self, rules, now);
      });
    },
    [=](stop_atom) -> caf::result<stopped_atom> {
      if (self->state.commits_in_flight == 0)
        return stopped_atom::value;
      auto rp = self->make_response_promise<stopped_atom>();
      self->state.stopping.push_back(rp);
      return rp;
    },
    [=](expire_atom, timestamp_ms deadline) {
      if (self->state.timer_at == deadline)
        self->state.timer_at.reset();
      step(self, [](section_state&, timestamp_ms) { return 0; });
    },
  };
}

// State comes in as spawn arguments rather than lambda captures: CAF 0.17.6
// dereferences a null argument tuple for functions spawned without any
// (undefined behaviour that UBSan reports).
section_actor::behavior_type section_main(self_ptr self, section_snapshot snapshot,
                                          section_context ctx) {
  auto now = wall_clock_ms(self->clock());
  std::vector<hold_record> past_deadline;
  auto info = snapshot.info;
  auto restored = section_state::restore(std::move(snapshot), ctx.limits, now, past_deadline);
  if (!restored) {
    // Recovery produced seats claimed twice: serving from these books could
    // sell a seat twice, so this section refuses to run.
    spdlog::critical("event {} section {}: stored state is inconsistent ({})", ctx.event,
                     info.id, to_string(restored.error()));
    self->quit(make_error(restored.error()));
    return section_actor::behavior_type::make_empty_behavior();
  }
  self->state.ctx = std::move(ctx);
  self->state.info = std::move(info);
  self->state.rules.emplace(std::move(*restored));
  self->state.gauges = telemetry::section_gauges{self->state.ctx.event, self->state.info.id};
  expired(self, past_deadline, now);
  arm_timer(self, now);
  publish(self);
  return section_behavior(self);
}

} // namespace

section_actor spawn_section(caf::local_actor* parent, section_snapshot snapshot,
                            section_context context) {
  return parent->spawn<caf::linked>(section_main, std::move(snapshot), std::move(context));
}

} // namespace boxoffice
