#include "actors/waiting_room.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>

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
  return in_line(s) || s == entry_state::admitted || s == entry_state::away;
}

} // namespace

// Holds followed until a hold lifetime after their start, for how holds end.
constexpr size_t cohort_kept_max = 100000;

struct waiting_room::forecast {
  // Admissions per second over the last minute, and which seconds count
  // for the measured rate: open (not paused, drawn), still waiters after
  // the round (the line did not run dry) and not held back by the stock.
  std::array<uint32_t, 60> admitted{};
  std::array<bool, 60> open{}, dry{}, held{};
  int64_t second = 0;  // the last second written (Unix s)

  // The event's holds: expiry -> (seats, start), and each customer's in order.
  struct hold { uint32_t seats; timestamp_ms started; uint64_t seq; };
  using hold_map = std::multimap<timestamp_ms, hold>;
  hold_map holds;
  std::unordered_map<customer_id, std::deque<hold_map::iterator>> by_customer;
  timestamp_ms now = 0;  // of the last round
  uint32_t hold_ttl_s = 600;
  // How holds end, from those started a whole hold lifetime ago (all of
  // which have ended, so neither outcome is favoured by ending sooner):
  // how many came back unbought, and the ages at which the others were bought.
  struct cohort_hold { timestamp_ms started; timestamp_ms age = -1; bool bought = false; };
  std::map<uint64_t, cohort_hold> cohort;  // by start order, until a lifetime old
  uint64_t next_seq = 0;
  uint64_t matured_back = 0, matured_bought = 0;
  static constexpr size_t age_buckets = 32;
  std::array<uint64_t, age_buckets> bought_at_age{};  // by age / (lifetime / 32)
  static constexpr uint64_t matured_min = 10;  // before that, a prior

  // Holds a whole lifetime old are counted; one still live then (extended)
  // is left out.
  void mature(timestamp_ms ttl_ms) {
    while (!cohort.empty() && cohort.begin()->second.started <= now - ttl_ms) {
      const auto h = cohort.begin()->second;
      cohort.erase(cohort.begin());
      if (h.age < 0)
        continue;
      if (h.bought) {
        ++matured_bought;
        auto b = static_cast<size_t>(std::clamp<int64_t>(h.age * int64_t{age_buckets} / ttl_ms, 0,
                                                         int64_t{age_buckets} - 1));
        ++bought_at_age[b];
      } else {
        ++matured_back;
      }
    }
  }

  // The chance that a hold still live at `age` comes back unbought: of the
  // holds that reach that age, those that are not bought later. The prior:
  // half bought, at ages spread evenly over the lifetime.
  double back_chance(timestamp_ms age, timestamp_ms ttl_ms) const {
    double q = 0.5, later = std::max(0.0, 1.0 - static_cast<double>(age) / static_cast<double>(ttl_ms));
    if (matured_back + matured_bought >= matured_min) {
      q = static_cast<double>(matured_back) / static_cast<double>(matured_back + matured_bought);
      auto b = static_cast<size_t>(std::clamp<int64_t>(age * int64_t{age_buckets} / ttl_ms, 0,
                                                       int64_t{age_buckets}));
      uint64_t after = 0;
      for (size_t i = b; i < age_buckets; ++i)
        after += bought_at_age[i];
      later = matured_bought ? static_cast<double>(after) / static_cast<double>(matured_bought) : 0;
    }
    double stay_to_buy = (1 - q) * later;
    return q + stay_to_buy > 0 ? q / (q + stay_to_buy) : 1;
  }

  // Built at most once a second by tick().
  timestamp_ms built_at = 0;
  uint32_t built_epoch = 0;
  double rate_per_s = 0;           // admissions per second the rate allows
  uint64_t servable = 0;           // shoppers the free seats serve now
  std::vector<std::pair<int64_t, uint64_t>> back;  // ms after built_at -> shoppers served by then
  double next_generation = 0;      // shoppers served in the lifetime after the known holds
  double back_share = 0;           // of a generation, the share that comes back

  // Skipped entries in the order of their skip: (skipped_at, entry).
  std::deque<std::pair<timestamp_ms, uint64_t>> skipped;

  // The last sold-out instant and who is still to be told of it.
  uint32_t sold_out_epoch = 0;
  bool telling = false, was_sold_out = false;
  timestamp_ms sold_out_at = 0, last_told = 0;
  uint64_t untold = 0, to_tell = 0;
  std::optional<int64_t> report;

