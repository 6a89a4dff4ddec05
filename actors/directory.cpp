#include "actors/directory.h"

#include "actors/event_actor.h"
#include "actors/wall_clock.h"

#include <spdlog/spdlog.h>

#include <functional>
#include <unordered_map>

namespace boxoffice {

namespace {

struct directory_entry {
  event_actor actor;                     // null while stopped
  std::optional<event_snapshot> parked;  // set while stopped
  bool stopping = false;
  timestamp_ms last_used = 0;
  // Requests that arrived while the event was handing itself over.
  std::vector<std::function<void(const event_actor&)>> backlog;
};

struct directory_state {
  static inline const char* name = "boxoffice.directory";
  directory_settings settings;
  std::unordered_map<event_id, directory_entry> events;
  event_id next_event_id = 1;
};

using self_ptr = directory_actor::stateful_pointer<directory_state>;

void bring_back(self_ptr self, directory_entry& entry) {
  entry.actor = spawn_event(self, std::move(*entry.parked), self->state.settings.limits);
  entry.parked.reset();
}

void flush_backlog(self_ptr self, directory_entry& entry) {
  if (entry.backlog.empty())
    return;
  if (!entry.actor)
    bring_back(self, entry);
  for (auto& pass_on : std::exchange(entry.backlog, {}))
    pass_on(entry.actor);
}

template <class Req, class Reply>
auto to_event(self_ptr self) {
  return [self](Req& req) -> caf::result<Reply> {
    auto i = self->state.events.find(event_of(req));
    if (i == self->state.events.end())
      return make_error(errc::event_not_found);
    auto& entry = i->second;
    entry.last_used = wall_clock_ms(self->clock());
    if (entry.stopping) {
      if (entry.backlog.size() >= self->state.settings.event_backlog_max)
        return make_error(errc::overloaded);
      auto rp = self->make_response_promise<Reply>();
      entry.backlog.emplace_back([rp, req = std::move(req)](const event_actor& actor) mutable {
        rp.delegate(actor, std::move(req));
      });
      return rp;
    }
    if (!entry.actor)
      bring_back(self, entry);
    return self->delegate(entry.actor, std::move(req));
  };
}

void stop_event(self_ptr self, event_id id) {
  auto& entry = self->state.events.at(id);
  entry.stopping = true;
  self->request(entry.actor, caf::infinite, stop_atom::value)
    .then(
      [=](event_snapshot& snapshot) {
        auto& entry = self->state.events.at(id);
        entry.actor = nullptr;
        entry.parked = std::move(snapshot);
        entry.stopping = false;
        flush_backlog(self, entry);
      },
      [=](caf::error& err) {
        // The event died instead of handing over; its waiting requests get
        // the same error from its dead handle.
        spdlog::error("event {} failed to stop: {}", id, self->system().render(err));
        auto& entry = self->state.events.at(id);
        entry.stopping = false;
        flush_backlog(self, entry);
      });
}

std::chrono::milliseconds sweep_interval(const directory_settings& settings) {
  // Four sweeps per idle period: an event stops between 1x and 1.25x of it.
  return std::chrono::milliseconds{std::max<int64_t>(settings.event_idle_stop_s * 250, 1000)};
}

void sweep(self_ptr self) {
  auto now = wall_clock_ms(self->clock());
  auto idle_ms = int64_t{self->state.settings.event_idle_stop_s} * 1000;
  for (auto& [id, entry] : self->state.events)
    if (entry.actor && !entry.stopping && now - entry.last_used >= idle_ms)
      stop_event(self, id);
  self->delayed_send(self, sweep_interval(self->state.settings), sweep_atom::value);
}

caf::result<event_info> create_event(self_ptr self, create_event_request& req) {
  if (req.title.empty())
    return make_error(errc::invalid_request);
  event_snapshot fresh;
  fresh.info.id = self->state.next_event_id++;
  fresh.info.title = std::move(req.title);
  fresh.info.description = std::move(req.description);
  fresh.info.venue = std::move(req.venue);
  fresh.info.starts_at = req.starts_at;
  fresh.info.max_tickets_per_customer = req.max_tickets_per_customer
                                          ? req.max_tickets_per_customer
                                          : self->state.settings.limits.max_tickets_per_customer;
  auto info = fresh.info;
  auto& entry = self->state.events[info.id];
  entry.parked = std::move(fresh);
  entry.last_used = wall_clock_ms(self->clock());
  bring_back(self, entry);
  return info;
}

directory_actor::behavior_type directory_behavior(self_ptr self) {
  return {
    to_event<hold_request, hold_info>(self),
    to_event<hold_query, hold_info>(self),
    to_event<extend_request, hold_info>(self),
    to_event<release_request, hold_info>(self),
    to_event<purchase_request, order_info>(self),
    to_event<cancel_request, order_info>(self),
    to_event<seat_map_request, seat_map>(self),
    to_event<stats_request, section_stats>(self),
    to_event<event_request, event_view>(self),
    to_event<set_status_request, event_info>(self),
    to_event<add_section_request, section_info>(self),
    [=](create_event_request& req) { return create_event(self, req); },
    [=](sweep_atom) { sweep(self); },
  };
}

// State as spawn arguments, not captures: see section_main.
directory_actor::behavior_type directory_main(self_ptr self, directory_settings settings) {
  self->state.settings = settings;
  if (settings.event_idle_stop_s > 0)
    self->delayed_send(self, sweep_interval(settings), sweep_atom::value);
  return directory_behavior(self);
}

} // namespace

directory_actor spawn_directory(caf::actor_system& sys, const directory_settings& settings) {
  return sys.spawn(directory_main, settings);
}

} // namespace boxoffice
