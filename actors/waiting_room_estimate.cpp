// The wait estimate of waiting_room.h: the measured rate, the forecast of
// the stock from the event's holds (how holds of each age end, learnt from
// those a whole hold lifetime old), the estimate of the n-th in line, and
// the 20 % rule on what a waiter is shown.
#include "actors/waiting_room_forecast.h"

#include <algorithm>
#include <cmath>

namespace boxoffice {

void waiting_room::forecast::mature(timestamp_ms ttl_ms) {
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

double waiting_room::forecast::back_chance(timestamp_ms age, timestamp_ms ttl_ms) const {
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

void waiting_room::forecast::record(int64_t now_ms, uint64_t n, bool is_open, bool is_dry,
                                    bool is_held) {
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

void waiting_room::forecast::forget_rate() {
  admitted.fill(0);
  open.fill(false);
  dry.fill(false);
  held.fill(false);
}

double waiting_room::forecast::measured(uint32_t min_s) const {
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

} // namespace boxoffice
