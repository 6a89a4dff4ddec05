#include "actors/wall_clock.h"

#include <chrono>

namespace boxoffice {

timestamp_ms wall_clock_ms(const caf::actor_clock& clock) {
  using namespace std::chrono;
  // The actor clock is monotonic; anchor it to the Unix epoch once per process.
  static const auto offset = system_clock::now().time_since_epoch()
                             - steady_clock::now().time_since_epoch();
  return duration_cast<milliseconds>(clock.now().time_since_epoch() + offset).count();
}

timestamp_ms system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace boxoffice
