#include "actors/event_actor.h"

#include "actors/answer_codec.h"
#include "actors/event_actor_state.h"
#include "actors/event_queue.h"
#include "actors/wall_clock.h"
#include "actors/event_state.h"
#include "actors/section_actor.h"
#include "actors/section_state.h"
#include "actors/mailbox.h"
#include "telemetry/instruments.h"

#include <map>
#include <memory>

namespace boxoffice {

namespace {

using self_ptr = event_self;



const section_actor* find_section(self_ptr self, section_id id) {
  auto i = self->state.sections.find(id);
  return i == self->state.sections.end() ? nullptr : &i->second;
}

// Sends `msg` to every section; `done` gets the answers in section order, or
// `failed` gets the first error.
template <class T, class Msg, class Done, class Failed>
void ask_sections(self_ptr self, const Msg& msg, Done done, Failed failed) {
  struct gathering {
    std::vector<T> answers;
    size_t missing;
    bool over = false;
  };
  auto g = std::make_shared<gathering>();
  g->answers.resize(self->state.sections.size());
  g->missing = g->answers.size();
  if (g->missing == 0)
    return done(std::move(g->answers));
  size_t index = 0;
  for (const auto& [id, section] : self->state.sections) {
    self->request(section, caf::infinite, msg)
      .then(
        [=](T& answer) mutable {
          g->answers[index] = std::move(answer);
          if (--g->missing == 0 && !g->over)
            done(std::move(g->answers));
        },
        [=](caf::error& err) mutable {
          if (!std::exchange(g->over, true))
            failed(std::move(err));
        });
    ++index;
  }
}

caf::result<hold_info> admit_hold(self_ptr self, hold_request& req) {
  telemetry::observe_mailbox(telemetry::actor_kind::event, mailbox_depth(self));
  auto& rules = *self->state.rules;
  if (auto bad = check_hold_shape(req.seats, req.quantity, self->state.ctx.limits))
    return make_error(*bad);
  if (auto refused = queue_check_hold(self, req))
    return make_error(*refused);
  auto seats = requested_seats(req.seats, req.quantity);
  if (auto refused = rules.admit_hold(req.customer, req.section, seats))
    return make_error(*refused);
  queue_on_hold(self, req.customer, seats);
  // The quota is reserved; the section gives it back with a customer delta
  // whenever the hold does not last (refused, not committed, released,
  // expired), so the section answers the client directly.
  return self->delegate(*find_section(self, req.section), std::move(req));
}

// Requests that need nothing from the event but the right section.
template <class Req, class Reply>
auto to_section(self_ptr self) {
  return [self](Req& req) -> caf::result<Reply> {
    telemetry::observe_mailbox(telemetry::actor_kind::event, mailbox_depth(self));
    auto section = find_section(self, section_of(req));
    if (!section)
      return make_error(errc::section_not_found);
    return self->delegate(*section, std::move(req));
  };
}

bool hidden(self_ptr self, bool include_drafts) {
  return !include_drafts && self->state.rules->info().status == sale_status::draft;
}

void gather_view(self_ptr self) {
  self->state.in_round = std::exchange(self->state.viewers, {});
  self->state.gathering = true;
  auto answer = [self](auto result) {
    for (auto& rp : std::exchange(self->state.in_round, {}))
      rp.deliver(result);
    self->state.gathering = false;
    if (!self->state.viewers.empty())
      gather_view(self);
  };
  ask_sections<section_stats>(
    self, stats_request{},
    [=](std::vector<section_stats> stats) {
      answer(event_view{self->state.rules->info(), std::move(stats),
                        self->state.room->settings()});
    },
    [=](caf::error err) { answer(std::move(err)); });
}

// Before the event stops: a view still waiting would otherwise never be
// answered (its round's replies come after the stop). It is retried.
void turn_viewers_away(self_ptr self) {
  auto busy = make_error(errc::overloaded);
  for (auto* list : {&self->state.in_round, &self->state.viewers})
    for (auto& rp : std::exchange(*list, {}))
      rp.deliver(busy);
}

caf::result<event_view> view(self_ptr self) {
  auto rp = self->make_response_promise<event_view>();
  self->state.viewers.push_back(rp);
  if (!self->state.gathering)
    gather_view(self);
  return rp;
}

// Stops once every section has no commit in flight, so that nothing
// acknowledged is lost and the next owner reads complete books.
caf::result<stopped_atom> stop(self_ptr self) {
  auto rp = self->make_response_promise<stopped_atom>();
  ask_sections<stopped_atom>(
    self, stop_atom::value,
    [=](std::vector<stopped_atom>) mutable {
      // A normal exit does not end linked actors: end the sections explicitly.
      for (const auto& [id, section] : self->state.sections)
        self->send_exit(section, caf::exit_reason::user_shutdown);
      turn_viewers_away(self);
      rp.deliver(stopped_atom::value);
      self->quit();
    },
    [=](caf::error err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

void start_section(self_ptr self, section_snapshot snapshot) {
  auto id = snapshot.info.id;
  section_context ctx{self->state.rules->info().id, caf::actor_cast<delta_sink>(self),
                      self->state.ctx.journal, self->state.ctx.limits, self->state.ctx.held};
  self->state.sections[id] = spawn_section(self, std::move(snapshot), std::move(ctx));
}

// Commits `write`, then applies it with `apply` (which makes the reply). The
// event handles nothing else meanwhile (await), so the change cannot race.
template <class Reply, class Apply>
caf::result<Reply> commit_then(self_ptr self, journal_write write, Apply apply) {
  auto rp = self->make_response_promise<Reply>();
  self->request(self->state.ctx.journal, caf::infinite, std::move(write))
    .await([=](committed_atom) mutable { rp.deliver(apply()); },
           [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

// One change of this event, under the epoch the event is held at (zero on
// a single node: nothing is fenced there).
journal_write event_write(self_ptr self, change c) {
  return journal_write{{std::move(c)}, self->state.rules->info().id, self->state.ctx.held};
}

template <class Reply, class Apply>
caf::result<Reply> commit_then(self_ptr self, change c, Apply apply) {
  return commit_then<Reply>(self, event_write(self, std::move(c)), std::move(apply));
}

caf::result<event_info> set_status(self_ptr self, sale_status next) {
  if (auto refused = self->state.rules->check_status(next))
    return make_error(*refused);
  auto info = self->state.rules->info();
  info.status = next;
  info.sections.clear();
  return commit_then<event_info>(self, event_saved{info}, [self, next] {
    self->state.rules->set_status(next);
    if (next == sale_status::closed)
      queue_on_close(self);
    return self->state.rules->info();
  });
}

caf::result<event_info> edit(self_ptr self, const edit_event_request& req) {
  auto& rules = *self->state.rules;
  if (req.fields & edit_status)
    if (auto refused = rules.check_status(req.status))
      return make_error(*refused);
  if (((req.fields & edit_title) && req.title.empty())
      || ((req.fields & edit_max_tickets) && req.max_tickets_per_customer == 0))
    return make_error(errc::invalid_request);
  auto info = rules.info();
  info.sections.clear();
  if (req.fields & edit_title)
    info.title = req.title;
  if (req.fields & edit_description)
    info.description = req.description;
  if (req.fields & edit_venue)
    info.venue = req.venue;
  if (req.fields & edit_starts_at)
    info.starts_at = req.starts_at;
  if (req.fields & edit_max_tickets)
    info.max_tickets_per_customer = req.max_tickets_per_customer;
  if (req.fields & edit_status)
    info.status = req.status;
  // A keyed edit commits its answer with it: the event as it will be.
  auto after = rules;
  after.set_details(info);
  auto write = keyed(event_write(self, event_saved{info}), req.answer, after.info(),
                     wall_clock_ms(self->clock()));
  return commit_then<event_info>(self, std::move(write), [self, info] {
    bool closing = info.status == sale_status::closed
                   && self->state.rules->info().status != sale_status::closed;
    self->state.rules->set_details(info);
    if (closing)
      queue_on_close(self);
    return self->state.rules->info();
  });
}

caf::result<section_info> add_section(self_ptr self, add_section_request& req) {
  auto planned = self->state.rules->plan_section(std::move(req.name), req.layout,
                                                 req.price_cents);
  if (!planned)
    return make_error(planned.error());
  auto section = *planned;
  auto write = keyed(event_write(self, section_added{self->state.rules->info().id, section}),
                     req.answer, section, wall_clock_ms(self->clock()));
  return commit_then<section_info>(
    self, std::move(write), [self, section] {
      self->state.rules->add_section(section);
      section_snapshot fresh;
      fresh.info = section;
      start_section(self, std::move(fresh));
      return section;
    });
}

event_actor::behavior_type event_behavior(self_ptr self) {
  return {
    [=](hold_request& req) { return admit_hold(self, req); },
    to_section<hold_query, hold_info>(self),
    to_section<extend_request, hold_info>(self),
    to_section<release_request, hold_info>(self),
    to_section<purchase_request, order_info>(self),
    to_section<cancel_request, order_info>(self),
    [=](seat_map_request& req) -> caf::result<seat_map> {
      if (hidden(self, req.include_drafts))
        return make_error(errc::event_not_found);
      return to_section<seat_map_request, seat_map>(self)(req);
    },
    to_section<stats_request, section_stats>(self),
    [=](const event_request& req) -> caf::result<event_view> {
      if (hidden(self, req.include_drafts))
        return make_error(errc::event_not_found);
      return view(self);
    },
    [=](const set_status_request& req) { return set_status(self, req.status); },
    [=](const edit_event_request& req) { return edit(self, req); },
    [=](add_section_request& req) { return add_section(self, req); },
    [=](const customer_delta& delta) {
      self->state.rules->apply(delta);
      queue_on_delta(self, delta);
    },
    [=](const queue_join_request& req) { return queue_join(self, req); },
    [=](const queue_status_request& req) { return queue_status_of(self, req); },
    [=](const queue_leave_request& req) { return queue_leave(self, req); },
    [=](const queue_settings_request& req) { return queue_configure(self, req); },
    [=](const queue_settings_query&) -> caf::result<queue_room_status> { return queue_room(self); },
    [=](queue_tick_atom) {
      self->state.ticking = false;
      queue_tick(self);
    },
    [=](stop_atom) { return stop(self); },
  };
}

// State as spawn arguments, not captures: see section_main.
event_actor::behavior_type event_main(self_ptr self, event_snapshot snapshot,
                                      event_context ctx) {
  self->state.ctx = std::move(ctx);
  self->state.rules.emplace(std::move(snapshot.info), self->state.ctx.limits);
  start_room(self, std::move(snapshot.queue), std::move(snapshot.queue_entries),
             snapshot.sections);
  for (auto& section : snapshot.sections) {
    self->state.rules->count_restored(section);
    start_section(self, std::move(section));
  }
  return event_behavior(self);
}

} // namespace

event_actor spawn_event(caf::actor_system& sys, event_snapshot snapshot, event_context context) {
  return sys.spawn(event_main, std::move(snapshot), std::move(context));
}

} // namespace boxoffice
