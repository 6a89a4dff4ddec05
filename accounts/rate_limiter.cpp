#include "accounts/rate_limiter.h"

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace boxoffice {

namespace {

// Time to refill one token: at least one clock tick.
rate_limiter::clock::duration refill_interval(uint32_t per_minute) {
  using duration = rate_limiter::clock::duration;
  if (per_minute == 0)
    return duration::zero();
  auto minute = std::chrono::duration_cast<duration>(std::chrono::minutes(1));
  return std::max<duration>(minute / per_minute, duration(1));
}

} // namespace

rate_limiter::rate_limiter(uint32_t per_minute, size_t keys_max)
  : per_minute_(per_minute),
    keys_max_(keys_max),
    interval_(refill_interval(per_minute)),
    burst_span_(interval_ * per_minute) {
  if (per_minute_ > 0 && keys_max_ == 0)
    throw std::invalid_argument("rate_limiter: keys_max must be positive");
}

std::optional<uint32_t> rate_limiter::take(const std::string& key, clock::time_point now) {
  if (per_minute_ == 0)
    return std::nullopt;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= keys_max_)
      make_room(now);
    by_recency_.push_back(key);
    it = buckets_.emplace(key, bucket{now, std::prev(by_recency_.end())}).first;
  } else {
    by_recency_.splice(by_recency_.end(), by_recency_, it->second.recency);
  }
  auto& b = it->second;
  auto after = std::max(b.full_at, now) + interval_;
  if (after - now <= burst_span_) {
    b.full_at = after;
    return std::nullopt;
  }
  // One token is back once full_at - now has shrunk to burst_span_ - interval_.
  auto wait = after - burst_span_ - now;
  auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
  return static_cast<uint32_t>(std::clamp<decltype(seconds)>(seconds, 1, 60));
}

void rate_limiter::make_room(clock::time_point now) {
  size_t dropped = 0;
  while (!by_recency_.empty()) {
    auto oldest = buckets_.find(by_recency_.front());
    if (oldest->second.full_at > now)
      break;
    buckets_.erase(oldest);
    by_recency_.pop_front();
    ++dropped;
  }
  if (dropped == 0 && !by_recency_.empty()) {
    buckets_.erase(by_recency_.front());
    by_recency_.pop_front();
  }
}

size_t rate_limiter::keys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return buckets_.size();
}

} // namespace boxoffice
