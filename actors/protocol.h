// Every message of boxoffice, in one place: requests and their replies, the
// typed interfaces of the section, event and directory actors, and their
// registration with CAF (type ids for the wire, the error category).
//
// Client requests carry their routing keys (event, section), so one request
// travels unchanged from the directory to the event to the section, on this
// node or another.
#pragma once

#include "actors/changes.h"
#include "actors/domain.h"
#include "actors/errc.h"

#include <caf/all.hpp>

#include <optional>
#include <string>
#include <vector>

namespace boxoffice {

// --- Public ids ---------------------------------------------------------------

struct hold_ref {
  event_id event = 0;
  section_id section = 0;
  hold_id hold = 0;
};

struct order_ref {
  event_id event = 0;
  section_id section = 0;
  order_id order = 0;
};

// --- Client requests and replies -------------------------------------------

// Exactly one of seats (labels such as "A-12") or quantity (best available,
// or a count in general admission). The writes carry the Idempotency-Key of
// their HTTP request, if any: the section commits its answer with the change.
struct hold_request {
  event_id event = 0;
  section_id section = 0;
  customer_id customer = 0;
  std::vector<std::string> seats;
  int32_t quantity = 0;
  answer_key answer;
  std::string pass;  // the waiting room's admission pass; checked while the room is on
};

struct hold_query { hold_ref ref; customer_id customer = 0; };
struct extend_request { hold_ref ref; customer_id customer = 0; answer_key answer; };
struct release_request { hold_ref ref; customer_id customer = 0; answer_key answer; };
struct purchase_request { hold_ref ref; customer_id customer = 0; answer_key answer; };
struct cancel_request { order_ref ref; customer_id customer = 0; answer_key answer; };
// include_drafts: false (a customer asking) answers event_not_found for an
// event whose sale is still a draft, so drafts stay unseen until published.
struct seat_map_request { event_id event = 0; section_id section = 0; bool include_drafts = true; };
struct stats_request { event_id event = 0; section_id section = 0; };
struct event_request { event_id event = 0; bool include_drafts = true; };

struct hold_info {
  hold_ref ref;
  customer_id customer = 0;
  std::vector<std::string> seats;  // labels; empty in general admission
  uint32_t quantity = 0;
  int64_t total_cents = 0;
  timestamp_ms created_at = 0;
  timestamp_ms expires_at = 0;
};

struct order_info {
  order_ref ref;
  customer_id customer = 0;
  hold_ref from_hold;
  std::vector<std::string> seats;
  uint32_t quantity = 0;
  int64_t total_cents = 0;
  timestamp_ms created_at = 0;
};

struct seat_map {
  event_id event = 0;
  section_info section;
  std::vector<seat_status> seats;  // row-major; empty in general admission
  section_stats stats;
};

struct event_view {
  event_info info;
  std::vector<section_stats> sections;  // in the order of info.sections
  queue_settings queue;                 // the waiting room's settings
};

// --- The waiting room (issue 15) ------------------------------------------------

// A queue entry's public id: its event, its number, and its secret (knowing
// the id is what lets a client read, stream or leave the entry).
struct queue_ref {
  event_id event = 0;
  uint64_t entry = 0;
  std::string secret;
};

// A keyed join or settings change commits its answer with it (answer_saved).
struct queue_join_request { event_id event = 0; customer_id customer = 0; answer_key answer; };
struct queue_status_request { queue_ref ref; };
struct queue_leave_request { queue_ref ref; };

// What a waiter sees (waiting_room.h, queue_view), with what a client needs
// to render and poll it.
struct queue_status {
  event_id event = 0;
  queue_entry entry;
  uint64_t position = 0;
  uint64_t ahead = 0;
  uint64_t eta_s = 0;
  bool sold_out = false;
  std::string pass;
  uint32_t refresh_after_s = 5;
  bool fresh = false;  // a join that made a new entry
};

// Changes the settings named in `fields` (bits of queue_field); the rest stay.
enum queue_field : uint32_t {
  queue_mode_field = 1,
  queue_prequeue_at_field = 2,
  queue_opens_at_field = 4,
  queue_rate_field = 8,
  queue_active_max_field = 16,
  queue_pass_ttl_field = 32,
  queue_length_max_field = 64,
  queue_paused_field = 128,
};
struct queue_settings_request {
  event_id event = 0;
  uint32_t fields = 0;
  queue_settings settings;
  answer_key answer;
};
struct queue_settings_query { event_id event = 0; };

// What the operator sees: the settings and the room's counters.
struct queue_room_status {
  event_id event = 0;
  queue_settings settings;
  uint64_t pre_queue = 0;
  uint64_t waiting = 0;
  uint64_t admitted = 0;
  uint64_t admitted_total = 0;
  bool sold_out = false;
};

// --- Admin requests ------------------------------------------------------------

struct create_event_request {
  std::string title;
  std::string description;
  std::string venue;
  timestamp_ms starts_at = 0;
  uint32_t max_tickets_per_customer = 0;  // 0: the configured default
  answer_key answer;  // a keyed request: its answer commits with the event
};

struct set_status_request { event_id event = 0; sale_status status = sale_status::draft; };

// Changes the fields named in `fields` (bits of edit_field), all or none:
// a status that cannot follow the current one refuses the whole edit.
enum edit_field : uint32_t {
  edit_title = 1,
  edit_description = 2,
  edit_venue = 4,
  edit_starts_at = 8,
  edit_max_tickets = 16,
  edit_status = 32,
};
struct edit_event_request {
  event_id event = 0;
  uint32_t fields = 0;
  std::string title;
  std::string description;
  std::string venue;
  timestamp_ms starts_at = 0;
  uint32_t max_tickets_per_customer = 0;
  sale_status status = sale_status::draft;
  answer_key answer;
};

struct add_section_request {
  event_id event = 0;
  std::string name;
  section_layout layout;
  int64_t price_cents = 0;
  answer_key answer;
};

// --- The journal (node-local: these never cross the network) ----------------

// journal_write: actors/changes.h (the store reads it too).

// A group commit: many writes in one transaction; each write fails alone only
// if the database refuses that write in particular.
struct commit_batch {
  std::vector<journal_write> writes;
};

struct commit_result {
  std::vector<std::optional<errc>> failed;  // per write; nullopt: committed
};

// --- Routing -------------------------------------------------------------------

inline event_id event_of(const hold_request& x) { return x.event; }
inline event_id event_of(const seat_map_request& x) { return x.event; }
inline event_id event_of(const stats_request& x) { return x.event; }
inline event_id event_of(const event_request& x) { return x.event; }
inline event_id event_of(const set_status_request& x) { return x.event; }
inline event_id event_of(const edit_event_request& x) { return x.event; }
inline event_id event_of(const add_section_request& x) { return x.event; }
inline event_id event_of(const queue_join_request& x) { return x.event; }
inline event_id event_of(const queue_settings_request& x) { return x.event; }
inline event_id event_of(const queue_settings_query& x) { return x.event; }
template <class T>
auto event_of(const T& x) -> decltype(x.ref.event) { return x.ref.event; }

inline section_id section_of(const hold_request& x) { return x.section; }
inline section_id section_of(const seat_map_request& x) { return x.section; }
inline section_id section_of(const stats_request& x) { return x.section; }
template <class T>
auto section_of(const T& x) -> decltype(x.ref.section) { return x.ref.section; }

// --- Errors ------------------------------------------------------------------

caf::error make_error(errc x);
// The domain code inside a CAF error, if it is one of ours.
std::optional<errc> to_errc(const caf::error& x);

// errc::not_owner carries who owns the event, as far as the answering node
// knows: the owner's node id (empty: nobody yet) and its HTTP address
// (host:port, empty when unknown), which the 503 shows a client. The
// cluster's router forwards by the node id.
struct owner_hint {
  std::string node;
  std::string address;
};
caf::error make_not_owner(owner_hint owner);
// The hint of a not_owner error; nullopt for any other error.
std::optional<owner_hint> not_owner_hint(const caf::error& x);

} // namespace boxoffice

