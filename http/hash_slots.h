// The bound on password hashing (signup and login): at most `max` of them
// queued or running at once, the rest refused at the door with 503
// auth_busy + Retry-After before anything is hashed or stored. Argon2id
// costs tens of milliseconds of a core; without a bound a login storm would
// fill the account workers' mailboxes and every login would time out.
//
// take() returns a token that holds one place until it is destroyed: the
// route captures it in its job, so it is given back when the job's answer
// comes, times out, or the gateway refuses the job. A request that timed out
// may still be hashed by its worker after its place is given back; the
// request timeout bounds how long.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

namespace boxoffice::http {

class hash_slots : public std::enable_shared_from_this<hash_slots> {
public:
  explicit hash_slots(uint32_t max) : max_(max) {}

  // A place, or null when `max` are taken (nothing changes then).
  std::shared_ptr<void> take() {
    if (taken_.fetch_add(1) >= max_) {
      taken_.fetch_sub(1);
      return nullptr;
    }
    auto self = shared_from_this();
    return std::shared_ptr<void>(self.get(), [self](void*) { self->taken_.fetch_sub(1); });
  }

  uint32_t taken() const { return taken_.load(); }
  uint32_t max() const { return max_; }

private:
  const uint32_t max_;
  std::atomic<uint32_t> taken_{0};
};

} // namespace boxoffice::http
