#include "http/connection_guard.h"

#include "http/request_trace.h"
#include "http/response.h"
#include "telemetry/logging.h"

#include <pistache/async.h>
#include <pistache/cookie.h>
#include <pistache/http_headers.h>
#include <pistache/peer.h>
#include <pistache/tcp.h>
#include <pistache/transport.h>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

namespace boxoffice::http {

namespace Async = Pistache::Async;
namespace Http = Pistache::Http;
namespace Tcp = Pistache::Tcp;
using clock = std::chrono::steady_clock;

namespace {

// Short enough for std::string's small buffer: Peer::tryGetData takes the
// key as a std::string, several times per request.
constexpr const char* connection_key = "bo.connection";

// Set when the request given to Pistache reached the server's code
// (note_dispatch); still false after, Pistache refused it itself.
thread_local bool dispatched = false;

// Timer fds that have fired. Pistache erases a timer's entry only after its
// continuation ran, so a fd is closed on the next event of this reactor,
// never in its own continuation (a new timer could get the number while
// the old entry is still there, and be refused as "already armed").
thread_local std::vector<int> spent_timers;

void close_spent_timers() {
  for (int fd : spent_timers)
    ::close(fd);
  spent_timers.clear();
}

// The inner handler needs the transport its wrapper was given, and
// Tcp::Handler keeps it private. An explicit instantiation may name a
// private member (C++17 [temp.explicit]); see lenient_headers.cpp.
auto transport_member();

template <auto Member>
struct transport_access {
  friend auto transport_member() { return Member; }
};

template struct transport_access<&Tcp::Handler::transport_>;

class guarded;

struct connection {
  connection(guarded* g, const connection_limits& limits, Tcp::Transport* t,
             const std::shared_ptr<Tcp::Peer>& p)
      : owner(g), framer(limits.framing), transport(t), reactor(std::this_thread::get_id()),
        peer(p) {}

  // Fixed, or touched on the connection's reactor thread only.
  guarded* owner;
  request_framer framer;
  Tcp::Transport* transport;
  std::thread::id reactor;
  std::weak_ptr<Tcp::Peer> peer;
  uint64_t timed_message = 0;  // the request the deadline below belongs to
  bool timed_body = false;     // ...and whether its body is what is awaited
  clock::time_point phase_started;
  bool timer_armed = false;
  bool pumping = false;
  // Header fields of this connection's requests that parsed: a client sends
  // the same few with every request (Host, User-Agent, Accept...), and the
  // parse of a field gives the same answer every time.
  std::vector<std::pair<std::string, std::string>> headers_passed;

