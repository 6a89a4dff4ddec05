#include "sim/sim_store.h"

#include <algorithm>
#include <set>

namespace boxoffice::sim {

namespace {

template <class... Fs>
struct overloaded : Fs... { using Fs::operator()...; };
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

std::string hold_name(event_id e, section_id s, hold_id h) {
  return "hold " + std::to_string(e) + "-" + std::to_string(s) + "-" + std::to_string(h);
}

} // namespace

void sim_db::violated(const std::string& what) const {
  if (observer.violated)
    observer.violated(what);
}

const stored_section* sim_db::section(event_id e, section_id s) const {
  auto ev = events.find(e);
  if (ev == events.end())
    return nullptr;
  auto sec = ev->second.sections.find(s);
  return sec == ev->second.sections.end() ? nullptr : &sec->second;
}

uint32_t sim_db::held_alive(const stored_section& s, timestamp_ms now) const {
  uint32_t n = 0;
  for (const auto& [id, quantity] : s.live)
    if (s.holds.at(id).rec.expires_at > now)
      n += quantity;
  return n;
}

std::pair<uint32_t, uint32_t> sim_db::usage(event_id e, customer_id c, timestamp_ms now) const {
  uint32_t tickets = 0, holds = 0;
  auto ev = events.find(e);
  if (ev == events.end())
    return {0, 0};
  auto books = ev->second.customers.find(c);
  if (books == ev->second.customers.end())
    return {0, 0};
  tickets = books->second.sold;
  for (auto [sid, hid] : books->second.holds) {
    const auto& h = ev->second.sections.at(sid).holds.at(hid);
    if (h.rec.expires_at > now) {
      tickets += h.rec.quantity;
      ++holds;
    }
  }
  return {tickets, holds};
}

void sim_db::apply(const std::vector<change>& batch) {
  // As the database's idempotency_keys (idempotency_insert_once): a key with
  // an answer refuses the batch, before anything of it is applied; the
  // journal then commits its writes one by one, refusing only that one.
  std::set<std::pair<customer_id, std::string>> keys;
  for (const auto& c : batch)
    if (const auto* x = std::get_if<answer_saved>(&c)) {
      auto k = std::make_pair(x->key.scope, x->key.key);
      if (answers.count(k) || !keys.insert(k).second) {
        ++refused_answers;
        throw store_error{store_error::kind::conflict, "the Idempotency-Key has another answer"};
      }
    }
  // A conflict ends the run (the observer is told), so a batch that throws
  // half-way is never looked at again: no copy for all-or-nothing is needed.
  for (const auto& c : batch)
    apply_one(c);
  ++commits;
  if (observer.applied)
    for (const auto& c : batch)
      observer.applied(c);
}

void sim_db::end_live(stored_event& ev, stored_section& s, stored_hold& h, hold_end why) {
  h.live = false;
  h.why = why;
  s.live.erase(h.rec.id);
  auto& mine = ev.customers[h.rec.customer].holds;
  mine.erase(std::remove(mine.begin(), mine.end(), std::make_pair(s.info.id, h.rec.id)),
             mine.end());
}

void sim_db::apply_one(const change& c) {
  auto& evs = events;
  auto find = [&](event_id e, section_id s) -> stored_section* {
    auto ev = evs.find(e);
    if (ev == evs.end())
      return nullptr;
    auto sec = ev->second.sections.find(s);
    return sec == ev->second.sections.end() ? nullptr : &sec->second;
  };
  std::visit(
    overloaded{
      [&](const event_saved& x) {
        auto& ev = evs[x.info.id];
        ev.info = x.info;
        ev.info.sections.clear();
      },
      [&](const section_added& x) {
        auto& ev = evs.at(x.event);
        if (ev.sections.count(x.section.id))
          violated("section " + std::to_string(x.section.id) + " added twice");
        auto& s = ev.sections[x.section.id];
        s.info = x.section;
        if (x.section.layout.kind == section_kind::reserved) {
          s.seat_order.assign(x.section.layout.capacity, 0);
          s.seat_hold.assign(x.section.layout.capacity, 0);
        }
      },
      [&](const hold_placed& x) {
        auto* s = find(x.event, x.section);
        if (!s)
          return violated("hold_placed for an unknown section");
        const auto& h = x.hold;
        if (s->holds.count(h.id))
          violated(hold_name(x.event, x.section, h.id) + " placed twice");
        for (auto seat : h.seats)
          if (seat >= s->seat_order.size() || s->seat_order[seat] != 0)
            violated("seat " + std::to_string(seat) + " held while sold, by " +
                     hold_name(x.event, x.section, h.id));
        // Another live hold on one of these seats, alive when this one was made.
        for (auto seat : h.seats) {
          if (seat >= s->seat_hold.size())
            continue;
          auto other = s->holds.find(s->seat_hold[seat]);
          if (other != s->holds.end() &&
              (other->second.why == hold_end::expired ||
               (other->second.live && other->second.rec.expires_at <= h.created_at)))
            ++expired_then_held;
          if (other != s->holds.end() && other->second.live &&
              other->second.rec.expires_at > h.created_at)
            violated("seat " + std::to_string(seat) + " in two live holds: " +
                     hold_name(x.event, x.section, other->first) + " and " +
                     std::to_string(h.id));
          s->seat_hold[seat] = h.id;
        }
        if (s->info.layout.kind == section_kind::general &&
            held_alive(*s, h.created_at) + s->sold + h.quantity > s->info.layout.capacity)
          violated("section " + std::to_string(x.section) + ": held + sold > capacity");
        s->holds[h.id] = stored_hold{h};
        s->live[h.id] = h.quantity;
        auto& ev = evs.at(x.event);
        ev.customers[h.customer].holds.emplace_back(x.section, h.id);
        auto [tickets, holds] = usage(x.event, h.customer, h.created_at);
        if (tickets > ev.info.max_tickets_per_customer)
          violated("customer " + std::to_string(h.customer) + " over max_tickets_per_customer: " +
                   std::to_string(tickets));
        (void)holds;
      },
      [&](const hold_extended& x) {
        auto* s = find(x.event, x.section);
        auto i = s ? s->holds.find(x.hold) : decltype(s->holds.end()){};
        if (!s || i == s->holds.end() || !i->second.live)
          return violated(hold_name(x.event, x.section, x.hold) + " extended while not live");
        i->second.rec.expires_at = x.expires_at;
      },
      [&](const hold_ended& x) {
        auto* s = find(x.event, x.section);
        if (!s)
          return violated("hold_ended for an unknown section");
        auto i = s->holds.find(x.hold);
        if (i == s->holds.end()) {
          if (observer.violated && x.why == hold_end::expired)
            return;  // judged by the simulator (a hold whose commit failed may expire first)
          return violated(hold_name(x.event, x.section, x.hold) + " released but never stored");
        }
        if (!i->second.live) {
          // An expiry recorded again after recovery is harmless; anything else is not.
          if (x.why == hold_end::expired && i->second.why == hold_end::expired)
            return;
          return violated(hold_name(x.event, x.section, x.hold) + " ended twice");
        }
        if (x.why == hold_end::expired && x.at < i->second.rec.expires_at)
          violated(hold_name(x.event, x.section, x.hold) + " expired before its deadline");
        end_live(evs.at(x.event), *s, i->second, x.why);
      },
      [&](const order_placed& x) {
        auto* s = find(x.event, x.section);
        if (!s)
          return violated("order_placed for an unknown section");
        const auto& o = x.order;
        auto h = s->holds.find(o.from_hold);
        if (h == s->holds.end() || !h->second.live)
          violated("order " + std::to_string(o.id) + " from " +
                   hold_name(x.event, x.section, o.from_hold) + ", which is not live");
        else if (o.created_at >= h->second.rec.expires_at)
          violated("order " + std::to_string(o.id) + " bought " +
                   hold_name(x.event, x.section, o.from_hold) + " past its deadline");
        else if (h->second.rec.seats != o.seats || h->second.rec.quantity != o.quantity)
          violated("order " + std::to_string(o.id) + " has other seats than its hold");
        if (s->orders.count(o.id))
          violated("order " + std::to_string(o.id) + " placed twice");
        for (auto seat : o.seats) {
          if (seat >= s->seat_order.size())
            continue;
          if (s->seat_order[seat] != 0) {
            violated("seat " + std::to_string(seat) + " sold twice (orders " +
                     std::to_string(s->seat_order[seat]) + " and " + std::to_string(o.id) + ")");
            throw store_error{store_error::kind::conflict, "seat sold twice"};
          }
          s->seat_order[seat] = o.id;
        }
        auto& ev = evs.at(x.event);
        if (h != s->holds.end() && h->second.live)
          end_live(ev, *s, h->second, hold_end::purchased);
        ev.customers[o.customer].sold += o.quantity;
        s->orders[o.id] = stored_order{o};
        s->sold += o.quantity;
        if (s->sold > s->info.layout.capacity)
          violated("section " + std::to_string(x.section) + ": sold > capacity");
      },
      [&](const order_cancelled& x) {
        auto* s = find(x.event, x.section);
        auto i = s ? s->orders.find(x.order) : decltype(s->orders.end()){};
        if (!s || i == s->orders.end() || i->second.cancelled)
          return violated("order " + std::to_string(x.order) + " cancelled twice or unknown");
        i->second.cancelled = true;
        for (auto seat : i->second.rec.seats)
          if (seat < s->seat_order.size())
            s->seat_order[seat] = 0;
        s->sold -= i->second.rec.quantity;
        evs.at(x.event).customers[i->second.rec.customer].sold -= i->second.rec.quantity;
      },
      [&](const answer_saved& x) {
        auto k = std::make_pair(x.key.scope, x.key.key);
        if (answers.count(k))
          violated("Idempotency-Key " + x.key.key + " answered twice (two effects)");
        answers[k] = x;
      },
      [&](const queue_saved& x) {
        auto ev = evs.find(x.event);
        if (ev == evs.end())
          return violated("queue settings for an unknown event");
        ev->second.queue = x.settings;
      },
      [&](const queue_entry_saved& x) {
        auto ev = evs.find(x.event);
        if (ev == evs.end())
          return violated("queue entry for an unknown event");
        auto& entries = ev->second.queue_entries;
        auto i = entries.find(x.entry.id);
        if (i == entries.end()) {
          entries.emplace(x.entry.id, x.entry);
          return;
        }
        // As the SQL upsert: who joined, and when, never change.
        auto& e = i->second;
        if (e.customer != x.entry.customer || e.secret != x.entry.secret)
          violated("queue entry " + std::to_string(x.entry.id) + " rewritten for another customer");
        e.state = x.entry.state;
        e.rank = x.entry.rank;
        e.admitted_at = x.entry.admitted_at;
        e.pass_expires_at = x.entry.pass_expires_at;
        e.ended_at = x.entry.ended_at;
      },
    },
    c);
}

std::optional<event_snapshot> sim_db::load(event_id id) const {
  auto ev = events.find(id);
  if (ev == events.end())
    return std::nullopt;
  event_snapshot snap;
  snap.info = ev->second.info;
  for (const auto& [sid, s] : ev->second.sections) {
    snap.info.sections.push_back(s.info);
    section_snapshot sec{s.info, {}, {}, {}, 1, 1};
    for (const auto& [hid, h] : s.holds) {
      if (h.live)
        sec.holds.push_back(h.rec);
      sec.next_hold_id = std::max(sec.next_hold_id, hid + 1);
    }
    for (const auto& [oid, o] : s.orders) {
      if (o.cancelled) {
        auto rec = o.rec;
        rec.seats.clear();
        sec.cancelled_orders.push_back(rec);
      } else {
        sec.orders.push_back(o.rec);
      }
      sec.next_order_id = std::max(sec.next_order_id, oid + 1);
    }
    snap.sections.push_back(std::move(sec));
  }
  snap.queue = ev->second.queue;
  for (const auto& [eid, e] : ev->second.queue_entries)
    snap.queue_entries.push_back(e);
  return snap;
}

void sim_store::check_outage() {
  if (epoch_ != db_.live_epoch)
    throw store_error{store_error::kind::unavailable, "the node of this connection died"};
  if (db_.observer.now && db_.outage(db_.observer.now()))
    throw store_error{store_error::kind::unavailable, "simulated outage"};
}

void sim_store::apply(const std::vector<change>& batch) {
  if (epoch_ != db_.live_epoch)
    throw store_error{store_error::kind::unavailable, "the node of this connection died"};
  bool down = db_.observer.now && db_.outage(db_.observer.now());
  if (down || (db_.faults.fail_commit && db_.faults.fail_commit())) {
    ++db_.failed_commits;
    if (db_.observer.failed)
      db_.observer.failed(batch);
    throw store_error{store_error::kind::unavailable,
                      down ? "simulated outage" : "simulated commit failure"};
  }
  db_.apply(batch);
}

std::vector<event_id> sim_store::event_ids() {
  check_outage();
  std::vector<event_id> ids;
  for (const auto& [id, ev] : db_.events)
    ids.push_back(id);
  return ids;
}

std::optional<event_snapshot> sim_store::load_event(event_id id) {
  check_outage();
  return db_.load(id);
}

} // namespace boxoffice::sim
