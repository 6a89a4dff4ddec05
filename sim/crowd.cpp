// The crowd: each customer's plan, the requests it makes, and the judgement
// of every answer against what the store holds and what a sequential model
// of that customer's own operations says it must be.
#include "sim/world.h"

#include "actors/answer_codec.h"
#include "actors/seat_labels.h"

namespace boxoffice::sim {

namespace {

bool transient(errc e) {
  return e == errc::storage_unavailable || e == errc::overloaded || e == errc::storage_conflict;
}

const char* name_of(op_kind k) {
  switch (k) {
    case op_kind::hold: return "hold";
    case op_kind::extend: return "extend";
    case op_kind::release: return "release";
    case op_kind::purchase: return "purchase";
    case op_kind::cancel: return "cancel";
  }
  return "?";
}

template <class T>
size_t weighted(std::mt19937_64& rng, std::initializer_list<T> weights) {
  std::discrete_distribution<size_t> d(weights);
  return d(rng);
}

std::string who(const customer& c) { return "customer " + std::to_string(c.id); }

} // namespace

void simulation::impl::populate() {
  const auto& b = sc.behaviour;
  sale_end = now() + int64_t{sc.sale_s} * 1000;
  crowd.resize(sc.customers);
  for (uint32_t i = 0; i < sc.customers; ++i) {
    auto& c = crowd[i];
    c.id = i + 1;
    c.how = static_cast<customer::pick>(weighted(
      rng, {reserved.empty() ? 0 : b.named, reserved.empty() ? 0 : b.best,
            general.empty() ? 0 : b.general}));
    c.plan = static_cast<customer::fate>(
      weighted(rng, {b.abandon, b.release, b.extend, b.buy, b.cancel, b.late}));
    c.want = static_cast<uint32_t>(draw(1, std::max<uint32_t>(b.quantity_max, 1)));
    auto u = std::uniform_real_distribution<double>(0, 1)(rng);
    double share = sc.arrival == "burst" ? u * u * u * u : u;
    at(now() + static_cast<timestamp_ms>(share * sc.sale_s * 1000), [this, i] { act(crowd[i]); });
  }
  const auto& f = sc.faults;
  if (f.outage_s > 0) {
    db.faults.outage_from = now() + int64_t{f.outage_at_s} * 1000;
    db.faults.outage_to = db.faults.outage_from + int64_t{f.outage_s} * 1000;
  }
  for (uint32_t i = 0; i < f.node_crashes; ++i)
    at(now() + static_cast<timestamp_ms>(draw(1, sc.sale_s * 1000)), [this] {
      if (!faults_on)
        return;
      ++res.cov.node_crashes;
      crash_node("node crash");
    });
  for (uint32_t i = 0; i < f.actor_crashes; ++i)
    at(now() + static_cast<timestamp_ms>(draw(1, sc.sale_s * 1000)), [this] {
      // One actor dies (an exception in a handler would end it so); the
      // directory loads its event again on the next request.
      auto targets = model.crash_targets();
      if (!faults_on || targets.empty())
        return;
      auto target = caf::actor_cast<caf::actor>(targets[draw(0, targets.size() - 1)]);
      if (!target)
        return;
      ++res.cov.actor_crashes;
      note("*** actor #" + std::to_string(target.id()) + " crashes; the node runs on");
      mix(0xac7);
      caf::anon_send_exit(target, caf::exit_reason::kill);
    });
  for (uint32_t i = 0; i < f.clock_jumps; ++i)
    at(now() + static_cast<timestamp_ms>(draw(1, sc.sale_s * 1000)), [this] {
      if (!faults_on)
        return;
      auto ms = draw(1000, std::max<uint64_t>(sc.faults.clock_jump_s_max, 1) * 1000);
      ++res.cov.clock_jumps;
      note("*** the clock jumps " + std::to_string(ms) + " ms");
      last_jump = now() + static_cast<timestamp_ms>(ms);
      sched.clock().advance_time(std::chrono::milliseconds{ms});
    });
  for (timestamp_ms t = now() + 10'000; t < sale_end; t += 10'000)
    at(t, [this] { check_books(false); });
  at(sale_end, [this] {
    // The quiet phase: faults off, nobody new; what is under way finishes.
    note("*** sale ends: faults off");
    faults_on = false;
    db.faults.outage_to = 0;
  });
}

void simulation::impl::think(customer& c) {
  auto idx = static_cast<size_t>(&c - crowd.data());
  if (c.plan == customer::fate::late && c.hold) {  // a race with the deadline
    at(c.hold->expires_at - static_cast<timestamp_ms>(draw(0, 5)), [this, idx] { act(crowd[idx]); });
    return;
  }
  auto ms = draw(0, std::max<uint64_t>(sc.behaviour.think_s_max, 1) * 1000);
  at(now() + static_cast<timestamp_ms>(ms), [this, idx] { act(crowd[idx]); });
}

void simulation::impl::act(customer& c) {
  if (c.done)
    return;
  if (now() >= sale_end) {
    c.done = true;
    return;
  }
  if (c.hold) {
    switch (c.plan) {
      case customer::fate::abandon: c.done = true; return;
      case customer::fate::release: return send(c, op_kind::release, true);
      case customer::fate::extend:
        return send(c, c.extended ? op_kind::purchase : op_kind::extend, true);
      default: return send(c, op_kind::purchase, true);
    }
  }
  if (c.order) {
    if (c.plan == customer::fate::cancel)
      return send(c, op_kind::cancel, true);
    c.done = true;
    return;
  }
  // A new hold: named seats, best available, or general admission.
  hold_request req{event, 0, c.id, {}, 0, {}, {}};
  if (c.how == customer::pick::general) {
    req.section = general[draw(0, general.size() - 1)].id;
    req.quantity = static_cast<int32_t>(c.want);
  } else {
    const auto& s = reserved[draw(0, reserved.size() - 1)];
    req.section = s.id;
    if (c.how == customer::pick::named) {
      auto per_row = s.layout.seats_per_row;
      auto n = std::min(c.want, per_row);
      auto row = draw(0, s.layout.rows - 1);
      auto first = draw(0, per_row - n);
      for (uint32_t k = 0; k < n; ++k)
        req.seats.push_back(seat_label(s.layout, static_cast<uint32_t>(row * per_row + first + k)));
    } else {
      req.quantity = static_cast<int32_t>(c.want);
    }
  }
  c.section = req.section;
  c.hold_req = std::move(req);
  send(c, op_kind::hold, true);
}

void simulation::impl::send(customer& c, op_kind kind, bool new_key) {
  if (new_key && sc.ops_max && res.ops >= sc.ops_max) {  // a shrunk run: no more requests
    c.done = true;
    return;
  }
  if (new_key) {
    ++res.ops;
    c.kind = kind;
    c.key = answer_key{c.id, "c" + std::to_string(c.id) + "-" + std::to_string(++c.next_key),
                       name_of(kind)};
    c.late_refusal.reset();
  }
  ++c.attempt;
  c.in_server = true;
  c.gave_up = false;
  auto idx = static_cast<size_t>(&c - crowd.data());
  auto attempt = c.attempt;
  std::function<void(caf::expected<hold_info>&, caf::actor_id)> on_hold =
    [this, idx, attempt](caf::expected<hold_info>& r, caf::actor_id client) {
      answered(crowd[idx], attempt, r, client);
    };
  std::function<void(caf::expected<order_info>&, caf::actor_id)> on_order =
    [this, idx, attempt](caf::expected<order_info>& r, caf::actor_id client) {
      answered(crowd[idx], attempt, r, client);
    };
  // As the HTTP layer serves a keyed write: the client gets 503 at the
  // gateway's timeout (give_up), the key stays in use (in_server) until the
  // actors' own answer, awaited for keyed_write_timeout_ms.
  constexpr auto wait = keyed_write_timeout_ms;
  switch (kind) {
    case op_kind::hold: {
      auto req = c.hold_req;
      req.answer = c.key;
      ask<hold_info>(std::move(req), on_hold, wait);
      break;
    }
    case op_kind::extend:
      ask<hold_info>(extend_request{c.hold->ref, c.id, c.key}, on_hold, wait);
      break;
    case op_kind::release:
      ask<hold_info>(release_request{c.hold->ref, c.id, c.key}, on_hold, wait);
      break;
    case op_kind::purchase:
      ask<order_info>(purchase_request{c.hold->ref, c.id, c.key}, on_order, wait);
      break;
    case op_kind::cancel:
      ask<order_info>(cancel_request{c.order->ref, c.id, c.key}, on_order, wait);
      break;
  }
  at(now() + gateway_timeout_ms, [this, idx, attempt] { give_up(crowd[idx], attempt); });
  if (faults_on && sc.faults.client_timeout_ms > 0)
    at(now() + sc.faults.client_timeout_ms, [this, idx, attempt] { give_up(crowd[idx], attempt); });
}

void simulation::impl::give_up(customer& c, uint32_t attempt) {
  if (attempt != c.attempt || !c.in_server || c.gave_up || c.done)
    return;
  c.gave_up = true;
  ++res.cov.client_timeouts;
  auto idx = static_cast<size_t>(&c - crowd.data());
  at(now() + static_cast<timestamp_ms>(draw(100, 2000)), [this, idx] { retry(crowd[idx]); });
}

// A retry with the same Idempotency-Key, as the HTTP layer serves it: 409
// while the first still runs, the kept answer if there is one, else again.
// These three rules restate http/idempotency.cpp's keeper, which the
// simulator does not run: it reads its keys from the SQL database through
// account_store and times its leases with the system clock, so it would
// need an injectable store and clock first (a follow-up). The
// kept answer itself comes from the store the real journal wrote, decoded
// by the real answer_codec, and is judged by the reference model.
void simulation::impl::retry(customer& c) {
  if (c.done)
    return;
  auto idx = static_cast<size_t>(&c - crowd.data());
  if (c.in_server) {
    at(now() + static_cast<timestamp_ms>(draw(100, 1000)), [this, idx] { retry(crowd[idx]); });
    return;
  }
  auto kept = db.answers.find({c.id, c.key.key});
  if (kept != db.answers.end()) {
    ++res.cov.idempotent_retry;
    mix(0x1de4);
    c.gave_up = false;
    if (c.kind == op_kind::purchase || c.kind == op_kind::cancel) {
      auto o = decode_answer<order_info>(kept->second.reply);
      if (!o)
        return fail(who(c) + ": the kept answer does not decode");
      if (auto bad = model.replayed(c.id, c.key.key, nullptr, &*o); !bad.empty())
        return fail(who(c) + ": the kept answer of " + name_of(c.kind) + " is " + bad);
      caf::expected<order_info> x{std::move(*o)};
      return answered(c, c.attempt, x, 0);
    }
    auto h = decode_answer<hold_info>(kept->second.reply);
    if (!h)
      return fail(who(c) + ": the kept answer does not decode");
    if (auto bad = model.replayed(c.id, c.key.key, &*h, nullptr); !bad.empty())
      return fail(who(c) + ": the kept answer of " + name_of(c.kind) + " is " + bad);
    caf::expected<hold_info> x{std::move(*h)};
    return answered(c, c.attempt, x, 0);
  }
  if (c.late_refusal)
    return refused(c, *c.late_refusal);
  send(c, c.kind, false);
}

template <class Reply>
void simulation::impl::answered(customer& c, uint32_t attempt, caf::expected<Reply>& r,
                                caf::actor_id client) {
  // Every reply of the actors against the reference model (a replay from
  // the store, client 0, was judged in retry).
  if (client != 0)
    if (auto bad = model.reply(client, r); !bad.empty())
      return fail(who(c) + ": " + name_of(c.kind) + " " + bad);
  bool current = attempt == c.attempt && !c.gave_up && !c.done;
  if (attempt == c.attempt)
    c.in_server = false;
  auto code = r ? std::optional<errc>{} : to_errc(r.error());
  mix(c.id * 8 + static_cast<uint64_t>(c.kind));
  mix(r ? 0 : code ? static_cast<uint64_t>(*code) : 0xff);
  if (r) {
    if constexpr (std::is_same_v<Reply, hold_info>)
      check_durable(c, c.kind, &*r, nullptr);
    else
      check_durable(c, c.kind, nullptr, &*r);
    if (current)
      succeeded(c, *r);
    return;
  }
  if (code && !transient(*code)) {
    ++res.refusals;
    // An attempt that ran beside the first (the client gave up on it, and
    // it outlived keyed_write_timeout_ms) is refused while the first
    // committed: the keeper then answers the committed answer (finish), and
    // the journal refused this attempt's own answer with its change.
    if (db.answers.count({c.id, c.key.key})) {
      if (current)
        retry(c);
      return;
    }
    if (current)
      refused(c, *code);
    else if (attempt == c.attempt)
      c.late_refusal = code;
    return;
  }
  if (code == errc::storage_unavailable && db.failed_commits > 0)
    ++res.cov.commit_failure_undone;
  if (current) {
    auto idx = static_cast<size_t>(&c - crowd.data());
    at(now() + static_cast<timestamp_ms>(draw(50, 2000)), [this, idx] { retry(crowd[idx]); });
  }
}

template void simulation::impl::answered<hold_info>(customer&, uint32_t,
                                                    caf::expected<hold_info>&, caf::actor_id);
template void simulation::impl::answered<order_info>(customer&, uint32_t,
                                                     caf::expected<order_info>&, caf::actor_id);

// Every acknowledged change must be in the store when its answer arrives.
void simulation::impl::check_durable(customer& c, op_kind kind, const hold_info* h,
                                     const order_info* o) {
  auto* s = db.section(event, h ? h->ref.section : o->ref.section);
  if (!s)
    return fail(who(c) + ": acknowledged " + name_of(kind) + " in a section the store lacks");
  auto what = who(c) + ": acknowledged " + name_of(kind) + " of ";
  if (h) {
    auto i = s->holds.find(h->ref.hold);
    if (i == s->holds.end())
      return fail(what + "hold " + std::to_string(h->ref.hold) + " is not in the store");
    if (kind == op_kind::release && i->second.live)
      return fail(what + "hold " + std::to_string(h->ref.hold) + ": still live in the store");
    if (kind == op_kind::extend && i->second.live && i->second.rec.expires_at < h->expires_at)
      return fail(what + "hold " + std::to_string(h->ref.hold) + ": the store has an earlier deadline");
    return;
  }
  auto i = s->orders.find(o->ref.order);
  if (i == s->orders.end())
    return fail(what + "order " + std::to_string(o->ref.order) + " is not in the store");
  if (kind == op_kind::cancel && !i->second.cancelled)
    return fail(what + "order " + std::to_string(o->ref.order) + ": not cancelled in the store");
}

// The reply against the sequential model of this customer's operations.
void simulation::impl::succeeded(customer& c, const hold_info& h) {
  auto bad = [&](const std::string& what) {
    fail(who(c) + ": " + name_of(c.kind) + " answered " + what);
  };
  if (h.customer != c.id)
    return bad("another customer's hold");
  switch (c.kind) {
    case op_kind::hold: {
      auto asked = c.hold_req.seats.empty() ? static_cast<uint32_t>(c.hold_req.quantity)
                                            : static_cast<uint32_t>(c.hold_req.seats.size());
      if (h.quantity != asked)
        return bad(std::to_string(h.quantity) + " seats for " + std::to_string(asked));
      if (!c.hold_req.seats.empty() && h.seats != c.hold_req.seats)
        return bad("other seats than named");
      if (h.expires_at - h.created_at != int64_t{sc.limits.hold_ttl_s} * 1000)
        return bad("a deadline other than hold_ttl_s");
      if (h.expires_at <= h.created_at)
        return bad("a hold that expires before it was made");
      c.hold = h;
      return think(c);
    }
    case op_kind::extend:
      if (!c.hold || h.ref.hold != c.hold->ref.hold)
        return bad("another hold");
      if (h.expires_at < c.hold->expires_at ||
          h.expires_at > h.created_at + int64_t{sc.limits.hold_max_lifetime_s} * 1000)
        return bad("a deadline that shrank or passed hold_max_lifetime_s");
      c.hold = h;
      c.extended = true;
      return think(c);
    case op_kind::release:
      c.hold.reset();
      c.done = true;
      return;
    default: return bad("a hold to an order request");
  }
}

void simulation::impl::succeeded(customer& c, const order_info& o) {
  auto bad = [&](const std::string& what) {
    fail(who(c) + ": " + name_of(c.kind) + " answered " + what);
  };
  if (o.customer != c.id)
    return bad("another customer's order");
  if (c.kind == op_kind::purchase) {
    if (!c.hold || o.from_hold.hold != c.hold->ref.hold || o.seats != c.hold->seats ||
        o.quantity != c.hold->quantity)
      return bad("an order that is not the hold bought");
    if (o.created_at >= c.hold->expires_at)
      return bad("an order made after the hold's deadline");
    c.order = o;
    c.hold.reset();
    return think(c);
  }
  if (c.kind == op_kind::cancel) {
    if (!c.order || o.ref.order != c.order->ref.order)
      return bad("another order");
    c.order.reset();
    c.done = true;
    return;
  }
  bad("an order to a hold request");
}

void simulation::impl::refused(customer& c, errc why) {
  auto* s = db.section(event, c.section);
  if (s && s->sold == s->info.layout.capacity)
    ++res.cov.sold_out;
  bool again = ++c.tries <= sc.behaviour.retries_max;
  switch (why) {
    case errc::seat_unavailable:
    case errc::not_enough_seats:
      if (c.how == customer::pick::named)
        c.how = customer::pick::best;
      else if (why == errc::not_enough_seats && c.want > 1)
        --c.want;
      break;
    case errc::hold_expired:
    case errc::hold_released:
    case errc::hold_not_found:
      c.hold.reset();
      break;
    case errc::hold_lifetime_exceeded:
      c.extended = true;
      again = true;
      break;
    default:
      again = false;
  }
  if (!again) {
    c.done = true;
    return;
  }
  think(c);
}

} // namespace boxoffice::sim
