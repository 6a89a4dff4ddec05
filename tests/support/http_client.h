// A small libcurl HTTP client for tests, and a raw-socket exchange for
// requests curl will not send. Shared by the in-process HTTP suites and the
// end-to-end tests against the real binary.
#pragma once

#include <cstdint>
#include <map>
#include <string>

typedef void CURL;

namespace boxoffice::test {

struct reply {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  long new_connections = -1;
};

// One easy handle: its connection is reused across requests when the
// server keeps it alive. Not thread-safe: one client per thread.
class client {
public:
  client();
  ~client();
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Sends Content-Type: application/json unless `headers` sets another
  // (an empty value removes it); throws std::runtime_error on a transport
  // failure (no HTTP answer).
  reply send(const std::string& method, const std::string& url, const std::string& body = "",
             const std::map<std::string, std::string>& headers = {});

private:
  CURL* h_;
};

// Sends raw bytes to 127.0.0.1:port and reads one response (headers plus
// Content-Length body), or whatever came within 2 s.
std::string raw_exchange(uint16_t port, const std::string& request);

} // namespace boxoffice::test
