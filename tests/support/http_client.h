// A small libcurl HTTP client for tests, and a raw-socket exchange for
// requests curl will not send. Shared by the in-process HTTP suites and the
// end-to-end tests against the real binary.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

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

// Sends each of `writes` on one connection, `gap_ms` apart (so that the
// server reads them separately), then reads until the server closes the
// connection or says nothing for `quiet_ms`.
struct conversation {
  std::string received;
  bool closed = false;  // the server closed the connection
};
conversation raw_conversation(uint16_t port, const std::vector<std::string>& writes,
                              int gap_ms = 100, int quiet_ms = 1000);

// The responses in `bytes`, cut by their Content-Length (a response to HEAD
// has none of its body: pass heads, one flag per response, when some are).
std::vector<reply> split_responses(const std::string& bytes, const std::vector<bool>& heads = {});

} // namespace boxoffice::test