  // Any thread, under m.
  std::mutex m;
  std::deque<framed_request> waiting;
  std::optional<problem> refusal;  // answered once the requests before it are
  bool in_flight = false;          // a request is with the server, unanswered
  exchange current;
  bool closing = false;  // nothing more is read; close once all is answered
  bool closed = false;   // the close is under way
};

std::shared_ptr<connection> connection_of(const std::shared_ptr<Tcp::Peer>& peer) {
  return std::static_pointer_cast<connection>(peer->tryGetData(connection_key));
}

// Runs `fn` on c's reactor thread `after` from now, through a one-shot timer
// fd: Transport::armTimer is the one thread-safe way into a reactor, and
// its continuation runs there. The continuation is attached before the
// timer is handed over, so it can never run on the calling thread.
void on_reactor(const std::shared_ptr<connection>& c, std::chrono::milliseconds after,
                std::function<void()> fn) {
  int fd = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    telemetry::log(spdlog::level::err, "timerfd_create failed", {{"errno", errno}});
    return;
  }
  Async::Deferred<uint64_t> deferred;
  Async::Promise<uint64_t> timer(
    [&](Async::Deferred<uint64_t> d) { deferred = std::move(d); });
  timer.then(
    [fd, fn = std::move(fn)](uint64_t) {
      spent_timers.push_back(fd);
      fn();
    },
    [fd](std::exception_ptr) { spent_timers.push_back(fd); });
  c->transport->armTimer(fd, std::max(after, std::chrono::milliseconds(1)), std::move(deferred));
}

// At most this many fields of this size are remembered per connection.
constexpr size_t headers_passed_max = 16;
constexpr size_t header_passed_bytes_max = 256;

// Pistache would answer these itself, in plain text, while parsing the
// request's headers: its typed headers that do not parse, and cookies.
// `passed`: fields known to parse, skipped; those that parse now are added.
std::optional<problem> header_problem(const framed_request& r,
                                      std::vector<std::pair<std::string, std::string>>& passed) {
  auto& registry = Http::Header::Registry::instance();
  for (const auto& field : r.headers) {
    const auto& [name, value] = field;
    if (std::find(passed.begin(), passed.end(), field) != passed.end())
      continue;
    try {
      if (Http::Header::LowercaseEqualStatic(name, "cookie")) {
        Http::CookieJar jar;
        jar.addFromRaw(value.data(), value.size());
      } else if (Http::Header::LowercaseEqualStatic(name, "set-cookie")) {
        Http::Cookie::fromRaw(value.data(), value.size());
      } else if (registry.isRegistered(name)) {
        registry.makeHeader(name)->parseRaw(value.data(), value.size());
      }
    } catch (const std::exception&) {
      return malformed_request("The " + name + " header is not valid");
    }
    if (passed.size() < headers_passed_max
        && name.size() + value.size() <= header_passed_bytes_max)
      passed.push_back(field);
  }
  return std::nullopt;
}

void send_bytes(const std::shared_ptr<Tcp::Peer>& peer, std::string bytes) {
  size_t size = bytes.size();
  peer->send(Pistache::RawBuffer(std::move(bytes), size));
}

// Writes an empty buffer after what is queued; once it is written, so is
// everything before it (writes leave in order), and the connection is shut.
// On the reactor thread only: continuing a send's promise elsewhere races.
void close_after_writes(const std::shared_ptr<Tcp::Peer>& peer) {
  std::weak_ptr<Tcp::Peer> weak = peer;
  peer->send(Pistache::RawBuffer(std::string(), 0))
    .then(
      [weak](ssize_t) {
        if (auto p = weak.lock())
          ::shutdown(p->fd(), SHUT_RDWR);
      },
      Async::IgnoreException);
}

class guarded : public Http::Handler {
public:
  HTTP_PROTOTYPE(guarded)

  guarded(std::shared_ptr<Http::Handler> inner, connection_limits limits,
          std::function<std::string()> request_id)
      : inner_(std::move(inner)), limits_(limits), request_id_(std::move(request_id)) {}

  // Pistache clones the handler per reactor thread, after the endpoint set
  // its limits and timeouts on the wrapper: the inner clone gets them too.
  guarded(const guarded& other)
      : Http::Handler(other),
        inner_(std::static_pointer_cast<Http::Handler>(other.inner_->clone())),
        limits_(other.limits_),
        request_id_(other.request_id_) {
    inner_->setMaxRequestSize(getMaxRequestSize());
    inner_->setMaxResponseSize(getMaxResponseSize());
    inner_->setHeaderTimeout(getHeaderTimeout());
    inner_->setBodyTimeout(getBodyTimeout());
  }

  void onRequest(const Http::Request&, Http::ResponseWriter) override {
    // Never called: the inner handler parses and answers.
  }

  // Gives the waiting requests to Pistache one at a time, and answers the
  // refusal or closes the connection once they are all answered. Reactor
  // thread only; a response written synchronously (inside inner onInput)
  // lets the loop go on.
  void pump(const std::shared_ptr<connection>& c, const std::shared_ptr<Tcp::Peer>& peer) {
    if (c->pumping)
      return;
    c->pumping = true;
    while (next(c, peer)) {
    }
    c->pumping = false;
  }

  // The request the server is answering on `c` is answered.
  void answered(const std::shared_ptr<connection>& c, const std::shared_ptr<Tcp::Peer>& peer) {
    if (std::this_thread::get_id() == c->reactor) {
      pump(c, peer);
      return;
    }
    {
      std::lock_guard lock(c->m);
      if (c->waiting.empty() && !c->refusal && !c->closing)
        return;  // nothing to do until more bytes arrive
    }
    std::weak_ptr<Tcp::Peer> weak = peer;
    on_reactor(c, std::chrono::milliseconds(1), [this, c, weak] {
      if (auto p = weak.lock())
        pump(c, p);
    });
  }

