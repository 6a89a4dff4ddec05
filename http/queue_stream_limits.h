// The bounds of the waiting room's event streams (config: http.queue_*).
#pragma once

#include <cstdint>

namespace boxoffice::http {

struct stream_limits {
  uint32_t heartbeat_s = 10;
  uint32_t poll_ms = 500;
  uint32_t streams_max = 10000;
  // Pistache closes a connection it thinks idle http.keepalive_timeout_s
  // after the request: a stream tells it otherwise this often.
  uint32_t refresh_s = 30;
};

} // namespace boxoffice::http
