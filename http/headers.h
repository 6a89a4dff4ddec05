// Response headers Pistache 0.0.5 would otherwise drop or get wrong.
//
// any_header: 0.0.5 writes only *typed* headers;
// headers().addRaw() is silently never sent. any_header is a typed header
// whose name is chosen at run time, so Content-Type: application/problem+json,
// Retry-After, Allow or X-Request-Id reach the wire.
// (Connection, Date and Content-Length are written by response.cpp.)
//
// REQUIRES: these run on the thread that owns the writer (the reactor thread,
// or whoever the writer was handed to).
#pragma once

#include <pistache/http.h>

#include <string>

namespace boxoffice::http {

class any_header : public Pistache::Http::Header::Header {
public:
  any_header(std::string name, std::string value);

  const char* name() const override;
  void write(std::ostream& os) const override;
  const std::string& value() const { return value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override;
#endif

private:
  std::string name_;
  std::string value_;
};

// Replaces any header called name (typed or any_header) by name: value.
void set_header(Pistache::Http::ResponseWriter& w, const std::string& name, std::string value);

} // namespace boxoffice::http