  // Makes Pistache's idle check count the connection as fresh (it measures
  // keepalive_timeout from the parser's last reset), on the reactor thread.
  void refresh(const std::shared_ptr<connection>& c) {
    on_reactor(c, std::chrono::milliseconds(1), [c] {
      if (auto p = c->peer.lock())
        Http::Handler::getParser(p)->reset();
    });
  }

private:
  Tcp::Handler& inner() { return *inner_; }

  // One step of pump(): false when there is nothing to do now.
  bool next(const std::shared_ptr<connection>& c, const std::shared_ptr<Tcp::Peer>& peer) {
    framed_request r;
    {
      std::unique_lock lock(c->m);
      if (c->in_flight || c->closed)
        return false;
      if (c->waiting.empty()) {
        if (!c->refusal && !c->closing)
          return false;
        c->closing = c->closed = true;
        auto refusal = std::exchange(c->refusal, std::nullopt);
        bool http10 = c->current.http10;
        lock.unlock();
        if (refusal)
          answer_refusal(peer, *refusal, http10);
        close_after_writes(peer);
        return false;
      }
      r = std::move(c->waiting.front());
      c->waiting.pop_front();
      c->current = exchange{r.head, r.keep_alive, r.http10};
      if (!r.keep_alive)
        c->closing = true;
      if (auto bad = header_problem(r, c->headers_passed)) {
        c->refusal = std::move(bad);
        c->waiting.clear();
        return true;
      }
      c->in_flight = true;
    }
    dispatched = false;
    inner().onInput(r.bytes.data(), r.bytes.size(), peer);
    if (!dispatched) {
      // Pistache answered it in plain text (no case known: header_problem
      // checks what it would refuse); nothing after it is read.
      std::lock_guard lock(c->m);
      c->in_flight = false;
      c->closing = true;
      c->waiting.clear();
      c->refusal.reset();
    }
    return true;
  }

  void answer_refusal(const std::shared_ptr<Tcp::Peer>& peer, const problem& p, bool http10) {
    auto trace = std::make_shared<request_trace>();
    trace->id = request_id_();
    trace->method = "-";
    trace->route = "unparsed";
    trace->path = "-";
    trace->client = peer->address().host();
    trace_scope scope{trace};
    close_current_trace(p.status, p.status >= 500 ? p.detail : "");
    response_bytes r(exchange{false, false, http10}, p.status);
    r.header("X-Request-Id", trace->id);
    r.problem_headers(p);
    send_bytes(peer, r.finish("application/problem+json", problem_body(p)));
  }

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    (*inner_).*transport_member() = transport();
    inner().onConnection(peer);
    peer->putData(connection_key, std::make_shared<connection>(this, limits_, transport(), peer));
    // Idle until a whole request reaches Pistache: Pistache's own timeouts
    // then only close connections kept open with nothing on the way.
    peer->setIdle(true);
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    close_spent_timers();
    inner().onDisconnection(peer);
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    close_spent_timers();
    auto c = connection_of(peer);
    {
      std::lock_guard lock(c->m);
      if (c->closing || c->refusal)
        return;  // the bytes after a refusal or a last request: never read
    }
    c->framer.feed({buffer, len});
    take_ready(*c);
    watch_deadline(c, peer);
    if (c->framer.take_continue()) {
      std::lock_guard lock(c->m);
      if (!c->in_flight && c->waiting.empty())
        peer->send(Pistache::RawBuffer("HTTP/1.1 100 Continue\r\n\r\n", 25));
    }
    pump(c, peer);
  }

  void take_ready(connection& c) {
    auto& ready = c.framer.ready();
    std::lock_guard lock(c.m);
    for (; !ready.empty() && !c.refusal; ready.pop_front()) {
      if (c.waiting.size() >= limits_.pipelined_max)
        c.refusal = too_many_pipelined(limits_.pipelined_max);
      else
        c.waiting.push_back(std::move(ready.front()));
    }
    if (!c.refusal && c.framer.refusal())
      c.refusal = *c.framer.refusal();
  }

