// The log's writer: an spdlog sink that hands each line to one background
// thread, which formats and writes them to a FILE (stdout in the server).
// No caller ever waits on the file (a stalled journald, a full pipe): a
// line is queued under a short lock and the caller goes on.
//
// Why not spdlog's async logger: it wakes its thread (a futex call) for
// every line and its stdout sink flushes (a write(2)) every line, a third
// of the server's CPU on GET /v1/health at 60k requests/s (issue 17). This
// writer is woken only when it sleeps with nothing to do; after each batch
// it waits `gather` for more lines to come, then formats every queued line
// and writes them with one fflush. A line is written within about `gather`
// of being logged, in order. At most `lines_max` lines wait; past that the
// oldest is dropped and counted (dropped()).
//
// REQUIRES: set_formatter before the first line (setup, as spdlog does).
#pragma once

#include <spdlog/sinks/sink.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace boxoffice::telemetry {

class log_writer final : public spdlog::sinks::sink {
public:
  log_writer(std::FILE* out, size_t lines_max,
             std::chrono::microseconds gather = std::chrono::milliseconds(1));
  // Writes every line still queued, then stops the thread.
  ~log_writer() override;
  log_writer(const log_writer&) = delete;
  log_writer& operator=(const log_writer&) = delete;

  void log(const spdlog::details::log_msg& msg) override;
  // The same for a line already in a string of its own (no copy).
  void push(spdlog::log_clock::time_point time, spdlog::level::level_enum level,
            std::string payload);
  // Returns once every line logged before it is written.
  void flush() override;
  void set_pattern(const std::string& pattern) override;
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override;

  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

private:
  struct line {
    spdlog::log_clock::time_point time;
    spdlog::level::level_enum level;
    std::string payload;
  };

  void run();
  void write(std::deque<line>& batch);

  std::FILE* out_;
  const size_t lines_max_;
  const std::chrono::microseconds gather_;
  std::atomic<uint64_t> dropped_{0};

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable written_;
  std::deque<line> queue_;
  uint64_t queued_total_ = 0;   // lines queued so far (dropped included)
  uint64_t written_total_ = 0;  // ... and written (or dropped)
  bool asleep_ = false;
  bool stopping_ = false;

  std::mutex format_mutex_;  // the writer thread's, and set_formatter's
  std::unique_ptr<spdlog::formatter> formatter_;
  spdlog::memory_buf_t buffer_;

  std::thread thread_;  // last: starts once the rest is made
};

} // namespace boxoffice::telemetry
