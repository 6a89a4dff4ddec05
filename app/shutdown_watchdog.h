// The watchdog of a graceful shutdown: once it has begun, a second SIGINT or
// SIGTERM, or the grace period running out, ends the process at once,
// whatever is still running (exit status 4 or 3).
//
// "At once" does not wait for stderr. The line saying why is written by a
// thread of its own, and the exit waits for it at most message_wait: stderr
// may be a full pipe (a stalled journald or log shipper) or a file on a disk
// that throttles writers, and a write there blocked the exit itself, for
// seconds or for good, on the one path meant to end a stuck process.
//
// REQUIRES: SIGINT and SIGTERM are blocked in every thread (they are taken
// with sigtimedwait here).
#pragma once

#include <chrono>

#include <signal.h>

namespace boxoffice {

inline constexpr int exit_grace_exceeded = 3;  // shutdown_grace_s ran out
inline constexpr int exit_second_signal = 4;   // stopped at once by a second signal

// How long the exit waits for its line to reach stderr.
inline constexpr std::chrono::milliseconds exit_message_wait{100};

void start_shutdown_watchdog(sigset_t signals, std::chrono::seconds grace);

} // namespace boxoffice
