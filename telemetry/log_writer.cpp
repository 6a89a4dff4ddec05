#include "telemetry/log_writer.h"

#include <spdlog/pattern_formatter.h>

namespace boxoffice::telemetry {

log_writer::log_writer(std::FILE* out, size_t lines_max, std::chrono::microseconds gather)
    : out_(out), lines_max_(std::max<size_t>(lines_max, 1)), gather_(gather),
      formatter_(std::make_unique<spdlog::pattern_formatter>()), thread_([this] { run(); }) {}

log_writer::~log_writer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void log_writer::log(const spdlog::details::log_msg& msg) {
  push(msg.time, msg.level, std::string(msg.payload.data(), msg.payload.size()));
}

void log_writer::push(spdlog::log_clock::time_point time, spdlog::level::level_enum level,
                      std::string payload) {
  line l{time, level, std::move(payload)};
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= lines_max_) {
      queue_.pop_front();
      ++written_total_;  // accounted for: flush() need not wait for it
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
    queue_.push_back(std::move(l));
    ++queued_total_;
    wake = std::exchange(asleep_, false);
  }
  if (wake)
    wake_.notify_one();
}

void log_writer::flush() {
  std::unique_lock lock(mutex_);
  auto target = queued_total_;
  if (std::exchange(asleep_, false))
    wake_.notify_one();
  written_.wait(lock, [&] { return written_total_ >= target || stopping_; });
}

void log_writer::set_pattern(const std::string& pattern) {
  set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern));
}

void log_writer::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  std::lock_guard lock(format_mutex_);
  formatter_ = std::move(formatter);
}

void log_writer::run() {
  std::deque<line> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    if (queue_.empty()) {
      if (stopping_)
        return;
      asleep_ = true;
      wake_.wait(lock, [&] { return !asleep_ || stopping_; });
      asleep_ = false;
      continue;
    }
    batch.swap(queue_);
    lock.unlock();
    auto n = batch.size();
    write(batch);
    lock.lock();
    written_total_ += n;
    written_.notify_all();
    if (!stopping_ && queue_.size() < lines_max_ / 2) {
      // Let more lines gather: one wake-up and one write for all of them.
      lock.unlock();
      std::this_thread::sleep_for(gather_);
      lock.lock();
    }
  }
}

void log_writer::write(std::deque<line>& batch) {
  {
    std::lock_guard lock(format_mutex_);
    for (auto& l : batch) {
      spdlog::details::log_msg msg(l.time, spdlog::source_loc{}, "", l.level,
                                   spdlog::string_view_t(l.payload.data(), l.payload.size()));
      formatter_->format(msg, buffer_);
    }
  }
  batch.clear();
  std::fwrite(buffer_.data(), 1, buffer_.size(), out_);
  std::fflush(out_);
  buffer_.clear();
}

} // namespace boxoffice::telemetry
