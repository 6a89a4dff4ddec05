#include "http/lenient_headers.h"

#include <pistache/http.h>
#include <pistache/http_headers.h>

#include <memory>
#include <mutex>

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Header = Pistache::Http::Header;

namespace {

// Is-a ContentType, so the parser's tryGet<ContentType>() (a static_cast
// after a name-hash check) still sees the right type.
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

void install_lenient_content_type() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto& map = Header::Registry::instance().*registry_member();
    map[Header::ContentType::Name] = [] {
      return std::unique_ptr<Header::Header>(new lenient_content_type());
    };
  });
}

} // namespace boxoffice::http
