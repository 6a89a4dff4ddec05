#include "tests/support/http_client.h"

#include <curl/curl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
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

std::string raw_exchange(uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    throw std::runtime_error("socket");
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0
      || ::send(fd, request.data(), request.size(), MSG_NOSIGNAL)
           != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    throw std::runtime_error("cannot send to the server");
  }
  std::string in;
  char buf[4096];
  for (;;) {
    auto n = ::recv(fd, buf, sizeof buf, 0);
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