// --- Atoms and type ids ----------------------------------------------------

CAF_BEGIN_TYPE_ID_BLOCK(boxoffice, caf::first_custom_type_id)
  CAF_ADD_ATOM(boxoffice, boxoffice, expire_atom, "expire")
  CAF_ADD_ATOM(boxoffice, boxoffice, stop_atom, "stop")
  CAF_ADD_ATOM(boxoffice, boxoffice, sweep_atom, "sweep")
  CAF_ADD_ATOM(boxoffice, boxoffice, committed_atom, "committed")
  CAF_ADD_ATOM(boxoffice, boxoffice, flush_atom, "flush")
  CAF_ADD_ATOM(boxoffice, boxoffice, load_atom, "load")
  CAF_ADD_ATOM(boxoffice, boxoffice, stopped_atom, "stopped")
  CAF_ADD_ATOM(boxoffice, boxoffice, acquire_atom, "acquire")
  CAF_ADD_ATOM(boxoffice, boxoffice, create_atom, "create")
  CAF_ADD_ATOM(boxoffice, boxoffice, adopt_atom, "adopt")
  CAF_ADD_ATOM(boxoffice, boxoffice, drop_atom, "drop")
  CAF_ADD_ATOM(boxoffice, boxoffice, lease_atom, "lease")
  CAF_ADD_ATOM(boxoffice, boxoffice, cluster_atom, "cluster")
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::ownership))
  CAF_ADD_ATOM(boxoffice, boxoffice, queue_tick_atom, "qtick")
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::hold_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::hold_query))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::extend_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::release_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::purchase_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::cancel_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::seat_map_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::stats_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::event_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::hold_info))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::order_info))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::seat_map))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::section_stats))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::event_view))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::event_info))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::section_info))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::create_event_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::set_status_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::edit_event_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::add_section_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::customer_delta))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::section_snapshot))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::event_snapshot))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::queue_join_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::queue_status_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::queue_leave_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::queue_status))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::queue_settings_request))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::queue_settings_query))
  CAF_ADD_TYPE_ID(boxoffice, (boxoffice::queue_room_status))
  CAF_ADD_ATOM(boxoffice, boxoffice, handover_atom, "handover")
  CAF_ADD_ATOM(boxoffice, boxoffice, moved_atom, "moved")