  // A request on its way must be whole within header_timeout of its first
  // byte, and its body within body_timeout of its head.
  void watch_deadline(const std::shared_ptr<connection>& c,
                      const std::shared_ptr<Tcp::Peer>& peer) {
    if (!c->framer.partial() || c->framer.refusal())
      return;
    bool body = c->framer.awaiting_body();
    if (c->framer.begun() != c->timed_message || body != c->timed_body) {
      c->timed_message = c->framer.begun();
      c->timed_body = body;
      c->phase_started = clock::now();
      // Pistache closes a connection that looks idle keepalive_timeout after
      // its parser's last reset: one with a request on its way is not idle.
      Http::Handler::getParser(peer)->reset();
    }
    if (!c->timer_armed)
      arm_deadline(c);
  }

  void arm_deadline(const std::shared_ptr<connection>& c) {
    auto limit = c->timed_body ? limits_.body_timeout : limits_.header_timeout;
    auto left = std::chrono::ceil<std::chrono::milliseconds>(c->phase_started + limit
                                                             - clock::now());
    c->timer_armed = true;
    on_reactor(c, left, [this, c] { deadline_passed(c); });
  }

  void deadline_passed(const std::shared_ptr<connection>& c) {
    c->timer_armed = false;
    auto peer = c->peer.lock();
    if (!peer || !c->framer.partial() || c->framer.refusal())
      return;
    auto limit = c->timed_body ? limits_.body_timeout : limits_.header_timeout;
    if (clock::now() < c->phase_started + limit) {
      arm_deadline(c);  // a later phase, or a timer that fired early
      return;
    }
    {
      std::lock_guard lock(c->m);
      if (c->refusal || c->closing)
        return;
      c->refusal = client_timeout();
    }
    pump(c, peer);
  }

  std::shared_ptr<Http::Handler> inner_;
  connection_limits limits_;
  std::function<std::string()> request_id_;
};

} // namespace

std::shared_ptr<Http::Handler> guard_handler(std::shared_ptr<Http::Handler> inner,
                                             connection_limits limits,
                                             std::function<std::string()> request_id) {
  return std::make_shared<guarded>(std::move(inner), limits, std::move(request_id));
}

exchange current_exchange(const std::shared_ptr<Tcp::Peer>& peer) {
  auto c = connection_of(peer);
  if (!c)
    return {};
  std::lock_guard lock(c->m);
  return c->current;
}

void send_response(const std::shared_ptr<Tcp::Peer>& peer, std::string bytes) {
  auto c = connection_of(peer);
  peer->setIdle(true);
  // Queued before the request counts as answered: the next request is let
  // in only after, so its response is queued after this one.
  send_bytes(peer, std::move(bytes));
  if (!c)
    return;
  {
    std::lock_guard lock(c->m);
    c->in_flight = false;
  }
  c->owner->answered(c, peer);
}

void start_stream(const std::shared_ptr<Tcp::Peer>& peer, std::string head) {
  auto c = connection_of(peer);
  peer->setIdle(true);
  if (c) {
    std::lock_guard lock(c->m);
    c->closing = true;  // the stream is the connection's last answer
  }
  send_bytes(peer, std::move(head));
}

void stream_write(const std::shared_ptr<Tcp::Peer>& peer, const std::string& data, bool chunked) {
  if (data.empty())
    return;  // an empty chunk would end the stream
  if (!chunked)
    return send_bytes(peer, data);
  char size[20];
  int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string framed;
  framed.reserve(static_cast<size_t>(n) + data.size() + 2);
  framed.append(size, static_cast<size_t>(n)).append(data).append("\r\n");
  send_bytes(peer, std::move(framed));
}

void keep_stream_alive(const std::shared_ptr<Tcp::Peer>& peer) {
  if (auto c = connection_of(peer))
    c->owner->refresh(c);
}

void end_stream(const std::shared_ptr<Tcp::Peer>& peer, bool chunked) {
  if (chunked)
    send_bytes(peer, "0\r\n\r\n");
  auto c = connection_of(peer);
  if (!c)
    return;
  {
    std::lock_guard lock(c->m);
    c->in_flight = false;
    c->closing = true;
  }
  c->owner->answered(c, peer);
}

void note_dispatch() {
  dispatched = true;
}

} // namespace boxoffice::http
