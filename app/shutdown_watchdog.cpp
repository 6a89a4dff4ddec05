#include "app/shutdown_watchdog.h"

#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <unistd.h>

namespace boxoffice {

namespace {

struct message_sent {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
};

// Plain stderr, not the log: the logger may already be gone, and its queue
// would not be written before _Exit.
[[noreturn]] void exit_now(int code, std::string line) {
  auto sent = std::make_shared<message_sent>();
  std::thread([sent, line = std::move(line)] {
    for (size_t at = 0; at < line.size();) {
      auto n = ::write(STDERR_FILENO, line.data() + at, line.size() - at);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      at += static_cast<size_t>(n);
    }
    std::lock_guard<std::mutex> guard{sent->m};
    sent->done = true;
    sent->cv.notify_one();
  }).detach();
  {
    std::unique_lock<std::mutex> lock{sent->m};
    sent->cv.wait_for(lock, exit_message_wait, [&] { return sent->done; });
  }
  std::_Exit(code);
}

// The first of SIGINT/SIGTERM before the deadline; 0 if none came.
int wait_for_signal(const sigset_t& signals, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return 0;
    timespec wait{static_cast<time_t>(left.count() / 1000000000),
                  static_cast<long>(left.count() % 1000000000)};
    int signal = sigtimedwait(&signals, nullptr, &wait);
    if (signal > 0)
      return signal;
    if (errno != EINTR)
      return 0;  // EAGAIN: the grace period is over
  }
}

} // namespace

void start_shutdown_watchdog(sigset_t signals, std::chrono::seconds grace) {
  std::thread([signals, grace] {
    int signal = wait_for_signal(signals, std::chrono::steady_clock::now() + grace);
    if (signal > 0)
      exit_now(exit_second_signal, "boxoffice: signal " + std::to_string(signal)
                                     + " again: exiting now, without finishing\n");
    exit_now(exit_grace_exceeded, "boxoffice: shutdown took longer than "
                                  "server.shutdown_grace_s ("
                                    + std::to_string(grace.count()) + " s): exiting now\n");
  }).detach();
}

} // namespace boxoffice
