// The HTTP ceiling of our stack (issue 17): Pistache 0.0.5 answering every
// request with a constant body, on the same endpoint options as boxoffice
// (threads, keep-alive), with no routing, framing, tracing or logging. The
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

  void onRequest(const Pistache::Http::Request&, Pistache::Http::ResponseWriter w) override {
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
