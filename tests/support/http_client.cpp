#include "tests/support/http_client.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <stdexcept>

namespace boxoffice::test {

namespace {

size_t on_body(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    value.erase(value.find_last_not_of("\r\n ") + 1);
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
  }
  return size * n;
}

} // namespace

client::client() : h_(curl_easy_init()) {}

client::~client() {
  curl_easy_cleanup(h_);
}

reply client::send(const std::string& method, const std::string& url, const std::string& body,
                   const std::map<std::string, std::string>& headers) {
  reply r;
  curl_easy_reset(h_);  // keeps live connections
  curl_easy_setopt(h_, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h_, CURLOPT_TIMEOUT_MS, 30000L);
  curl_easy_setopt(h_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h_, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h_, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h_, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h_, CURLOPT_HEADERDATA, &r.headers);
  curl_slist* hdrs = curl_slist_append(nullptr, "Expect:");  // no 100-continue wait
  if (!headers.count("Content-Type"))
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
  for (const auto& [name, value] : headers)
    hdrs = curl_slist_append(hdrs, (name + (value.empty() ? ";" : ": " + value)).c_str());
  curl_easy_setopt(h_, CURLOPT_HTTPHEADER, hdrs);
  if (method == "HEAD") {
    curl_easy_setopt(h_, CURLOPT_NOBODY, 1L);
  } else if (method != "GET" || !body.empty()) {
    curl_easy_setopt(h_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h_, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  auto rc = curl_easy_perform(h_);
  curl_slist_free_all(hdrs);
  if (rc != CURLE_OK)
    throw std::runtime_error(std::string{"curl: "} + curl_easy_strerror(rc));
  curl_easy_getinfo(h_, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(h_, CURLINFO_NUM_CONNECTS, &r.new_connections);
  return r;
}

namespace {

int connect_loopback(uint16_t port, int timeout_ms) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket");
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot connect to the server");
  }
  return fd;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

} // namespace

conversation raw_conversation(uint16_t port, const std::vector<std::string>& writes, int gap_ms,
                              int quiet_ms) {
  int fd = connect_loopback(port, quiet_ms);
  conversation c;
  for (size_t i = 0; i < writes.size(); ++i) {
    if (i > 0)
      ::usleep(static_cast<useconds_t>(gap_ms) * 1000);
    if (::send(fd, writes[i].data(), writes[i].size(), MSG_NOSIGNAL)
        != static_cast<ssize_t>(writes[i].size()))
      break;  // the server closed: what it sent is still read below
  }
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    // A signal (SIGCHLD of a child the test ran) is not the server's answer.
    if (n < 0 && errno == EINTR)
      continue;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
      c.closed = true;
    if (n <= 0)
      break;
    c.received.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return c;
}

std::vector<reply> split_responses(const std::string& bytes, const std::vector<bool>& heads) {
  std::vector<reply> out;
  size_t at = 0;
  while (at < bytes.size()) {
    auto end = bytes.find("\r\n\r\n", at);
    if (end == std::string::npos || bytes.compare(at, 9, "HTTP/1.1 ") != 0)
      break;
    reply r;
    r.status = std::stol(bytes.substr(at + 9, 3));
    auto line = bytes.find("\r\n", at) + 2;
    while (line < end) {
      auto eol = bytes.find("\r\n", line);
      auto colon = bytes.find(':', line);
      if (colon < eol) {
        auto value = bytes.substr(colon + 1, eol - colon - 1);
        value.erase(0, value.find_first_not_of(' '));
        r.headers[lower(bytes.substr(line, colon - line))] = value;
      }
      line = eol + 2;
    }
    size_t length = 0;
    bool head = out.size() < heads.size() && heads[out.size()];
    if (!head && r.headers.count("content-length"))
      length = std::stoul(r.headers["content-length"]);
    r.body = bytes.substr(end + 4, length);
    at = end + 4 + length;
    out.push_back(std::move(r));
  }
  return out;
}

std::string raw_exchange(uint16_t port, const std::string& request) {
  int fd = connect_loopback(port, 2000);
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL)
      != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    throw std::runtime_error("cannot send to the server");
  }
  std::string in;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    in.append(buf, static_cast<size_t>(n));
    auto end = in.find("\r\n\r\n");
    auto cl = in.find("Content-Length: ");
    if (end != std::string::npos && cl != std::string::npos
        && in.size() >= end + 4 + std::stoul(in.substr(cl + 16)))
      break;
  }
  ::close(fd);
  return in;
}

} // namespace boxoffice::test
