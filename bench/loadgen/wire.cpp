#include "bench/loadgen/wire.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <stdexcept>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace boxoffice::loadgen {

namespace {

constexpr std::size_t response_bytes_max = 16 * 1024 * 1024;
constexpr int poll_ms = 20;  // how often the loop looks at the stop flag

// One connection's state. `request` is kept until its answer is in, so a
// connection that must be reopened first still sends it.
struct connection {
  wire_client* client = nullptr;
  int fd = -1;
  bool connecting = false;
  bool in_flight = false;    // a request is written (or being written)
  bool done = false;
  bool want_out = false;     // registered for EPOLLOUT
  std::string request;
  std::size_t written = 0;
  std::string in;
  wire_clock::time_point started;
};

// The parse of one whole response at the start of `in`.
struct parsed {
  bool complete = false;
  std::string error;         // a protocol error: the connection is closed
  int status = 0;
  std::size_t length = 0;    // header + body bytes
  std::size_t body_start = 0;
  bool close = false;
  std::string etag;
};

bool iequals_prefix(std::string_view line, std::string_view name) {
  if (line.size() < name.size())
    return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i])
      return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

parsed parse_response(const std::string& in) {
  parsed p;
  auto header_end = in.find("\r\n\r\n");
  if (header_end == std::string::npos) {
    if (in.size() > 64 * 1024)
      p.error = "response header too long";
    return p;
  }
  std::string_view head{in.data(), header_end};
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") {
    p.error = "not an HTTP response";
    return p;
  }
  p.status = std::atoi(std::string{head.substr(9, 3)}.c_str());
  bool has_length = false;
  std::size_t content_length = 0;
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos < head.size()) {
    auto next = head.find("\r\n", pos + 2);
    auto line = head.substr(pos + 2, next == std::string_view::npos ? head.npos : next - pos - 2);
    if (iequals_prefix(line, "content-length:")) {
      has_length = true;
      content_length = std::strtoull(std::string{trim(line.substr(15))}.c_str(), nullptr, 10);
    } else if (iequals_prefix(line, "transfer-encoding:")) {
      p.error = "chunked responses are not supported";
      return p;
    } else if (iequals_prefix(line, "etag:")) {
      p.etag = std::string{trim(line.substr(5))};
    } else if (iequals_prefix(line, "connection:")) {
      auto value = trim(line.substr(11));
      p.close = value.size() == 5 && iequals_prefix(value, "close");
    }
    pos = next;
  }
  // RFC 9110 §8.6: a 204 or a 304 has no body, and no Content-Length.
  if (!has_length && (p.status == 204 || p.status == 304))
    has_length = true;
  if (!has_length || content_length > response_bytes_max) {
    p.error = has_length ? "response too large" : "response without Content-Length";
    return p;
  }
  p.body_start = header_end + 4;
  p.length = p.body_start + content_length;
  p.complete = in.size() >= p.length;
  return p;
}

class loop {
public:
  loop(const std::string& ipv4, uint16_t port, const std::vector<wire_client*>& clients,
       double rate_per_s)
    : epoll_(::epoll_create1(EPOLL_CLOEXEC)), conns_(clients.size()),
      interval_(rate_per_s > 0 ? std::chrono::duration_cast<wire_clock::duration>(
                                   std::chrono::duration<double>(1.0 / rate_per_s))
                               : wire_clock::duration::zero()) {
    if (epoll_ < 0)
      throw std::runtime_error("epoll_create1 failed");
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(port);
    if (::inet_pton(AF_INET, ipv4.c_str(), &addr_.sin_addr) != 1)
      throw std::runtime_error("not an IPv4 address: " + ipv4);
    for (std::size_t i = 0; i < clients.size(); ++i)
      conns_[i].client = clients[i];
  }
  ~loop() {
    for (auto& c : conns_)
      close_fd(c);
    ::close(epoll_);
  }

