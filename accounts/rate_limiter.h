// Per-key request limits (login attempts per email, sign-ups per client
// address): a token bucket per key that holds per_minute tokens and refills
// continuously at per_minute tokens per 60 s. Thread-safe; no background
// thread; memory bounded by keys_max buckets.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace boxoffice {

class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  // per_minute == 0 means unlimited: take() always allows and keeps nothing.
  // Throws std::invalid_argument when per_minute > 0 and keys_max == 0.
  rate_limiter(uint32_t per_minute, size_t keys_max);

  // Takes one token from key's bucket: nullopt if there was one; otherwise
  // the whole seconds (>= 1, rounded up) until one is back, for Retry-After.
  // A refused call takes nothing. `now` must not go backwards by much: an
  // earlier now is treated as the latest one seen for the key.
  //
  // A new key with keys_max buckets held first drops, from the least
  // recently used end, the buckets that are full again (they hold no state
  // worth keeping) until it meets one that is not; if that dropped nothing,
  // it drops the least recently used bucket, whose key then starts afresh
  // with a full bucket. Each bucket is dropped once, so this is O(1)
  // amortised per call.
  std::optional<uint32_t> take(const std::string& key, clock::time_point now);

  // Buckets held, <= keys_max; for tests and metrics.
  size_t keys() const;

private:
  // The bucket as one time point (the "theoretical arrival time" of GCRA,
  // equivalent to a token bucket): when it will be full again. It holds
  // (burst_span_ - (full_at - now)) / interval_ tokens at `now`.
  struct bucket {
    clock::time_point full_at;
    std::list<std::string>::iterator recency;  // position in by_recency_
  };

  void make_room(clock::time_point now);

  uint32_t per_minute_;
  size_t keys_max_;
  clock::duration interval_;    // time to refill one token
  clock::duration burst_span_;  // time to refill an empty bucket: per_minute_ * interval_
  mutable std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;
  std::list<std::string> by_recency_;  // least recently used first
};

} // namespace boxoffice