  void record(int64_t now_ms, uint64_t n, bool is_open, bool is_dry, bool is_held) {
    int64_t s = now_ms / 1000;
    if (s > second) {
      for (int64_t t = std::max(second + 1, s - 59); t <= s; ++t) {
        auto i = static_cast<size_t>(t % 60);
        admitted[i] = 0;
        open[i] = dry[i] = held[i] = false;
      }
      second = s;
    }
    auto i = static_cast<size_t>(s % 60);
    admitted[i] += static_cast<uint32_t>(n);
    open[i] = open[i] || is_open;
    dry[i] = dry[i] || is_dry;
    held[i] = held[i] || is_held;
  }

  void forget_rate() {
    admitted.fill(0);
    open.fill(false);
    dry.fill(false);
    held.fill(false);
  }

  // Admissions per second over the whole seconds that count (the current
  // one is still filling); 0 when fewer than `min_s` count.
  double measured(uint32_t min_s) const {
    uint64_t n = 0, seconds = 0;
    for (int64_t t = second - 59; t < second; ++t) {
      auto i = static_cast<size_t>(((t % 60) + 60) % 60);
      if (open[i] && !dry[i] && !held[i]) {
        n += admitted[i];
        ++seconds;
      }
    }
    return seconds < min_s ? 0 : static_cast<double>(n) / static_cast<double>(seconds);
  }
};

waiting_room::~waiting_room() = default;
waiting_room::waiting_room(waiting_room&&) noexcept = default;
waiting_room& waiting_room::operator=(waiting_room&&) noexcept = default;

waiting_room::waiting_room(event_id event, waiting_room_limits limits,
                           std::shared_ptr<const pass_keys> keys)
  : event_(event), limits_(limits), keys_(std::move(keys)),
    forecast_(std::make_unique<forecast>()) {}

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

