#include "actors/waiting_room.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace boxoffice {

namespace {

std::string hex_of(const unsigned char* bytes, size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, size);
  out.pop_back();
  return out;
}

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  randombytes_buf(buf.data(), buf.size());
  return hex_of(buf.data(), buf.size());
}

std::string sha256_hex(const std::string& text) {
  unsigned char out[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return hex_of(out, sizeof out);
}

bool in_line(entry_state s) {
  return s == entry_state::pre_queue || s == entry_state::waiting;
}

bool live(entry_state s) {
  return in_line(s) || s == entry_state::admitted;
}

} // namespace

waiting_room::waiting_room(event_id event, waiting_room_limits limits,
                           std::shared_ptr<const pass_keys> keys)
  : event_(event), limits_(limits), keys_(std::move(keys)) {}

std::string waiting_room::seed_hash_of(const std::string& seed_hex) {
  std::vector<unsigned char> bytes(seed_hex.size() / 2 + 1);
  size_t size = 0;
  if (sodium_hex2bin(bytes.data(), bytes.size(), seed_hex.data(), seed_hex.size(), nullptr,
                     &size, nullptr) != 0)
    return {};
  return sha256_hex(std::string(reinterpret_cast<const char*>(bytes.data()), size));
}

std::vector<uint64_t> waiting_room::draw_order(const std::string& seed_hex,
                                               std::vector<uint64_t> entries) {
  std::vector<std::pair<std::string, uint64_t>> keyed;
  keyed.reserve(entries.size());
  for (auto id : entries)
    keyed.emplace_back(sha256_hex(seed_hex + ":" + std::to_string(id)), id);
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < keyed.size(); ++i)
    entries[i] = keyed[i].second;
  return entries;
}

void waiting_room::restore(queue_settings settings, std::vector<queue_entry> entries) {
  settings_ = std::move(settings);
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  for (auto& e : entries) {
    next_entry_ = std::max(next_entry_, e.id + 1);
    next_rank_ = std::max(next_rank_, e.rank + 1);
    auto state = e.state;
    e.state = entry_state::left;  // counted by set_state below
    auto& stored = entries_[e.id] = e;
    by_customer_[e.customer] = e.id;
    set_state(stored, state);
  }
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
}

void waiting_room::set_state(queue_entry& e, entry_state next) {
  auto bump = [&](entry_state s, int d) {
    if (s == entry_state::pre_queue)
      counts_.pre_queue += d;
    else if (s == entry_state::waiting)
      counts_.waiting += d;
    else if (s == entry_state::admitted)
      counts_.admitted += d;
  };
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

void waiting_room::rank(queue_entry& e) {
  e.rank = next_rank_++;
  set_state(e, entry_state::waiting);
}

outcome<waiting_room::joined> waiting_room::join(customer_id customer, timestamp_ms now,
                                                 bool sale_closed) {
  if (!on())
    return errc::queue_off;
  auto i = by_customer_.find(customer);
  if (i != by_customer_.end()) {
    auto& e = entries_.at(i->second);
    if (live(e.state) || e.state == entry_state::used)
      return joined{e, false};
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
    entries_.erase(i->second);
    by_customer_.erase(i);
  }
  queue_entry e;
  e.id = next_entry_++;
  e.customer = customer;
  e.secret = random_hex(12);
  e.joined_at = now;
  e.state = entry_state::left;
  auto& stored = entries_[e.id] = e;
  by_customer_[customer] = e.id;
  if (settings_.opens_at && !settings_.drawn)
    set_state(stored, entry_state::pre_queue);
  else
    rank(stored);
  return joined{stored, true};
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
    v.eta_s = (v.ahead + settings_.rate_per_s - 1) / settings_.rate_per_s;
  } else if (e.state == entry_state::pre_queue) {
    // Not ranked before the draw: the wait is at least until the opening.
    v.eta_s = static_cast<uint64_t>(std::max<timestamp_ms>(settings_.opens_at - now, 0) / 1000);
  }
  if (e.state == entry_state::admitted)
    v.pass = pass_of(e);
  return v;
}

std::string waiting_room::pass_of(const queue_entry& e) const {
  pass_claims c;
  c.event = event_;
  c.entry = e.id;
  c.customer = e.customer;
  c.expires_at = e.pass_expires_at;
  return keys_->sign(c);
}

uint64_t waiting_room::slot_us() const {
  return 1'000'000 / std::max<uint32_t>(settings_.rate_per_s, 1);
}

uint32_t waiting_room::tick_interval_ms() const {
  auto slot_ms = static_cast<uint32_t>(slot_us() / 1000);
  return std::max<uint32_t>(5, std::min(limits_.tick_ms, std::max<uint32_t>(slot_ms, 1)));
}

bool waiting_room::admit_one(timestamp_ms now, std::vector<queue_entry>& changed) {
  if (line_.empty())
    return false;
  auto& e = entries_.at(line_.begin()->second);
  set_state(e, entry_state::admitted);
  e.admitted_at = now;
  e.pass_expires_at = now + int64_t{settings_.pass_ttl_s} * 1000;
  counts_.admitted_total += 1;
  changed.push_back(e);
  return true;
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
  sold_out_ = stock.capacity > 0 && stock.free_seats == 0 && stock.live_holds == 0;
  // Admissions follow a grid of one slot per 1/rate s. A late round uses
  // the slots that fell due meanwhile (so the rate holds over a minute);
  // a slot nobody could use is dropped (so a quiet spell does not let a
  // burst through afterwards).
  auto now_us = now * 1000;
  auto slot = static_cast<int64_t>(slot_us());
  if (next_slot_us_ == 0)
    next_slot_us_ = now_us;  // the first round of this room
  if (settings_.paused || (!settings_.drawn && settings_.opens_at)) {
    next_slot_us_ = std::max(next_slot_us_, now_us + 1);
    return changed;
  }
  uint64_t waiting_for_hold = 0;
  for (const auto& [customer, id] : admitted_)
    if (!stock.holding || !stock.holding(customer))
      ++waiting_for_hold;
  auto per = std::max<uint64_t>(limits_.tickets_per_shopper, 1);
  auto usable = stock.free_seats * limits_.stock_margin_pct / 100;
  auto set_aside = waiting_for_hold * per;
  uint64_t servable = usable > set_aside ? (usable - set_aside) / per : 0;
  while (next_slot_us_ <= now_us && counts_.admitted < settings_.active_max && servable > 0
         && admit_one(now, changed)) {
    next_slot_us_ += slot;
    --servable;
  }
  if (next_slot_us_ <= now_us)
    next_slot_us_ = now_us + 1;  // due but unused: dropped
  return changed;
}

std::optional<errc> waiting_room::check_hold(const std::string& pass, customer_id customer,
                                             timestamp_ms now) const {
  pass_claims claims;
  if (auto bad = check_pass(*keys_, pass, event_, customer, now, &claims)) {
    switch (*bad) {
      case pass_error::missing: return errc::queue_pass_missing;
      case pass_error::forged: return errc::queue_pass_forged;
      case pass_error::other_customer: return errc::queue_pass_other_customer;
      case pass_error::other_event: return errc::queue_pass_other_event;
      case pass_error::expired: return errc::queue_pass_expired;
    }
  }
  auto i = entries_.find(claims.entry);
  if (i == entries_.end() || i->second.customer != customer)
    return errc::queue_pass_forged;  // signed, but for no entry of this event
  switch (i->second.state) {
    case entry_state::admitted: return std::nullopt;
    case entry_state::expired: return errc::queue_pass_expired;
    default: return errc::queue_pass_used;  // bought, left or closed
  }
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
