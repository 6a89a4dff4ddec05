#include "http/queue_stream.h"

#include "http/connection_guard.h"
#include "http/queue_codec.h"
#include "http/response.h"
#include "telemetry/instruments.h"

#include <caf/all.hpp>
#include <pistache/peer.h>

#include <atomic>

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;
namespace Tcp = Pistache::Tcp;
using clock = std::chrono::steady_clock;

namespace {

std::atomic<uint32_t> streams_open{0};

// How long a client waits before reconnecting (the SSE retry field).
constexpr uint32_t retry_ms = 2000;

struct stream_state {
  static inline const char* name = "boxoffice.queue_stream";
  std::weak_ptr<Tcp::Peer> peer;
  bool chunked = true;
  std::string last_id;
  clock::time_point last_write;
  clock::time_point last_refresh;
  bool asking = false;
};

using stream_actor = caf::stateful_actor<stream_state>;

// Writes to the stream; false when its connection is gone.
bool write(stream_actor* self, const std::string& data) {
  auto peer = self->state.peer.lock();
  if (!peer)
    return false;
  stream_write(peer, data, self->state.chunked);
  self->state.last_write = clock::now();
  return true;
}

void finish(stream_actor* self) {
  if (auto peer = self->state.peer.lock())
    end_stream(peer, self->state.chunked);
  self->quit();
}

caf::behavior stream_main(stream_actor* self, std::shared_ptr<Tcp::Peer> peer, bool chunked,
                          directory_actor dir, queue_ref ref, std::string last_id,
                          stream_limits limits, std::chrono::milliseconds timeout) {
  self->state.peer = peer;
  self->state.chunked = chunked;
  self->state.last_id = std::move(last_id);
  self->state.last_write = self->state.last_refresh = clock::now();
  keep_stream_alive(peer);
  streams_open.fetch_add(1);
  telemetry::add_queue_streams(1);
  self->attach_functor([] {
    streams_open.fetch_sub(1);
    telemetry::add_queue_streams(-1);
  });
  auto poll = std::chrono::milliseconds(limits.poll_ms);
  self->delayed_send(self, poll, queue_tick_atom::value);
  return {
    [=](queue_tick_atom) {
      auto& st = self->state;
      if (st.peer.expired())
        return self->quit();
      self->delayed_send(self, poll, queue_tick_atom::value);
      auto now = clock::now();
      if (now - st.last_write >= std::chrono::seconds(limits.heartbeat_s)
          && !write(self, ": ping\n\n"))
        return self->quit();
      if (now - st.last_refresh >= std::chrono::seconds(limits.refresh_s)) {
        st.last_refresh = now;
        if (auto p = st.peer.lock())
          keep_stream_alive(p);
      }
      if (st.asking)
        return;
      st.asking = true;
      self->request(dir, timeout, queue_status_request{ref})
        .then(
          [=](queue_status& s) {
            self->state.asking = false;
            auto ev = queue_sse_event(s, retry_ms);
            if (ev.id != self->state.last_id) {
              if (!write(self, ev.text))
                return self->quit();
              self->state.last_id = ev.id;
            }
            if (ev.last)
              finish(self);
          },
          [=](caf::error& err) {
            self->state.asking = false;
            if (to_errc(err) == errc::queue_entry_not_found) {
              write(self, "event: closed\nid: closed-gone\ndata: {\"state\":\"gone\"}\n\n");
              finish(self);
            }
            // Anything else (a timeout, an event moving): the next poll retries.
          });
    },
  };
}

} // namespace

uint32_t open_queue_streams() {
  return streams_open.load();
}

void open_queue_stream(api_context& api, queue_ref ref, const Rest::Request& req,
                       Http::ResponseWriter& w) {
  if (open_queue_streams() >= api.streams.streams_max)
    throw refusal{unavailable("Too many event streams are open; poll GET /v1/queue/{entry}")};
  std::string last_id;
  if (auto h = req.headers().tryGetRaw("Last-Event-ID"))
    last_id = h->value();
  auto dir = api.directory;
  auto timeout = api.gate->timeout();
  auto limits = api.streams;
  api.gate->submit(w, [=](caf::event_based_actor* self, reply_fn done) {
    self->request(dir, timeout, queue_status_request{ref})
      .then(
        [=](queue_status& s) {
          auto ev = queue_sse_event(s, retry_ms);
          bool seen = ev.id == last_id;
          reply r;
          r.status = 200;
          r.content_type = "text/event-stream";
          // A resumed stream that has seen this state gets a comment instead.
          r.body = seen ? std::string(": resumed\n\n") : ev.text;
          auto* sys = &self->system();
          r.stream = [=](const std::shared_ptr<Tcp::Peer>& peer, bool chunked) {
            if (ev.last) {
              end_stream(peer, chunked);
              return;
            }
            sys->spawn(stream_main, peer, chunked, dir, ref, ev.id, limits, timeout);
          };
          done(std::move(r));
        },
        [=](caf::error& err) { done(error_reply(err)); });
  });
}

} // namespace boxoffice::http
