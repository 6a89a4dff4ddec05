#include "actors/section_actor.h"

#include "actors/seat_labels.h"
#include "actors/section_state.h"
#include "actors/wall_clock.h"

#include <spdlog/spdlog.h>

namespace boxoffice {

namespace {

struct section_actor_state {
  static inline const char* name = "boxoffice.section";
  event_id event = 0;
  section_info info;
  delta_sink owner;
  std::optional<section_state> rules;
  std::optional<timestamp_ms> timer_at;  // the deadline the pending timer is for
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
  return hold_info{hold_ref{st.event, st.info.id, h.id}, h.customer,
                   labels_of(st.info.layout, h.seats), h.quantity,
                   h.quantity * st.info.price_cents, h.created_at, h.expires_at};
}

order_info to_info(const section_actor_state& st, const order_record& o) {
  return order_info{order_ref{st.event, st.info.id, o.id}, o.customer,
                    hold_ref{st.event, st.info.id, o.from_hold},
                    labels_of(st.info.layout, o.seats), o.quantity,
                    o.quantity * st.info.price_cents, o.created_at};
}

void report(self_ptr self, customer_id customer, int32_t holds, int32_t tickets) {
  self->send(self->state.owner, customer_delta{customer, holds, tickets});
}

void arm_timer(self_ptr self, timestamp_ms now) {
  auto next = self->state.rules->next_expiry();
  if (!next || (self->state.timer_at && *self->state.timer_at <= *next))
    return;
  self->state.timer_at = next;
  auto delay = std::chrono::milliseconds{std::max<timestamp_ms>(*next - now, 0)};
  self->delayed_send(self, delay, expire_atom::value, *next);
}

// The frame around every message: due holds end first, so the rule sees the
// section as it is at `now`; afterwards the invariants and the timer.
template <class F>
auto step(self_ptr self, F&& rule) {
  auto now = wall_clock_ms(self->clock());
  for (const auto& hold : self->state.rules->expire_due(now))
    report(self, hold.customer, -1, -static_cast<int32_t>(hold.quantity));
  auto result = rule(*self->state.rules, now);
#ifdef BOXOFFICE_CHECK_INVARIANTS
  self->state.rules->check_invariants();
#endif
  arm_timer(self, now);
  return result;
}

template <class T>
caf::result<T> refused(errc code) {
  return make_error(code);
}

section_actor::behavior_type section_behavior(self_ptr self) {
  return {
    [=](hold_request& req) -> caf::result<hold_info> {
      return step(self, [&](section_state& rules, timestamp_ms now) -> caf::result<hold_info> {
        auto hold = rules.hold(req.customer, req.seats, req.quantity, now);
        if (!hold)
          return refused<hold_info>(hold.error());
        return to_info(self->state, *hold);
      });
    },
    [=](const hold_query& req) -> caf::result<hold_info> {
      return step(self, [&](section_state& rules, timestamp_ms now) -> caf::result<hold_info> {
        auto hold = rules.find_hold(req.ref.hold, req.customer, now);
        if (!hold)
          return refused<hold_info>(hold.error());
        return to_info(self->state, *hold);
      });
    },
    [=](const extend_request& req) -> caf::result<hold_info> {
      return step(self, [&](section_state& rules, timestamp_ms now) -> caf::result<hold_info> {
        auto hold = rules.extend(req.ref.hold, req.customer, now);
        if (!hold)
          return refused<hold_info>(hold.error());
        return to_info(self->state, *hold);
      });
    },
    [=](const release_request& req) -> caf::result<hold_info> {
      return step(self, [&](section_state& rules, timestamp_ms now) -> caf::result<hold_info> {
        auto hold = rules.release(req.ref.hold, req.customer, now);
        if (!hold)
          return refused<hold_info>(hold.error());
        report(self, hold->customer, -1, -static_cast<int32_t>(hold->quantity));
        return to_info(self->state, *hold);
      });
    },
    [=](const purchase_request& req) -> caf::result<order_info> {
      return step(self, [&](section_state& rules, timestamp_ms now) -> caf::result<order_info> {
        auto order = rules.purchase(req.ref.hold, req.customer, now);
        if (!order)
          return refused<order_info>(order.error());
        report(self, order->customer, -1, 0);  // the tickets stay counted, now as an order
        return to_info(self->state, *order);
      });
    },
    [=](const cancel_request& req) -> caf::result<order_info> {
      return step(self, [&](section_state& rules, timestamp_ms) -> caf::result<order_info> {
        auto order = rules.cancel(req.ref.order, req.customer);
        if (!order)
          return refused<order_info>(order.error());
        report(self, order->customer, 0, -static_cast<int32_t>(order->quantity));
        return to_info(self->state, *order);
      });
    },
    [=](const seat_map_request&) {
      return step(self, [&](section_state& rules, timestamp_ms) {
        auto stats = rules.stats();
        stats.section = self->state.info.id;
        return seat_map{self->state.event, self->state.info, rules.seats(), stats};
      });
    },
    [=](const stats_request&) {
      return step(self, [&](section_state& rules, timestamp_ms) {
        auto stats = rules.stats();
        stats.section = self->state.info.id;
        return stats;
      });
    },
    [=](snapshot_atom) {
      return step(self, [&](section_state& rules, timestamp_ms) {
        section_snapshot snapshot;
        snapshot.info = self->state.info;
        rules.fill(snapshot);
        return snapshot;
      });
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
section_actor::behavior_type section_main(self_ptr self, event_id event, section_info info,
                                          delta_sink owner, section_state rules) {
  self->state.event = event;
  self->state.info = std::move(info);
  self->state.owner = std::move(owner);
  self->state.rules.emplace(std::move(rules));
  arm_timer(self, wall_clock_ms(self->clock()));
  return section_behavior(self);
}

} // namespace

section_actor spawn_section(caf::local_actor* parent, event_id event, section_snapshot snapshot,
                            delta_sink owner, const reservation_limits& limits) {
  auto restored = section_state::restore(snapshot, limits);
  if (!restored) {
    // A snapshot is only ever produced by a section; one that contradicts
    // itself means the books are corrupt, and serving from them would oversell.
    spdlog::critical("event {} section {}: snapshot is inconsistent ({})", event,
                     snapshot.info.id, to_string(restored.error()));
    std::abort();
  }
  return parent->spawn<caf::linked>(section_main, event, std::move(snapshot.info),
                                    std::move(owner), std::move(*restored));
}

} // namespace boxoffice
