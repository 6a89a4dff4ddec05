// What the journal writes: one record per acknowledged change, produced by
// the event and section actors and committed in batches. Plain C++; the SQL
// that stores them lives in persistence/.
#pragma once

#include "actors/domain.h"

#include <string>
#include <variant>
#include <vector>

namespace boxoffice {

// An event was created or its metadata or sale status changed. Sections are
// not part of it (see section_added).
struct event_saved {
  event_info info;
};

struct section_added {
  event_id event = 0;
  section_info section;
};

struct hold_placed {
  event_id event = 0;
  section_id section = 0;
  hold_record hold;
};

struct hold_extended {
  event_id event = 0;
  section_id section = 0;
  hold_id hold = 0;
  timestamp_ms expires_at = 0;
};

// Released or expired; a purchased hold ends through order_placed.
struct hold_ended {
  event_id event = 0;
  section_id section = 0;
  hold_id hold = 0;
  hold_end why = hold_end::released;
  timestamp_ms at = 0;
};

// Ends order.from_hold as purchased and issues one ticket per seat (per unit
// of quantity in general admission).
struct order_placed {
  event_id event = 0;
  section_id section = 0;
  order_record order;
  int64_t total_cents = 0;
};

// Returns the order's tickets (their seats may be sold again).
struct order_cancelled {
  event_id event = 0;
  section_id section = 0;
  order_id order = 0;
  timestamp_ms at = 0;
};

// Which keyed request (Idempotency-Key, per caller) a write answers; an
// empty key: the request had none.
struct answer_key {
  customer_id scope = 0;  // the caller's account id, 0 without a token
  std::string key;
  std::string fingerprint;  // what makes a repeat "the same request"
};

// The answer to a keyed write, committed in the same transaction as the
// change it answers: a crash after the commit cannot lose it, so a retry
// gets this answer instead of a second change. reply: the actors' reply
// (hold_info or order_info) as encode_answer (actors/answer_codec.h)
// writes it; the HTTP layer renders it again for a repeat.
struct answer_saved {
  answer_key key;
  std::string reply;
  timestamp_ms at = 0;
};

// The waiting room's settings (issue 15), lottery seed included.
struct queue_saved {
  event_id event = 0;
  queue_settings settings;
};

// A queue entry as it is now: joined, drawn, admitted, used, left, expired.
struct queue_entry_saved {
  event_id event = 0;
  queue_entry entry;
};

using change = std::variant<event_saved, section_added, hold_placed, hold_extended, hold_ended,
                            order_placed, order_cancelled, answer_saved, queue_saved,
                            queue_entry_saved>;

// Under which ownership of its event a write was made (cluster mode): this
// node's incarnation and the epoch it took the event at. The journal's
// commit refuses the write if the node no longer holds that epoch (the
// fence, docs/cluster.md). All zero on a single node: nothing is fenced.
struct ownership {
  int64_t incarnation = 0;
  int64_t epoch = 0;
  bool fenced() const { return epoch != 0; }
};

// Changes that must be durable before their reply; committed all or
// nothing. Every change of one write belongs to `event`.
struct journal_write {
  std::vector<change> changes;
  event_id event = 0;
  ownership owner;
};

} // namespace boxoffice
