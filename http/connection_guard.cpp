#include "http/connection_guard.h"

#include <pistache/peer.h>
#include <pistache/tcp.h>

#include <sys/socket.h>

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Tcp = Pistache::Tcp;

namespace {

thread_local bool refused = false;
constexpr const char* refused_key = "boxoffice.refused";

// The inner handler needs the transport its wrapper was given, and
// Tcp::Handler keeps it private. An explicit instantiation may name a
// private member (C++17 [temp.explicit]); see content_length.cpp.
auto transport_member();

template <auto Member>
struct transport_access {
  friend auto transport_member() { return Member; }
};

template struct transport_access<&Tcp::Handler::transport_>;

class guarded : public Http::Handler {
public:
  HTTP_PROTOTYPE(guarded)

  explicit guarded(std::shared_ptr<Http::Handler> inner) : inner_(std::move(inner)) {}

  // Pistache clones the handler per reactor thread, after the endpoint set
  // its limits and timeouts on the wrapper: the inner clone gets them too.
  guarded(const guarded& other)
      : Http::Handler(other),
        inner_(std::static_pointer_cast<Http::Handler>(other.inner_->clone())) {
    inner_->setMaxRequestSize(getMaxRequestSize());
    inner_->setMaxResponseSize(getMaxResponseSize());
    inner_->setHeaderTimeout(getHeaderTimeout());
    inner_->setBodyTimeout(getBodyTimeout());
  }

  void onRequest(const Http::Request&, Http::ResponseWriter) override {
    // Never called: the inner handler parses and answers.
  }

private:
  Tcp::Handler& inner() { return *inner_; }

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    (*inner_).*transport_member() = transport();
    inner().onConnection(peer);
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    inner().onDisconnection(peer);
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    if (peer->tryGetData(refused_key))
      return;  // the refused request's body, or anything after it
    refused = false;
    inner().onInput(buffer, len, peer);
    if (!refused)
      return;
    peer->putData(refused_key, std::make_shared<bool>(true));
    // Writes go out in order: once this empty one is written, so is the
    // refusal before it, and the connection can be shut.
    std::weak_ptr<Tcp::Peer> weak = peer;
    peer->send(Pistache::RawBuffer(std::string(), 0))
      .then(
        [weak](ssize_t) {
          if (auto p = weak.lock())
            ::shutdown(p->fd(), SHUT_RDWR);
        },
        Pistache::Async::IgnoreException);
  }

  std::shared_ptr<Http::Handler> inner_;
};

} // namespace

void refuse_connection() {
  refused = true;
}

std::shared_ptr<Http::Handler> guard_handler(std::shared_ptr<Http::Handler> inner) {
  return std::make_shared<guarded>(std::move(inner));
}

} // namespace boxoffice::http
