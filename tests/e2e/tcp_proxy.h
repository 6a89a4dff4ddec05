// A TCP forwarder on 127.0.0.1 that a test can break: between the server and
// its PostgreSQL, it makes "the database goes away" (cut: every connection
// closed, new ones refused), "the database hangs" (stall: connections stay
// open, nothing is forwarded) and "the database is back" (restore).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace boxoffice::e2e {

class tcp_proxy {
public:
  explicit tcp_proxy(uint16_t target_port);
  ~tcp_proxy();
  tcp_proxy(const tcp_proxy&) = delete;
  tcp_proxy& operator=(const tcp_proxy&) = delete;

  uint16_t port() const { return port_; }
  void cut();
  void stall();
  void restore();

private:
  enum class mode { forward, cut, stall };
  void run();
  void listen_now();

  uint16_t target_port_;
  uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<mode> mode_{mode::forward};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // listen_fd_ and pairs_ between the test and run()
  std::vector<std::pair<int, int>> pairs_;
  std::thread thread_;
};

} // namespace boxoffice::e2e