void waiting_room::restore(queue_settings settings, std::vector<queue_entry> entries,
                           timestamp_ms now) {
  settings_ = std::move(settings);
  std::sort(entries.begin(), entries.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  for (auto& e : entries) {
    next_entry_ = std::max(next_entry_, e.id + 1);
    next_rank_ = std::max(next_rank_, e.rank + 1);
    auto state = e.state;
    e.state = entry_state::left;  // counted by set_state below
    auto& stored = entries_[e.id] = room_entry(e);
    stored.seen_at = now;
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
        return joined{e, false, {}};
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
  if (e.state == entry_state::away && now - e.skipped_at <= int64_t{limits_.return_grace_s} * 1000)
    set_state(e, entry_state::waiting);  // its rank is ahead of all who wait: next in line
  auto v = view(e, now);
  if (e.state == entry_state::waiting) {
    e.eta_shown_s = v.eta_s;
    e.eta_epoch = settings_epoch_;
  }
  if (v.sold_out)
    told(e, now);
  return v;
}

uint64_t waiting_room::raw_eta_s(uint64_t ahead, timestamp_ms now) const {
  const auto& f = *forecast_;
  double rate = f.rate_per_s > 0 ? f.rate_per_s : std::max<uint32_t>(settings_.rate_per_s, 1);
  // The one ahead of n is admitted at the next slot, the n-th n slots later.
  double by_rate = static_cast<double>(ahead) / rate;
  double by_stock = 0;
  if (f.built_at && ahead >= f.servable) {
    uint64_t need = ahead - f.servable + 1;  // shoppers the returning seats must serve
    double since_built = static_cast<double>(now - f.built_at) / 1000;
    auto i = std::lower_bound(f.back.begin(), f.back.end(), need,
                              [](const auto& step, uint64_t n) { return step.second < n; });
    if (i != f.back.end()) {
      by_stock = static_cast<double>(i->first) / 1000 - since_built;
    } else {
      // Past the known holds: generations of one hold lifetime each, every
      // one the unbought share of the one before, starting a lifetime from
      // now at the soonest (holds not made yet). One the stock will likely
      // never reach waits at least until the generations die out.
      uint64_t known = f.back.empty() ? 0 : f.back.back().second;
      double start = std::max(f.back.empty() ? 0 : static_cast<double>(f.back.back().first) / 1000,
                              static_cast<double>(f.hold_ttl_s));
      double left = static_cast<double>(need - known), generation = f.next_generation;
      for (int k = 0; k < 64 && generation >= 0.5; ++k) {
        if (left <= generation) {
          start += left / generation * f.hold_ttl_s;
          left = 0;
          break;
        }
        left -= generation;
        generation *= f.back_share;
        start += f.hold_ttl_s;
      }
      by_stock = start - since_built;
    }
  }
  return static_cast<uint64_t>(std::ceil(std::max({by_rate, by_stock, 0.0})));
}

uint64_t waiting_room::shown_eta_s(const room_entry& e, uint64_t raw) const {
  if (e.eta_epoch != settings_epoch_)
    return raw;  // never shown, or shown before a settings change
  auto shown = e.eta_shown_s;
  auto band = std::max<uint64_t>(shown / 20, 1);
  if (raw + band < shown)
    return raw;
  if (raw > shown + band)
    return std::min(raw, shown + std::max<uint64_t>(shown / 5, 1));
  return shown;  // close enough: unchanged, so a stream need not send it
}

void waiting_room::hold_started(customer_id customer, uint32_t seats, timestamp_ms expires_at) {
  auto& f = *forecast_;
  auto started = std::max(f.now, expires_at - int64_t{f.hold_ttl_s} * 1000);
  auto seq = f.next_seq++;
  if (f.cohort.size() < cohort_kept_max)
    f.cohort.emplace(seq, forecast::cohort_hold{started});
  f.by_customer[customer].push_back(
    f.holds.emplace(expires_at, forecast::hold{seats, started, seq}));
}

void waiting_room::hold_ended(customer_id customer, bool bought) {
  auto& f = *forecast_;
  auto i = f.by_customer.find(customer);
  if (i == f.by_customer.end())
    return;  // a hold the room never saw started
  const auto& h = i->second.front()->second;
  auto c = f.cohort.find(h.seq);
  if (c != f.cohort.end()) {
    c->second.age = std::max<timestamp_ms>(f.now - h.started, 0);
    c->second.bought = bought;
  }
  f.holds.erase(i->second.front());
  i->second.pop_front();
  if (i->second.empty())
    f.by_customer.erase(i);
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
      e.skipped_at = now;
      forecast_->skipped.emplace_back(now, e.id);
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

void waiting_room::plan_ahead(timestamp_ms now, const stock_view& stock, uint64_t servable,
                              uint64_t waiting_for_hold) {
  auto& f = *forecast_;
  if (f.built_at && now - f.built_at < 1000 && f.built_epoch == settings_epoch_)
    return;
  if (f.built_epoch != settings_epoch_)
    f.forget_rate();  // measured under other settings
  f.built_at = now;
  f.built_epoch = settings_epoch_;
  double configured = std::max<uint32_t>(settings_.rate_per_s, 1);
  auto measured = f.measured(rate_window_min_s);
  f.rate_per_s = measured > 0 ? std::min(measured, configured) : configured;
  f.servable = servable;
  // Seats of live holds come back as they expire, each at the chance that
  // a hold of its age is not bought before.
  auto ttl_ms = int64_t{std::max<uint32_t>(stock.hold_ttl_s, 1)} * 1000;
  f.mature(ttl_ms);
  std::vector<std::pair<int64_t, double>> due;
  due.reserve(f.holds.size());
  for (const auto& [at, h] : f.holds) {
    auto when = at;
    if (now - when > 2000)  // past its expiry and not ended: extended
      when += ttl_ms * ((now - when + ttl_ms - 1) / ttl_ms);
    due.emplace_back(std::max<int64_t>(when - now, 0), h.seats * f.back_chance(now - h.started, ttl_ms));
  }
  std::sort(due.begin(), due.end());
  f.back.clear();
  double seats_back = 0;
  uint64_t served = 0;
  auto per = static_cast<double>(std::max<uint32_t>(limits_.tickets_per_shopper, 1));
  for (const auto& [in_ms, seats] : due) {
    seats_back += seats * limits_.stock_margin_pct / 100.0;
    auto now_served = static_cast<uint64_t>(seats_back / per);
    if (now_served > served) {
      served = now_served;
      f.back.emplace_back(in_ms, served);
    }
  }
  // Past the last known expiry the same cycle goes on: each hold lifetime,
  // the unbought share of the shoppers served before (from the known holds,
  // admitted without a hold yet, or served by the free seats) comes back.
  f.back_share = f.back_chance(0, ttl_ms);
  f.next_generation =
    static_cast<double>(served + waiting_for_hold + servable) * f.back_share;
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
