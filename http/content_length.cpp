#include "http/content_length.h"

#include "http/connection_guard.h"

#include <pistache/http.h>
#include <pistache/http_headers.h>

#include <atomic>
#include <memory>
#include <mutex>

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Header = Pistache::Http::Header;

namespace {

std::atomic<uint64_t> limit{0};

// Pistache answers the HttpError; the connection is then closed, so the
// unread body is never taken for requests (connection_guard.h).
[[noreturn]] void refuse(Http::Code code, const char* why) {
  refuse_connection();
  throw Http::HttpError(code, why);
}

// Is-a ContentLength, so the parser's tryGet<ContentLength>() (a static_cast
// after a name-hash check) still sees the right type.
class checked_content_length : public Header::ContentLength {
public:
  void parse(const std::string& data) override {
    auto first = data.find_first_not_of(" \t");
    auto last = data.find_last_not_of(" \t");
    if (first == std::string::npos)
      refuse(Http::Code::Bad_Request, "Invalid Content-Length");
    uint64_t value = 0;
    for (auto i = first; i <= last; ++i) {
      char c = data[i];
      if (c < '0' || c > '9')
        refuse(Http::Code::Bad_Request, "Invalid Content-Length");
      value = value * 10 + static_cast<uint64_t>(c - '0');
      if (value > limit.load())
        break;  // over the limit already; stop before the value can overflow
    }
    if (value > limit.load())
      refuse(Http::Code::Request_Entity_Too_Large, "Content-Length over the limit");
    ContentLength::parse(data.substr(first, last - first + 1));
  }
};

// 0.0.5 throws on a Content-Type it cannot parse ("garbage", or empty), and
// answers a plain-text 415 before any handler runs. Here it becomes no media
// type at all, so the route answers its own 415 problem (or ignores it on a
// bodiless request).
class lenient_content_type : public Header::ContentType {
public:
  void parseRaw(const char* str, size_t len) override {
    try {
      ContentType::parseRaw(str, len);
    } catch (...) {
      setMime(Http::Mime::MediaType());
    }
  }
};

// Registry::registerHeader refuses a name twice and its map is private. An
// explicit instantiation may name a private member (C++17 [temp.explicit]),
// which hands us a pointer to the map.
auto registry_member();

template <auto Member>
struct registry_access {
  friend auto registry_member() { return Member; }
};

template struct registry_access<&Header::Registry::registry>;

} // namespace

void install_checked_content_length(uint64_t content_length_max) {
  uint64_t cur = limit.load();
  while (cur < content_length_max && !limit.compare_exchange_weak(cur, content_length_max)) {
  }
  static std::once_flag once;
  std::call_once(once, [] {
    auto& map = Header::Registry::instance().*registry_member();
    map[Header::ContentLength::Name] = [] {
      return std::unique_ptr<Header::Header>(new checked_content_length());
    };
    map[Header::ContentType::Name] = [] {
      return std::unique_ptr<Header::Header>(new lenient_content_type());
    };
  });
}

} // namespace boxoffice::http
