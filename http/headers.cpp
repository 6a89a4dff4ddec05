#include "http/headers.h"

#include <memory>

namespace boxoffice::http {

namespace Http = Pistache::Http;

any_header::any_header(std::string name, std::string value)
    : name_(std::move(name)), value_(std::move(value)) {}

const char* any_header::name() const {
  return name_.c_str();
}

void any_header::write(std::ostream& os) const {
  os << value_;
}

#ifdef SAFE_HEADER_CAST
// Same hash as a typed header of that name, so header_cast<> stays safe.
uint64_t any_header::hash() const {
  return Http::Header::detail::hash(name_.c_str());
}
#endif

void set_header(Http::ResponseWriter& w, const std::string& name, std::string value) {
  w.headers().remove(name);
  w.headers().add(std::make_shared<any_header>(name, std::move(value)));
}

} // namespace boxoffice::http
