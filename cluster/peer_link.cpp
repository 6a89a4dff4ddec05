#include "cluster/peer_link.h"

#include <spdlog/spdlog.h>

#include <unordered_map>

namespace boxoffice::cluster {

namespace {

struct link_state {
  std::string peer;
  caf::actor door;
  uint64_t next = 0;
  std::unordered_map<uint64_t, caf::response_promise> pending;
};

// Delivers to the pending forward `id`, if it is still pending: an answer
// that comes after the link failed it (or after its timeout) is dropped.
template <class T>
void finish(caf::stateful_actor<link_state>* self, uint64_t id, T&& x) {
  auto i = self->state.pending.find(id);
  if (i == self->state.pending.end())
    return;
  auto rp = std::move(i->second);
  self->state.pending.erase(i);
  rp.deliver(std::forward<T>(x));
}

caf::behavior peer_link(caf::stateful_actor<link_state>* self, std::string peer,
                        caf::actor door) {
  self->state.peer = std::move(peer);
  self->state.door = door;
  self->monitor(door);
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.source != self->state.door.address())
      return;
    auto& st = self->state;
    spdlog::warn("cluster: link to {} is down ({}); failing {} pending forwards", st.peer,
                 self->system().render(dm.reason), st.pending.size());
    auto pending = std::move(st.pending);
    st.pending.clear();
    for (auto& [id, rp] : pending)
      rp.deliver(make_error(errc::owner_unreachable));
    self->quit(dm.reason);
  });
  return {
    [self](forward_atom, forward_envelope& env) {
      auto& st = self->state;
      auto rp = self->make_response_promise();
      if (env.remaining_ms == 0) {
        rp.deliver(caf::make_error(caf::sec::request_timeout));
        return rp;
      }
      auto id = ++st.next;
      st.pending.emplace(id, rp);
      auto timeout = std::chrono::milliseconds(env.remaining_ms);
      self->request(st.door, timeout, forward_atom::value, std::move(env))
        .then([self, id](forward_answer& a) { finish(self, id, std::move(a)); },
              [self, id](caf::error& err) { finish(self, id, std::move(err)); });
      return rp;
    },
    [self](forward_atom) { return static_cast<uint64_t>(self->state.pending.size()); },
  };
}

} // namespace

caf::actor spawn_peer_link(caf::actor_system& sys, std::string peer, caf::actor door) {
  return sys.spawn(peer_link, std::move(peer), std::move(door));
}

} // namespace boxoffice::cluster
