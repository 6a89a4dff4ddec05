#include "http/content_length.h"

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

// Is-a ContentLength, so the parser's tryGet<ContentLength>() (a static_cast
// after a name-hash check) still sees the right type.
class checked_content_length : public Header::ContentLength {
public:
  void parse(const std::string& data) override {
    auto first = data.find_first_not_of(" \t");
    auto last = data.find_last_not_of(" \t");
    if (first == std::string::npos)
      throw Http::HttpError(Http::Code::Bad_Request, "Invalid Content-Length");
    uint64_t value = 0;
    for (auto i = first; i <= last; ++i) {
      char c = data[i];
      if (c < '0' || c > '9')
        throw Http::HttpError(Http::Code::Bad_Request, "Invalid Content-Length");
      value = value * 10 + static_cast<uint64_t>(c - '0');
      if (value > limit.load())
        break;  // over the limit already; stop before the value can overflow
    }
    if (value > limit.load())
      throw Http::HttpError(Http::Code::Request_Entity_Too_Large,
                            "Content-Length over the limit");
    ContentLength::parse(data.substr(first, last - first + 1));
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
  });
}

} // namespace boxoffice::http
