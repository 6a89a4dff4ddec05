// GET /v1/queue/{entry}/stream: the entry's state as Server-Sent Events
// (text/event-stream). The first event is the current state; then each
// change is one event (position, admitted, sold_out, closed), each with an
// id naming what it shows, so a reconnect with Last-Event-ID skips what the
// client has already seen; a ": ping" comment goes out at least every
// http.queue_heartbeat_s. The stream ends after `closed`.
//
// One small actor per stream reads the entry from its event every
// http.queue_stream_poll_ms and writes through the connection's reactor
// (connection_guard.h); no Pistache thread waits, and no stream outlives
// its connection. At most http.queue_streams_max are open at once.
#pragma once

#include "http/api.h"

namespace boxoffice::http {

void open_queue_stream(api_context& api, queue_ref ref, const Pistache::Rest::Request& req,
                       Pistache::Http::ResponseWriter& w);

// Streams open now.
uint32_t open_queue_streams();

} // namespace boxoffice::http
