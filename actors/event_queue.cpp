#include "actors/event_queue.h"

#include "actors/answer_codec.h"
#include "actors/wall_clock.h"
#include "telemetry/instruments.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

namespace boxoffice {

namespace {

std::shared_ptr<const pass_keys> made_up_keys() {
  std::string secret(32, '\0');
  randombytes_buf(secret.data(), secret.size());
  return std::make_shared<pass_keys>(pass_keys::key{"local", secret});
}

event_id id_of(event_self self) {
  return self->state.rules->info().id;
}

// The room's writes, like every write of the event, carry the epoch it is
// held at, so that a node that lost the event cannot commit them (the fence,
// docs/cluster.md).
journal_write room_write(event_self self, std::vector<change> changes) {
  return journal_write{std::move(changes), id_of(self), self->state.ctx.held};
}

timestamp_ms now_of(event_self self) {
  return wall_clock_ms(self->clock());
}

queue_status status_of(event_self self, const queue_entry& e, bool fresh = false) {
  auto& room = *self->state.room;
  auto v = room.view(e, now_of(self));
  return queue_status{id_of(self), v.entry,  v.position, v.ahead, v.eta_s, v.sold_out,
                      v.pass,      room.limits().refresh_after_s, fresh};
}

stock_view stock_of(event_self self) {
  const auto& rules = *self->state.rules;
  stock_view s;
  s.hold_ttl_s = self->state.ctx.limits.hold_ttl_s;
  s.capacity = rules.capacity();
  s.free_seats = s.capacity > rules.tickets_counted() ? s.capacity - rules.tickets_counted() : 0;
  s.live_holds = rules.holds_counted();
  s.holding = [self](customer_id c) {
    auto u = self->state.rules->usage_of(c);
    return u.holds > 0 || u.tickets > 0;
  };
  return s;
}

// Changes nobody waits for: a lost one is redone (an admission or a skip,
// by the next round after a restart) or harmless (an expiry is checked
// again by time; a lost return leaves the entry away until its waiter
// polls again).
void journal_quietly(event_self self, std::vector<change> changes) {
  if (changes.empty())
    return;
  auto event = id_of(self);
  self->request(self->state.ctx.journal, caf::infinite, room_write(self, std::move(changes)))
    .then([](committed_atom) {},
          [self, event](caf::error& err) {
            spdlog::warn("event {}: waiting-room change not committed: {}", event,
                         self->system().render(err));
          });
}

queue_entry_saved saved(event_self self, queue_entry e) {
  return queue_entry_saved{id_of(self), std::move(e)};
}

void journal_entries(event_self self, const std::vector<queue_entry>& entries,
                     std::optional<queue_settings> settings = std::nullopt) {
  std::vector<change> changes;
  if (settings)
    changes.push_back(queue_saved{id_of(self), *settings});
  for (const auto& e : entries)
    changes.push_back(saved(self, e));
  journal_quietly(self, std::move(changes));
}

void report_sold_out_told(event_self self) {
  if (auto ms = self->state.room->take_sold_out_told_ms())
    telemetry::observe_sold_out_told(static_cast<double>(*ms) / 1000);
}

void arm(event_self self) {
  if (self->state.ticking || !self->state.room->on())
    return;
  self->state.ticking = true;
  self->delayed_send(self, std::chrono::milliseconds{self->state.room->tick_interval_ms()},
                     queue_tick_atom::value);
}

void publish(event_self self) {
  auto c = self->state.room->count();
  self->state.queue_metrics.publish(c.pre_queue + c.waiting, c.admitted, c.admitted_total);
}

} // namespace

void start_room(event_self self, queue_settings settings, std::vector<queue_entry> entries,
                const std::vector<section_snapshot>& sections) {
  auto& ctx = self->state.ctx;
  if (!ctx.passes)
    ctx.passes = made_up_keys();
  self->state.room.emplace(id_of(self), ctx.room_limits, ctx.passes);
  self->state.room->restore(std::move(settings), std::move(entries), now_of(self));
  for (const auto& section : sections)
    for (const auto& h : section.holds)
      self->state.room->hold_started(h.customer, h.quantity, h.expires_at);
  self->state.queue_metrics = telemetry::queue_gauges(id_of(self));
  publish(self);
  arm(self);
}

caf::result<queue_status> queue_join(event_self self, const queue_join_request& req) {
  auto& room = *self->state.room;
  bool closed = self->state.rules->info().status == sale_status::closed;
  auto joined = room.join(req.customer, now_of(self), closed);
  if (!joined)
    return make_error(joined.error());
  auto id = joined->entry.id;
  auto& st = self->state;
  auto pending = st.joining.find(id);
  if (joined->returned)
    journal_entries(self, {joined->entry});  // back in line: like a skip, nobody waits for it
  if (!joined->fresh && pending == st.joining.end())
    return status_of(self, joined->entry);
  // A fresh entry, or the same customer again before its entry is durable:
  // every one of them is answered once the entry is committed.
  auto rp = self->make_response_promise<queue_status>();
  st.joining[id].push_back(rp);
  if (!joined->fresh)
    return rp;
  auto entry = joined->entry;
  // A keyed join commits its answer (the new place, before any admission:
  // a pass is never stored) with the entry, and with the customer's away
  // entry that it ended, if any.
  std::vector<change> changes{saved(self, entry)};
  if (joined->ended)
    changes.push_back(saved(self, *joined->ended));
  auto write = keyed(room_write(self, std::move(changes)), req.answer,
                     status_of(self, entry, true), now_of(self));
  self->request(st.ctx.journal, caf::infinite, std::move(write))
    .then(
      [=](committed_atom) {
        auto waiting = std::move(self->state.joining[id]);
        self->state.joining.erase(id);
        if (self->state.room->settings().mode == queue_mode::safety_net)
          queue_tick(self);  // admitted at once if the rate, cap and stock allow
        auto* e = self->state.room->find(id, entry.secret);
        bool first = true;
        for (auto& p : waiting) {
          if (e)
            p.deliver(status_of(self, *e, std::exchange(first, false)));
          else
            p.deliver(make_error(errc::queue_entry_not_found));
        }
        publish(self);
      },
      [=](caf::error& err) {
        auto waiting = std::move(self->state.joining[id]);
        self->state.joining.erase(id);
        self->state.room->forget(id);
        for (auto& p : waiting)
          p.deliver(err);
      });
  return rp;
}

// Every status request is its waiter listening (a poll, or its stream's).
caf::result<queue_status> queue_status_of(event_self self, const queue_status_request& req) {
  auto& room = *self->state.room;
  if (self->state.joining.count(req.ref.entry) || !room.find(req.ref.entry, req.ref.secret))
    return make_error(errc::queue_entry_not_found);
  auto v = *room.look(req.ref.entry, req.ref.secret, now_of(self));
  if (v.returned)
    journal_entries(self, {v.entry});
  report_sold_out_told(self);
  return queue_status{id_of(self), v.entry, v.position, v.ahead,      v.eta_s,
                      v.sold_out,  v.pass,  room.limits().refresh_after_s, false};
}

caf::result<queue_status> queue_leave(event_self self, const queue_leave_request& req) {
  if (self->state.joining.count(req.ref.entry))
    return make_error(errc::queue_entry_not_found);
  auto left = self->state.room->leave(req.ref.entry, req.ref.secret, now_of(self));
  if (!left)
    return make_error(left.error());
  auto rp = self->make_response_promise<queue_status>();
  auto entry = *left;
  self->request(self->state.ctx.journal, caf::infinite,
                room_write(self, {saved(self, entry)}))
    .then([=](committed_atom) mutable { rp.deliver(status_of(self, entry)); },
          [=](caf::error& err) mutable { rp.deliver(err); });
  publish(self);
  return rp;
}

queue_room_status queue_room(event_self self) {
  auto& room = *self->state.room;
  auto c = room.count();
  return queue_room_status{id_of(self), room.settings(), c.pre_queue, c.waiting, c.admitted,
                           c.admitted_total, room.sold_out()};
}

caf::result<queue_room_status> queue_configure(event_self self,
                                               const queue_settings_request& req) {
  auto next = self->state.room->settings();
  const auto& in = req.settings;
  auto f = req.fields;
  if (f & queue_mode_field) next.mode = in.mode;
  if (f & queue_prequeue_at_field) next.prequeue_at = in.prequeue_at;
  if (f & queue_opens_at_field) next.opens_at = in.opens_at;
  if (f & queue_rate_field) next.rate_per_s = in.rate_per_s;
  if (f & queue_active_max_field) next.active_max = in.active_max;
  if (f & queue_pass_ttl_field) next.pass_ttl_s = in.pass_ttl_s;
  if (f & queue_length_max_field) next.queue_length_max = in.queue_length_max;
  if (f & queue_paused_field) next.paused = in.paused;
  auto planned = self->state.room->plan(next);
  if (!planned)
    return make_error(planned.error());
  auto settings = *planned;
  auto rp = self->make_response_promise<queue_room_status>();
  // Rare and ordered: the event takes nothing else until it is committed.
  // A keyed change commits its answer with it: the room as it will be.
  auto answer = queue_room(self);
  answer.settings = settings;  // configure() changes the settings only
  self->request(self->state.ctx.journal, caf::infinite,
                keyed(room_write(self, {queue_saved{id_of(self), settings}}), req.answer, answer,
                      now_of(self)))
    .await(
      [=](committed_atom) mutable {
        self->state.room->configure(settings);
        arm(self);
        rp.deliver(queue_room(self));
      },
      [=](caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

void queue_tick(event_self self) {
  auto& room = *self->state.room;
  bool settings_changed = false;
  auto changed = room.tick(now_of(self), stock_of(self), settings_changed);
  journal_entries(self, changed,
                  settings_changed ? std::optional<queue_settings>{room.settings()} : std::nullopt);
  report_sold_out_told(self);
  if (!changed.empty())
    publish(self);
  arm(self);
}

std::optional<errc> queue_check_hold(event_self self, const hold_request& req) {
  auto& room = *self->state.room;
  if (!room.on())
    return std::nullopt;
  return room.check_hold(req.pass, req.customer, now_of(self));
}

void queue_on_hold(event_self self, customer_id customer, uint32_t seats) {
  auto ttl_ms = int64_t{self->state.ctx.limits.hold_ttl_s} * 1000;
  self->state.room->hold_started(customer, seats, now_of(self) + ttl_ms);
}

void queue_on_delta(event_self self, const customer_delta& delta) {
  // A purchase is the one report of one hold fewer with the tickets kept;
  // any other hold fewer (refused, released, expired) gives its seats back.
  for (int32_t n = delta.holds; n < 0; ++n)
    self->state.room->hold_ended(delta.customer, delta.tickets == 0);
  if (delta.holds >= 0 || delta.tickets != 0)
    return;
  if (auto used = self->state.room->purchased(delta.customer, now_of(self))) {
    journal_entries(self, {*used});
    publish(self);
  }
}

void queue_on_close(event_self self) {
  journal_entries(self, self->state.room->close(now_of(self)));
  publish(self);
}

} // namespace boxoffice