  void run(const std::atomic<bool>& stop, wire_clock::duration drain_limit) {
    next_slot_ = wire_clock::now();
    for (auto& c : conns_)
      ready(c);
    std::vector<epoll_event> events(std::max<std::size_t>(conns_.size(), 1));
    bool stopping = false;
    wire_clock::time_point drain_deadline;
    while (live_ > 0) {
      retry_pending();
      if (!stopping)
        send_due();
      if (!stopping && stop.load(std::memory_order_relaxed)) {
        stopping = true;
        drain_deadline = wire_clock::now() + drain_limit;
        for (auto& c : conns_)
          if (!c.done && !c.in_flight)
            finish(c);
      }
      if (stopping && wire_clock::now() >= drain_deadline) {
        for (auto& c : conns_)
          if (!c.done)
            fail(c, "no answer before the drain limit", false);
        break;
      }
      auto wait = std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::milliseconds(retry_.empty() ? poll_ms : 0));
      if (paced() && !idle_.empty() && !stopping)
        wait = std::clamp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            next_slot_ - wire_clock::now()),
                          std::chrono::nanoseconds::zero(), wait);
      timespec timeout{static_cast<time_t>(wait.count() / 1'000'000'000),
                       static_cast<long>(wait.count() % 1'000'000'000)};
      int n = ::epoll_pwait2(epoll_, events.data(), static_cast<int>(events.size()), &timeout,
                             nullptr);
      for (int i = 0; i < n; ++i) {
        auto& c = conns_[events[static_cast<std::size_t>(i)].data.u64];
        auto mask = events[static_cast<std::size_t>(i)].events;
        if (c.done || c.fd < 0)
          continue;
        if (c.connecting) {
          if (mask & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            on_connected(c, stopping);
          continue;
        }
        if ((mask & EPOLLOUT) && c.written < c.request.size())
          write_some(c, stopping);
        if (!c.done && c.fd >= 0 && !c.connecting && (mask & (EPOLLIN | EPOLLHUP | EPOLLERR)))
          read_some(c, stopping);
      }
    }
  }

private:
  std::size_t index(const connection& c) const { return static_cast<std::size_t>(&c - conns_.data()); }

  void close_fd(connection& c) {
    if (c.fd >= 0) {
      ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
      ::close(c.fd);
      c.fd = -1;
    }
    c.connecting = false;
    c.want_out = false;
    c.in.clear();
  }

  void finish(connection& c) {
    close_fd(c);
    c.done = true;
    --live_;
  }

  // Connections that failed ask for their next request on the next turn of
  // the loop, not from inside the failure (no recursion while the server
  // refuses connections).
  void retry_pending() {
    std::vector<std::size_t> now;
    now.swap(retry_);
    for (auto i : now)
      if (!conns_[i].done)
        ready(conns_[i]);
  }

  bool paced() const { return interval_ != wire_clock::duration::zero(); }

  // A connection free for its next request: closed loop, it sends now;
  // open loop, it waits for the next send slot.
  void ready(connection& c) {
    c.in_flight = false;
    if (!paced()) {
      next(c, wire_clock::now());
      return;
    }
    idle_.push_back(index(c));
  }

  // Open loop: every slot due gets a free connection, timed from the slot
  // (its intended send time), however late it leaves. Slots that find no
  // free connection wait for one: their wait is part of their latency.
  void send_due() {
    if (!paced())
      return;
    auto now = wire_clock::now();
    while (!idle_.empty() && next_slot_ <= now) {
      auto& c = conns_[idle_.front()];
      idle_.pop_front();
      if (c.done)
        continue;
      auto slot = next_slot_;
      next_slot_ += interval_;
      next(c, slot);
    }
  }

  // Asks the client for its next request and sends it, opening a
  // connection first if there is none. `started`: what its latency is
  // counted from.
  void next(connection& c, wire_clock::time_point started) {
    c.in_flight = false;
    if (!c.client->next_request(c.request)) {
      finish(c);
      return;
    }
    c.written = 0;
    c.in_flight = true;
    c.started = started;
    if (c.fd < 0)
      open(c);
    else
      write_some(c, false);
  }

  void open(connection& c) {
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0)
      throw std::runtime_error(std::string{"socket: "} + std::strerror(errno));
    int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int rc = ::connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof(addr_));
    c.connecting = rc != 0;
    if (rc != 0 && errno != EINPROGRESS) {
      fail(c, std::string{"connect: "} + std::strerror(errno), true);
      return;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.connecting ? EPOLLOUT : 0u);
    ev.data.u64 = index(c);
    c.want_out = c.connecting;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &ev);
    if (!c.connecting)
      write_some(c, false);
  }

  void on_connected(connection& c, bool stopping) {
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      fail(c, std::string{"connect: "} + std::strerror(err), !stopping);
      return;
    }
    c.connecting = false;
    write_some(c, stopping);
  }

  void set_want_out(connection& c, bool want) {
    if (c.want_out == want)
      return;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
    ev.data.u64 = index(c);
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &ev);
    c.want_out = want;
  }

  void write_some(connection& c, bool stopping) {
    while (c.written < c.request.size()) {
      auto n = ::send(c.fd, c.request.data() + c.written, c.request.size() - c.written,
                      MSG_NOSIGNAL);
      if (n > 0) {
        c.written += static_cast<std::size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_want_out(c, true);
        return;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        fail(c, std::string{"send: "} + std::strerror(errno), !stopping);
        return;
      }
    }
    set_want_out(c, false);
  }

  void read_some(connection& c, bool stopping) {
    char buf[16384];
    for (;;) {
      auto n = ::recv(c.fd, buf, sizeof(buf), 0);
      if (n > 0) {
        c.in.append(buf, static_cast<std::size_t>(n));
        if (static_cast<std::size_t>(n) < sizeof(buf))
          break;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        break;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        fail(c, n == 0 ? "the server closed the connection" : std::strerror(errno), !stopping);
        return;
      }
    }
    auto p = parse_response(c.in);
    if (!p.error.empty()) {
      fail(c, p.error, !stopping);
      return;
    }
    if (!p.complete)
      return;
    if (!c.in_flight) {
      fail(c, "an answer nobody asked for", !stopping);
      return;
    }
    wire_response r;
    r.status = p.status;
    r.body.assign(c.in, p.body_start, p.length - p.body_start);
    r.etag = std::move(p.etag);
    auto latency = wire_clock::now() - c.started;
    c.in.erase(0, p.length);
    if (p.close || !c.in.empty())
      close_fd(c);
    c.in_flight = false;
    c.client->on_response(r, latency);
    if (stopping)
      finish(c);
    else
      ready(c);
  }

  // The request in flight (if any) gets no answer; the connection is
  // reopened for the next request, or finished.
  void fail(connection& c, const std::string& why, bool go_on) {
    close_fd(c);
    if (c.in_flight) {
      c.in_flight = false;
      wire_response r;
      r.error = why;
      c.client->on_response(r, wire_clock::now() - c.started);
    }
    if (go_on)
      retry_.push_back(index(c));
    else if (!c.done)
      finish(c);
  }

  int epoll_;
  sockaddr_in addr_{};
  std::vector<connection> conns_;
  std::size_t live_ = conns_.size();
  std::vector<std::size_t> retry_;  // failed connections waiting for their next request
  wire_clock::duration interval_;   // open loop: between send slots; zero: closed loop
  wire_clock::time_point next_slot_;
  std::deque<std::size_t> idle_;    // open loop: connections waiting for a slot
};

} // namespace

std::string format_request(const char* method, const std::string& path, const std::string& host,
                           const std::string& token, const std::string& body,
                           const std::string& extra_headers) {
  std::string r;
  r.reserve(160 + path.size() + token.size() + body.size());
  r.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  if (!token.empty())
    r.append("\r\nAuthorization: Bearer ").append(token);
  if (!body.empty())
    r.append("\r\nContent-Type: application/json");
  if (!body.empty() || std::strcmp(method, "GET") != 0)
    r.append("\r\nContent-Length: ").append(std::to_string(body.size()));
  r.append("\r\n").append(extra_headers).append("\r\n").append(body);
  return r;
}

void run_wire_loop(const std::string& ipv4, uint16_t port, std::vector<wire_client*> clients,
                   const std::atomic<bool>& stop, wire_clock::duration drain_limit,
                   double rate_per_s) {
  loop l{ipv4, port, clients, rate_per_s};
  l.run(stop, drain_limit);
}

} // namespace boxoffice::loadgen
