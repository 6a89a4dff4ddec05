// The event actor's waiting-room handlers (issue 15): the actor side of
// waiting_room.h. Joins, leaves and settings answer once committed;
// admissions, expiries and used passes are journaled without anyone
// waiting (like hold expiries). A timer runs admission rounds while the
// room is on. Internal to actors/ (event_actor.cpp calls these).
#pragma once

#include "actors/event_actor_state.h"

namespace boxoffice {

// Builds the room from what was stored (called once, at spawn), with the
// sections' live holds for its forecast of the stock.
void start_room(event_self self, queue_settings settings, std::vector<queue_entry> entries,
                const std::vector<section_snapshot>& sections);

caf::result<queue_status> queue_join(event_self self, const queue_join_request& req);
caf::result<queue_status> queue_status_of(event_self self, const queue_status_request& req);
caf::result<queue_status> queue_leave(event_self self, const queue_leave_request& req);
caf::result<queue_room_status> queue_configure(event_self self, const queue_settings_request& req);
queue_room_status queue_room(event_self self);
void queue_tick(event_self self);

// While the room is on, the refusal of a hold without a valid pass.
std::optional<errc> queue_check_hold(event_self self, const hold_request& req);
// The event admitted a hold of `seats` (the forecast counts on its expiry).
void queue_on_hold(event_self self, customer_id customer, uint32_t seats);
// A section's report: a purchase uses the buyer's pass; a hold fewer ends
// one in the forecast.
void queue_on_delta(event_self self, const customer_delta& delta);
// The sale closed: everyone in the room is told.
void queue_on_close(event_self self);

} // namespace boxoffice
