#include "http/routes.h"

#include "http/response.h"

namespace boxoffice::http {

namespace Http = Pistache::Http;

void get_health(const Pistache::Rest::Request&, Http::ResponseWriter& w) {
  send_json(w, Http::Code::Ok, R"({"status":"ok"})");
}

void get_openapi(const Pistache::Rest::Request&, Http::ResponseWriter& w) {
  send_json(w, Http::Code::Ok, openapi_document());
}

} // namespace boxoffice::http
