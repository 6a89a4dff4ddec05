// The HTTP ceiling of our stack (issue 17): Pistache 0.0.5 answering every
// request with a constant body, on the same endpoint options as boxoffice
// (threads, keep-alive: see onRequest), with no routing, framing, tracing or logging. The
// benchmarks compare boxoffice's GET /v1/health with this, in the same run.
// Usage: bare_pistache PORT [THREADS]
#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <csignal>
#include <cstdlib>
#include <iostream>

namespace {

class constant : public Pistache::Http::Handler {
public:
  HTTP_PROTOTYPE(constant)

  void onRequest(const Pistache::Http::Request& req, Pistache::Http::ResponseWriter w) override {
    // 0.0.5 answers "Connection: Close" to an HTTP/1.1 request without a
    // Connection header, and the client reconnects for every request;
    // boxoffice keeps such connections open, and so does this.
    namespace Header = Pistache::Http::Header;
    if (req.version() == Pistache::Http::Version::Http11 && !req.headers().has<Header::Connection>()) {
      w.headers().remove<Header::Connection>();
      w.headers().add<Header::Connection>(Pistache::Http::ConnectionControl::KeepAlive);
    }
    w.headers().add<Pistache::Http::Header::ContentType>(MIME(Application, Json));
    w.send(Pistache::Http::Code::Ok, "{\"status\":\"ok\"}");
  }
};

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bare_pistache PORT [THREADS]\n";
    return 2;
  }
  auto port = static_cast<uint16_t>(std::atoi(argv[1]));
  int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Pistache::Http::Endpoint endpoint(Pistache::Address(Pistache::Ipv4::loopback(), port));
  endpoint.init(Pistache::Http::Endpoint::options().threads(threads).flags(
    Pistache::Tcp::Options::ReuseAddr));
  endpoint.setHandler(Pistache::Http::make_handler<constant>());
  endpoint.serveThreaded();
  std::cout << "listening on 127.0.0.1:" << port << std::endl;
  int sig = 0;
  sigwait(&signals, &sig);
  endpoint.shutdown();
}