CAF_END_TYPE_ID_BLOCK(boxoffice)

// Journal messages stay on their node, so they are never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::journal_write)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::commit_batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(boxoffice::commit_result)

namespace boxoffice {

// --- Interfaces ---------------------------------------------------------------

// What a client can ask of a section (through its event and the directory).
using reservation_api = caf::typed_actor<
  caf::replies_to<hold_request>::with<hold_info>,
  caf::replies_to<hold_query>::with<hold_info>,
  caf::replies_to<extend_request>::with<hold_info>,
  caf::replies_to<release_request>::with<hold_info>,
  caf::replies_to<purchase_request>::with<order_info>,
  caf::replies_to<cancel_request>::with<order_info>,
  caf::replies_to<seat_map_request>::with<seat_map>,
  caf::replies_to<stats_request>::with<section_stats>>;

// The journal: answers a write once it is committed (group commit).
// flush_atom alone: commit what waits now, answer once nothing is left
// (graceful shutdown); with a sequence number it is the journal's own timer.
using journal_actor = caf::typed_actor<
  caf::replies_to<journal_write>::with<committed_atom>,
  caf::replies_to<flush_atom>::with<committed_atom>,
  caf::reacts_to<flush_atom, uint64_t>>;

// The only actors that touch the database (detached: they block).
using committer_actor = caf::typed_actor<caf::replies_to<commit_batch>::with<commit_result>>;
using loader_actor = caf::typed_actor<caf::replies_to<load_atom, event_id>::with<event_snapshot>>;

// Where a section reports what changed for a customer (its event).
using delta_sink = caf::typed_actor<caf::reacts_to<customer_delta>>;

using section_actor = reservation_api::extend<
  caf::replies_to<stop_atom>::with<stopped_atom>,
  caf::reacts_to<expire_atom, timestamp_ms>>;

// Everything addressed to one event, from outside it.
using event_api = reservation_api::extend<
  caf::replies_to<queue_join_request>::with<queue_status>,
  caf::replies_to<queue_status_request>::with<queue_status>,
  caf::replies_to<queue_leave_request>::with<queue_status>,
  caf::replies_to<queue_settings_request>::with<queue_room_status>,
  caf::replies_to<queue_settings_query>::with<queue_room_status>,
  caf::replies_to<event_request>::with<event_view>,
  caf::replies_to<set_status_request>::with<event_info>,
  caf::replies_to<edit_event_request>::with<event_info>,
  caf::replies_to<add_section_request>::with<section_info>>;

using event_actor = event_api::extend<
  caf::reacts_to<customer_delta>,
  caf::reacts_to<queue_tick_atom>,
  caf::replies_to<stop_atom>::with<stopped_atom>>;

// Cluster mode: what the directory asks before it brings an event up on
// this node (cluster/ownership_actor.h answers). acquire: the ownership to
// fence the event's writes with, or errc::not_owner (make_not_owner: where
// it lives). create: a new event id this node owns, at least the one given.
using ownership_gate = caf::typed_actor<
  caf::replies_to<acquire_atom, event_id>::with<ownership>,
  caf::replies_to<create_atom, event_id>::with<event_id, ownership>>;

// lease_atom: in cluster mode, serve only until this time on the actor
// clock (nanoseconds since its epoch; 0: stop now); past it every request
// is refused not_owner and the running events are dropped. adopt_atom: run
// this event at this ownership now (a takeover). drop_atom: stop every
// event at once, forgetting their ownership (this node lost them).
// A planned move (cluster/ownership_actor.h): handover_atom stops the event
// once its commits in flight are answered and holds its new requests; the
// answer is the ownership it ran at (zero: it did not run here). Then either
// moved_atom (node, http address): the event lives there now, the held
// requests are refused not_owner naming it (the router takes them there);
// or adopt_atom with the same ownership: the move was called off, the event
// runs here again and serves them.
using directory_actor = event_api::extend<
  caf::replies_to<create_event_request>::with<event_info>,
  caf::reacts_to<sweep_atom>,
  caf::reacts_to<lease_atom, int64_t>,
  caf::reacts_to<adopt_atom, event_id, ownership>,
  caf::reacts_to<drop_atom>,
  caf::replies_to<handover_atom, event_id>::with<ownership>,
  caf::reacts_to<moved_atom, event_id, std::string, std::string>>;

// Registers the message types and the error category with an actor system.
void register_protocol(caf::actor_system_config& cfg);


// --- Serialization -------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ownership& x) {
  return f(caf::meta::type_name("ownership"), x.incarnation, x.epoch);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_ref& x) {
  return f(caf::meta::type_name("hold_ref"), x.event, x.section, x.hold);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_ref& x) {
  return f(caf::meta::type_name("order_ref"), x.event, x.section, x.order);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, section_layout& x) {
  return f(caf::meta::type_name("section_layout"), x.kind, x.rows, x.seats_per_row,
           x.capacity);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, section_info& x) {
  return f(caf::meta::type_name("section_info"), x.id, x.name, x.layout, x.price_cents);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_info& x) {
  return f(caf::meta::type_name("event_info"), x.id, x.title, x.description, x.venue,
           x.starts_at, x.max_tickets_per_customer, x.status, x.sections);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_record& x) {
  return f(caf::meta::type_name("hold_record"), x.id, x.customer, x.seats, x.quantity,
           x.created_at, x.expires_at);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_record& x) {
  return f(caf::meta::type_name("order_record"), x.id, x.customer, x.from_hold, x.seats,
           x.quantity, x.created_at);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, section_snapshot& x) {
  return f(caf::meta::type_name("section_snapshot"), x.info, x.holds, x.orders,
           x.cancelled_orders, x.next_hold_id, x.next_order_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_settings& x) {
  return f(caf::meta::type_name("queue_settings"), x.mode, x.prequeue_at, x.opens_at,
           x.rate_per_s, x.active_max, x.pass_ttl_s, x.queue_length_max, x.paused, x.seed,
           x.seed_hash, x.drawn);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_entry& x) {
  return f(caf::meta::type_name("queue_entry"), x.id, x.customer, x.secret, x.joined_at,
           x.state, x.rank, x.admitted_at, x.pass_expires_at, x.ended_at);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_snapshot& x) {
  return f(caf::meta::type_name("event_snapshot"), x.info, x.sections, x.queue,
           x.queue_entries);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, customer_delta& x) {
  return f(caf::meta::type_name("customer_delta"), x.customer, x.holds, x.tickets);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, section_stats& x) {
  return f(caf::meta::type_name("section_stats"), x.section, x.capacity, x.free, x.held,
           x.sold, x.live_holds, x.orders, x.holds_expiring_60s);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, answer_key& x) {
  return f(caf::meta::type_name("answer_key"), x.scope, x.key, x.fingerprint);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_request& x) {
  return f(caf::meta::type_name("hold_request"), x.event, x.section, x.customer, x.seats,
           x.quantity, x.answer, x.pass);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_query& x) {
  return f(caf::meta::type_name("hold_query"), x.ref, x.customer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, extend_request& x) {
  return f(caf::meta::type_name("extend_request"), x.ref, x.customer, x.answer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, release_request& x) {
  return f(caf::meta::type_name("release_request"), x.ref, x.customer, x.answer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, purchase_request& x) {
  return f(caf::meta::type_name("purchase_request"), x.ref, x.customer, x.answer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cancel_request& x) {
  return f(caf::meta::type_name("cancel_request"), x.ref, x.customer, x.answer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_map_request& x) {
  return f(caf::meta::type_name("seat_map_request"), x.event, x.section, x.include_drafts);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stats_request& x) {
  return f(caf::meta::type_name("stats_request"), x.event, x.section);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_request& x) {
  return f(caf::meta::type_name("event_request"), x.event, x.include_drafts);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hold_info& x) {
  return f(caf::meta::type_name("hold_info"), x.ref, x.customer, x.seats, x.quantity,
           x.total_cents, x.created_at, x.expires_at);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order_info& x) {
  return f(caf::meta::type_name("order_info"), x.ref, x.customer, x.from_hold, x.seats,
           x.quantity, x.total_cents, x.created_at);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, seat_map& x) {
  return f(caf::meta::type_name("seat_map"), x.event, x.section, x.seats, x.stats);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_view& x) {
  return f(caf::meta::type_name("event_view"), x.info, x.sections, x.queue);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_ref& x) {
  return f(caf::meta::type_name("queue_ref"), x.event, x.entry, x.secret);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_join_request& x) {
  return f(caf::meta::type_name("queue_join_request"), x.event, x.customer, x.answer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_status_request& x) {
  return f(caf::meta::type_name("queue_status_request"), x.ref);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_leave_request& x) {
  return f(caf::meta::type_name("queue_leave_request"), x.ref);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_status& x) {
  return f(caf::meta::type_name("queue_status"), x.event, x.entry, x.position, x.ahead, x.eta_s,
           x.sold_out, x.pass, x.refresh_after_s, x.fresh);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_settings_request& x) {
  return f(caf::meta::type_name("queue_settings_request"), x.event, x.fields, x.settings,
           x.answer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_settings_query& x) {
  return f(caf::meta::type_name("queue_settings_query"), x.event);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, queue_room_status& x) {
  return f(caf::meta::type_name("queue_room_status"), x.event, x.settings, x.pre_queue,
           x.waiting, x.admitted, x.admitted_total, x.sold_out);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_event_request& x) {
  return f(caf::meta::type_name("create_event_request"), x.title, x.description, x.venue,
           x.starts_at, x.max_tickets_per_customer, x.answer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, set_status_request& x) {
  return f(caf::meta::type_name("set_status_request"), x.event, x.status);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, edit_event_request& x) {
  return f(caf::meta::type_name("edit_event_request"), x.event, x.fields, x.title,
           x.description, x.venue, x.starts_at, x.max_tickets_per_customer, x.status,
           x.answer);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, add_section_request& x) {
  return f(caf::meta::type_name("add_section_request"), x.event, x.name, x.layout,
           x.price_cents, x.answer);
}

} // namespace boxoffice
