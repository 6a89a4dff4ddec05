#include "tests/e2e/tcp_proxy.h"

#include "tests/e2e/server_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <stdexcept>
#include <thread>

namespace boxoffice::e2e {

namespace {

int connect_to(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Copies what `from` has to `to`; false when `from` is done or failed.
bool pump(int from, int to) {
  char buf[16384];
  auto n = ::read(from, buf, sizeof buf);
  if (n <= 0)
    return false;
  for (ssize_t sent = 0; sent < n;) {
    auto w = ::write(to, buf + sent, static_cast<size_t>(n - sent));
    if (w <= 0)
      return false;
    sent += w;
  }
  return true;
}

} // namespace

// Below the ephemeral range (free_port): while cut, a client reconnecting to
// an ephemeral port can be given that very port as its own and connect to
// itself, which would keep restore() from listening again.
tcp_proxy::tcp_proxy(uint16_t target_port) : target_port_(target_port), port_(free_port()) {
  listen_now();
  thread_ = std::thread([this] { run(); });
}

tcp_proxy::~tcp_proxy() {
  stopping_ = true;
  thread_.join();
  std::lock_guard<std::mutex> guard{mutex_};
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
  for (auto [a, b] : pairs_) {
    ::close(a);
    ::close(b);
  }
}

void tcp_proxy::listen_now() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A socket closed by cut() is released only once the proxy thread's poll
  // lets go of it (at most 20 ms): retry a while. (Every socket here is
  // close-on-exec: a server started meanwhile must not inherit the port.)
  for (int attempt = 0; ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0;
       ++attempt) {
    if (attempt == 100) {
      std::string why = std::strerror(errno);
      ::close(fd);
      throw std::runtime_error("tcp_proxy: cannot bind port " + std::to_string(port_) + ": " + why);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (::listen(fd, 64) != 0) {
    ::close(fd);
    throw std::runtime_error("tcp_proxy: cannot listen");
  }
  listen_fd_ = fd;
}

// Resets rather than closes: the peer sees the connection die at once.
static void reset(int fd) {
  linger abort{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  ::close(fd);
}

void tcp_proxy::cut() {
  std::lock_guard<std::mutex> guard{mutex_};
  mode_ = mode::cut;
  ::close(listen_fd_);
  listen_fd_ = -1;
  for (auto [a, b] : pairs_) {
    reset(a);
    reset(b);
  }
  pairs_.clear();
}

void tcp_proxy::stall() {
  mode_ = mode::stall;
}

void tcp_proxy::restore() {
  std::lock_guard<std::mutex> guard{mutex_};
  if (listen_fd_ < 0)
    listen_now();
  mode_ = mode::forward;
}

// One thread, poll in 20 ms steps so that mode changes apply promptly.
void tcp_proxy::run() {
  while (!stopping_) {
    std::vector<pollfd> fds;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (listen_fd_ >= 0)
        fds.push_back({listen_fd_, POLLIN, 0});
      if (mode_ == mode::forward)
        for (auto [a, b] : pairs_) {
          fds.push_back({a, POLLIN, 0});
          fds.push_back({b, POLLIN, 0});
        }
    }
    if (::poll(fds.data(), fds.size(), 20) <= 0)
      continue;
    std::lock_guard<std::mutex> guard{mutex_};
    for (const auto& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      if (p.fd == listen_fd_) {
        int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0)
          continue;
        int server = connect_to(target_port_);
        if (server < 0)
          ::close(client);
        else
          pairs_.emplace_back(client, server);
        continue;
      }
      for (size_t i = 0; i < pairs_.size(); ++i) {
        auto [a, b] = pairs_[i];
        if (p.fd != a && p.fd != b)
          continue;
        if (!pump(p.fd, p.fd == a ? b : a)) {
          ::close(a);
          ::close(b);
          pairs_.erase(pairs_.begin() + static_cast<long>(i));
        }
        break;
      }
    }
  }
}

} // namespace boxoffice::e2e
