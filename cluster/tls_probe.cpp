#include "cluster/tls_probe.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>
#include <memory>

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace boxoffice::cluster {

namespace {

struct fd_closer {
  int fd = -1;
  ~fd_closer() {
    if (fd >= 0)
      ::close(fd);
  }
};

// A TCP connection to host:port within `timeout`, with send and receive
// timeouts set to it; -1 (and why) if none.
int connect_within(const std::string& host, uint16_t port, std::chrono::milliseconds timeout,
                   std::string& why) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0 || !found) {
    why = "cannot resolve " + host;
    return -1;
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses{found, freeaddrinfo};
  int fd = ::socket(found->ai_family, found->ai_socktype | SOCK_NONBLOCK, found->ai_protocol);
  if (fd < 0) {
    why = std::strerror(errno);
    return -1;
  }
  fd_closer guard{fd};
  if (::connect(fd, found->ai_addr, found->ai_addrlen) != 0 && errno != EINPROGRESS) {
    why = std::strerror(errno);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  int error = 0;
  socklen_t len = sizeof error;
  if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1
      || getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    why = error ? std::strerror(error) : "connect timed out";
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  guard.fd = -1;
  return fd;
}

int passphrase_of(char* buf, int size, int, void* userdata) {
  const auto* pass = static_cast<const std::string*>(userdata);
  const auto n = std::min<size_t>(pass->size(), static_cast<size_t>(size));
  std::memcpy(buf, pass->data(), n);
  return static_cast<int>(n);
}

std::string openssl_error() {
  char text[256] = "TLS handshake failed";
  if (auto e = ERR_get_error())
    ERR_error_string_n(e, text, sizeof text);
  return text;
}

} // namespace

bool peer_certificate_ok(const std::string& host, uint16_t port, const tls_files& files,
                         std::chrono::milliseconds timeout, std::string& why) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{SSL_CTX_new(TLS_client_method()),
                                                        SSL_CTX_free};
  if (!ctx) {
    why = openssl_error();
    return false;
  }
  // As CAF's context (node_links.h): this node's certificate, the cluster's
  // CA, the same ciphers.
  auto pass = files.key_passphrase;
  SSL_CTX_set_default_passwd_cb(ctx.get(), passphrase_of);
  SSL_CTX_set_default_passwd_cb_userdata(ctx.get(), &pass);
  if (SSL_CTX_load_verify_locations(ctx.get(), files.ca_file.c_str(), nullptr) != 1
      || SSL_CTX_use_certificate_chain_file(ctx.get(), files.cert_file.c_str()) != 1
      || SSL_CTX_use_PrivateKey_file(ctx.get(), files.key_file.c_str(), SSL_FILETYPE_PEM) != 1
      || SSL_CTX_set_cipher_list(ctx.get(), "HIGH:!aNULL:!MD5") != 1) {
    why = openssl_error();
    return false;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  fd_closer fd{connect_within(host, port, timeout, why)};
  if (fd.fd < 0)
    return false;
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl{SSL_new(ctx.get()), SSL_free};
  if (!ssl || SSL_set_fd(ssl.get(), fd.fd) != 1) {
    why = openssl_error();
    return false;
  }
  const bool ok = SSL_connect(ssl.get()) == 1 && SSL_get_verify_result(ssl.get()) == X509_V_OK;
  if (!ok) {
    const auto verified = SSL_get_verify_result(ssl.get());
    why = verified != X509_V_OK ? std::string{"its certificate: "}
                                    + X509_verify_cert_error_string(verified)
                                : openssl_error();
  } else {
    SSL_shutdown(ssl.get());
  }
  ERR_clear_error();
  return ok;
}

caf::actor spawn_tls_probe(caf::actor_system& sys, tls_files files,
                           std::chrono::milliseconds timeout) {
  return sys.spawn<caf::detached>(
    [](caf::event_based_actor* self, tls_files files,
       std::chrono::milliseconds timeout) -> caf::behavior {
      return {
        [=](probe_atom, const std::string& host, uint16_t port) {
          // A peer that closes mid-handshake must not end this process:
          // a write to its socket raises SIGPIPE on this thread, which
          // blocks it (and ends with this actor, which quits next).
          sigset_t pipe;
          sigemptyset(&pipe);
          sigaddset(&pipe, SIGPIPE);
          pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
          std::string why;
          const bool ok = peer_certificate_ok(host, port, files, timeout, why);
          self->quit();
          return caf::make_message(ok, why);
        },
      };
    },
    std::move(files), timeout);
}

} // namespace boxoffice::cluster
