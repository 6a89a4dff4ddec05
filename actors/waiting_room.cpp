// The waiting room's line (waiting_room.h): joins, leaves, states and
// positions, skips and graces, the sold-out notice, and the admission
// rounds. The wait estimate is in waiting_room_estimate.cpp, the lottery's
// draw and the passes in waiting_room_crypto.cpp.
#include "actors/waiting_room_forecast.h"

#include <sodium.h>

#include <algorithm>

namespace boxoffice {

using room_detail::in_line;
using room_detail::live;
using room_detail::random_hex;

waiting_room::~waiting_room() = default;
waiting_room::waiting_room(waiting_room&&) noexcept = default;
waiting_room& waiting_room::operator=(waiting_room&&) noexcept = default;

waiting_room::waiting_room(event_id event, waiting_room_limits limits,
                           std::shared_ptr<const pass_keys> keys)
  : event_(event), limits_(limits), keys_(std::move(keys)),
    forecast_(std::make_unique<forecast>()) {}

void waiting_room::restore(queue_settings settings, std::vector<queue_entry> entries,
                           timestamp_ms now) {
  settings_ = std::move(settings);
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  std::vector<std::pair<timestamp_ms, uint64_t>> away;
  for (auto& e : entries) {
    next_entry_ = std::max(next_entry_, e.id + 1);
    next_rank_ = std::max(next_rank_, e.rank + 1);
    auto state = e.state;
    e.state = entry_state::left;  // counted by set_state below
    auto& stored = entries_[e.id] = room_entry(e);
    stored.seen_at = now;
    by_customer_[e.customer] = e.id;
    set_state(stored, state);
    if (state == entry_state::away) {
      stored.skipped_at = e.ended_at;  // its grace runs on from the skip
      away.emplace_back(e.ended_at, e.id);
    }
  }
  // end_graces() reads the skipped in the order of their skips.
  std::sort(away.begin(), away.end());
  forecast_->skipped.assign(away.begin(), away.end());
}

outcome<queue_settings> waiting_room::plan(queue_settings next) const {
  if (next.rate_per_s == 0 || next.rate_per_s > limits_.rate_per_s_max || next.active_max == 0
      || next.pass_ttl_s == 0 || next.pass_ttl_s > limits_.pass_ttl_s_max
      || next.queue_length_max == 0 || next.queue_length_max > limits_.queue_length_max
      || next.prequeue_at < 0 || next.opens_at < 0
      || (next.opens_at && next.prequeue_at > next.opens_at))
    return errc::invalid_queue_settings;
  next.seed = settings_.seed;
  next.seed_hash = settings_.seed_hash;
  next.drawn = settings_.drawn;
  if (next.drawn && next.opens_at != settings_.opens_at)
    return errc::invalid_queue_settings;  // the line is already drawn
  if (next.seed.empty() && next.opens_at != 0) {
    next.seed = random_hex(32);
    next.seed_hash = seed_hash_of(next.seed);
  }
  return next;
}

void waiting_room::configure(queue_settings s) {
  settings_ = std::move(s);
  ++settings_epoch_;  // a settings change: the estimate may move freely once
}

void waiting_room::set_state(room_entry& e, entry_state next) {
  auto bump = [&](entry_state s, int d) {
    if (s == entry_state::pre_queue)
      counts_.pre_queue += d;
    else if (s == entry_state::waiting)
      counts_.waiting += d;
    else if (s == entry_state::admitted)
      counts_.admitted += d;
    else if (s == entry_state::away)
      counts_.away += d;
  };
  if (next == entry_state::abandoned)
    counts_.abandoned += 1;
  // Out of the line before it was told of the sold out: nobody to tell.
  auto& f = *forecast_;
  if (e.tell_epoch && e.tell_epoch == f.sold_out_epoch && f.telling && in_line(e.state)
      && !in_line(next)) {
    e.tell_epoch = 0;
    if (--f.untold == 0) {
      f.report = f.last_told - f.sold_out_at;
      f.telling = false;
    }
  }
  if (e.state == entry_state::waiting && e.rank) {
    line_.erase(e.rank);
    for (auto i = e.rank; i < fenwick_.size(); i += i & (~i + 1))
      fenwick_[i] -= 1;
  }
  if (e.state == entry_state::admitted)
    admitted_.erase(e.customer);
  bump(e.state, -1);
  e.state = next;
  bump(e.state, +1);
  if (next == entry_state::admitted)
    admitted_[e.customer] = e.id;
  if (next == entry_state::waiting && e.rank) {
    line_[e.rank] = e.id;
    if (e.rank >= fenwick_.size()) {
      // Grown by doubling and rebuilt from the line: amortised O(1) per rank.
      fenwick_.assign(std::max<size_t>(64, 2 * (e.rank + 1)), 0);
      for (const auto& [r, id] : line_)
        for (auto i = r; i < fenwick_.size(); i += i & (~i + 1))
          fenwick_[i] += 1;
    } else {
      for (auto i = e.rank; i < fenwick_.size(); i += i & (~i + 1))
        fenwick_[i] += 1;
    }
  }
}

void waiting_room::rank(room_entry& e) {
  e.rank = next_rank_++;
  set_state(e, entry_state::waiting);
}

outcome<waiting_room::joined> waiting_room::join(customer_id customer, timestamp_ms now,
                                                 bool sale_closed) {
  if (!on())
    return errc::queue_off;
  auto i = by_customer_.find(customer);
  std::optional<queue_entry> ended;
  if (i != by_customer_.end()) {
    auto& e = entries_.at(i->second);
    if (e.state == entry_state::away) {
      // Joining again is coming back: within the grace, the same place.
      if (now - e.skipped_at <= int64_t{limits_.return_grace_s} * 1000) {
        e.seen_at = now;
        set_state(e, entry_state::waiting);
        e.ended_at = 0;
        return joined{e, false, {}, true};
      }
    } else if (live(e.state) || e.state == entry_state::used) {
      e.seen_at = now;
      return joined{e, false, {}};
    }
    // Left or expired: a new place at the back (closed stays closed).
    if (e.state == entry_state::closed)
      return errc::queue_closed;
  }
  if (sale_closed)
    return errc::queue_closed;
  if (settings_.prequeue_at && now < settings_.prequeue_at)
    return errc::queue_not_open;
  if (counts_.pre_queue + counts_.waiting >= settings_.queue_length_max)
    return errc::queue_full;
  if (i != by_customer_.end()) {
    // An away entry past its grace ends here, committed with the new one
    // (so that no restart finds two places of one customer).
    auto& old = entries_.at(i->second);
    if (old.state == entry_state::away) {
      set_state(old, entry_state::abandoned);
      old.ended_at = now;
      ended = old;
    }
    entries_.erase(i->second);
    by_customer_.erase(i);
  }
  queue_entry e;
  e.id = next_entry_++;
  e.customer = customer;
  e.secret = random_hex(12);
  e.joined_at = now;
  e.state = entry_state::left;
  auto& stored = entries_[e.id] = room_entry(e);
  stored.seen_at = now;
  by_customer_[customer] = e.id;
  if (settings_.opens_at && !settings_.drawn)
    set_state(stored, entry_state::pre_queue);
  else
    rank(stored);
  return joined{stored, true, ended};
}

void waiting_room::forget(uint64_t entry) {
  auto i = entries_.find(entry);
  if (i == entries_.end())
    return;
  set_state(i->second, entry_state::left);
  by_customer_.erase(i->second.customer);
  entries_.erase(i);
}

const queue_entry* waiting_room::find(uint64_t entry, const std::string& secret) const {
  auto i = entries_.find(entry);
  if (i == entries_.end() || secret.size() != i->second.secret.size()
      || sodium_memcmp(secret.data(), i->second.secret.data(), secret.size()) != 0)
    return nullptr;
  return &i->second;
}

outcome<queue_entry> waiting_room::leave(uint64_t entry, const std::string& secret,
                                         timestamp_ms now) {
  if (!find(entry, secret))
    return errc::queue_entry_not_found;
  auto& e = entries_.at(entry);
  if (live(e.state)) {
    set_state(e, entry_state::left);
    e.ended_at = now;
  }
  return e;
}

queue_view waiting_room::view(const queue_entry& e, timestamp_ms now) const {
  queue_view v;
  v.entry = e;
  v.sold_out = sold_out_ && in_line(e.state);
  if (e.state == entry_state::waiting) {
    uint64_t before = 0;
    for (auto i = std::min<uint64_t>(e.rank, fenwick_.size() - 1); i > 0; i -= i & (~i + 1))
      before += fenwick_[i];
    v.position = before;  // the entry itself counts: 1 is next
    v.ahead = before - 1;
    auto raw = raw_eta_s(v.ahead, now);
    auto i = entries_.find(e.id);
    v.eta_s = i == entries_.end() ? raw : shown_eta_s(i->second, raw);
  } else if (e.state == entry_state::pre_queue) {
    // Not ranked before the draw: the wait is at least until the opening.
    v.eta_s = static_cast<uint64_t>(std::max<timestamp_ms>(settings_.opens_at - now, 0) / 1000);
  }
  if (e.state == entry_state::admitted)
    v.pass = pass_of(e);
  return v;
}

std::optional<queue_view> waiting_room::look(uint64_t entry, const std::string& secret,
                                             timestamp_ms now) {
  if (!find(entry, secret))
    return std::nullopt;
  auto& e = entries_.at(entry);
  e.seen_at = now;
  bool returned = false;
  if (e.state == entry_state::away
      && now - e.skipped_at <= int64_t{limits_.return_grace_s} * 1000) {
    set_state(e, entry_state::waiting);  // its rank is ahead of all who wait: next in line
    e.ended_at = 0;
    returned = true;
  }
  auto v = view(e, now);
  v.returned = returned;
  if (e.state == entry_state::waiting) {
    e.eta_shown_s = v.eta_s;
    e.eta_epoch = settings_epoch_;
  }
  if (v.sold_out)
    told(e, now);
  return v;
}

std::optional<int64_t> waiting_room::take_sold_out_told_ms() {
  return std::exchange(forecast_->report, std::nullopt);
}

void waiting_room::told(room_entry& e, timestamp_ms now) {
  auto& f = *forecast_;
  if (!f.telling || e.tell_epoch != f.sold_out_epoch)
    return;
  e.tell_epoch = 0;
  f.last_told = now;
  if (--f.untold == 0) {
    f.report = f.last_told - f.sold_out_at;
    f.telling = false;
  }
}

void waiting_room::track_sold_out(timestamp_ms now) {
  auto& f = *forecast_;
  bool began = sold_out_ && !f.was_sold_out;
  f.was_sold_out = sold_out_;
  auto abandon_ms = int64_t{limits_.abandon_after_s} * 1000;
  if (f.telling && (!sold_out_ || now - f.sold_out_at >= abandon_ms)) {
    // Seats came back (nothing to report), or the rest were not listening
    // after all: the time until the last one who was told.
    if (sold_out_ && f.untold < f.to_tell)
      f.report = f.last_told - f.sold_out_at;
    f.telling = false;
  }
  if (!began)
    return;
  ++f.sold_out_epoch;
  f.sold_out_at = f.last_told = now;
  f.untold = 0;
  for (auto& [id, e] : entries_)
    if (in_line(e.state) && now - e.seen_at < abandon_ms) {
      e.tell_epoch = f.sold_out_epoch;
      ++f.untold;
    }
  f.to_tell = f.untold;
  f.telling = f.untold > 0;
}

void waiting_room::end_graces(timestamp_ms now, std::vector<queue_entry>& changed) {
  auto& skipped = forecast_->skipped;
  auto grace_ms = int64_t{limits_.return_grace_s} * 1000;
  while (!skipped.empty() && now - skipped.front().first > grace_ms) {
    auto [at, id] = skipped.front();
    skipped.pop_front();
    auto i = entries_.find(id);
    // Gone, back in line, or skipped again later (a later item): not this one.
    if (i == entries_.end() || i->second.state != entry_state::away || i->second.skipped_at != at)
      continue;
    set_state(i->second, entry_state::abandoned);
    i->second.ended_at = now;
    changed.push_back(i->second);
  }
}

uint64_t waiting_room::slot_us() const {
  return 1'000'000 / std::max<uint32_t>(settings_.rate_per_s, 1);
}

uint32_t waiting_room::tick_interval_ms() const {
  auto slot_ms = static_cast<uint32_t>(slot_us() / 1000);
  return std::max<uint32_t>(5, std::min(limits_.tick_ms, std::max<uint32_t>(slot_ms, 1)));
}

bool waiting_room::admit_one(timestamp_ms now, std::vector<queue_entry>& changed,
                             uint32_t& skips) {
  auto abandon_ms = int64_t{limits_.abandon_after_s} * 1000;
  while (!line_.empty()) {
    auto& e = entries_.at(line_.begin()->second);
    if (now - e.seen_at >= abandon_ms) {
      // Not listening: skipped without using the slot; it keeps its rank.
      if (skips >= skips_per_round_max)
        return false;
      ++skips;
      set_state(e, entry_state::away);
      e.skipped_at = e.ended_at = now;
      forecast_->skipped.emplace_back(now, e.id);
      changed.push_back(e);
      continue;
    }
    set_state(e, entry_state::admitted);
    e.admitted_at = now;
    e.pass_expires_at = now + int64_t{settings_.pass_ttl_s} * 1000;
    counts_.admitted_total += 1;
    changed.push_back(e);
    return true;
  }
  return false;
}

std::vector<queue_entry> waiting_room::tick(timestamp_ms now, const stock_view& stock,
                                            bool& settings_changed) {
  std::vector<queue_entry> changed;
  settings_changed = false;
  if (!on())
    return changed;
  if (settings_.opens_at && !settings_.drawn && now >= settings_.opens_at) {
    std::vector<uint64_t> pre;
    for (const auto& [id, e] : entries_)
      if (e.state == entry_state::pre_queue)
        pre.push_back(id);
    for (auto id : draw_order(settings_.seed, std::move(pre))) {
      rank(entries_.at(id));
      changed.push_back(entries_.at(id));
    }
    settings_.drawn = true;
    settings_changed = true;
  }
  std::vector<uint64_t> expired;
  for (const auto& [customer, id] : admitted_)
    if (entries_.at(id).pass_expires_at <= now)
      expired.push_back(id);
  for (auto id : expired) {
    auto& e = entries_.at(id);
    set_state(e, entry_state::expired);
    e.ended_at = now;
    changed.push_back(e);
  }
  forecast_->now = now;
  forecast_->hold_ttl_s = stock.hold_ttl_s;
  end_graces(now, changed);
  sold_out_ = stock.capacity > 0 && stock.free_seats == 0 && stock.live_holds == 0;
  track_sold_out(now);
  // Admissions follow a grid of one slot per 1/rate s. A late round uses
  // the slots that fell due meanwhile (so the rate holds over a minute);
  // a slot nobody could use is dropped (so a quiet spell does not let a
  // burst through afterwards).
  auto now_us = now * 1000;
  auto slot = static_cast<int64_t>(slot_us());
  if (next_slot_us_ == 0)
    next_slot_us_ = now_us;  // the first round of this room
  uint64_t waiting_for_hold = 0;
  for (const auto& [customer, id] : admitted_)
    if (!stock.holding || !stock.holding(customer))
      ++waiting_for_hold;
  auto per = std::max<uint64_t>(limits_.tickets_per_shopper, 1);
  auto usable = stock.free_seats * limits_.stock_margin_pct / 100;
  auto set_aside = waiting_for_hold * per;
  uint64_t servable = usable > set_aside ? (usable - set_aside) / per : 0;
  bool open = !settings_.paused && (settings_.drawn || !settings_.opens_at);
  if (!open) {
    next_slot_us_ = std::max(next_slot_us_, now_us + 1);
    forecast_->record(now, 0, false, false, false);
    plan_ahead(now, stock, servable, waiting_for_hold);
    return changed;
  }
  uint32_t skips = 0;
  uint64_t admitted = 0;
  bool held = false;
  while (next_slot_us_ <= now_us && counts_.admitted < settings_.active_max) {
    if (servable == 0) {
      held = !line_.empty();  // the stock, not the rate, keeps them waiting
      break;
    }
    if (!admit_one(now, changed, skips))
      break;
    next_slot_us_ += slot;
    --servable;
    ++admitted;
  }
  if (next_slot_us_ <= now_us)
    next_slot_us_ = now_us + 1;  // due but unused: dropped
  forecast_->record(now, admitted, true, line_.empty(), held);
  plan_ahead(now, stock, servable, waiting_for_hold);
  return changed;
}

std::optional<queue_entry> waiting_room::purchased(customer_id customer, timestamp_ms now) {
  auto i = admitted_.find(customer);
  if (i == admitted_.end())
    return std::nullopt;
  auto& e = entries_.at(i->second);
  set_state(e, entry_state::used);
  e.ended_at = now;
  return e;
}

std::vector<queue_entry> waiting_room::close(timestamp_ms now) {
  std::vector<queue_entry> changed;
  for (auto& [id, e] : entries_)
    if (live(e.state)) {
      set_state(e, entry_state::closed);
      e.ended_at = now;
      changed.push_back(e);
    }
  return changed;
}

} // namespace boxoffice
