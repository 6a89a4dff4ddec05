#include "http/routes.h"

#include "http/response.h"

namespace boxoffice::http {

namespace Http = Pistache::Http;

std::vector<route> api_routes() {
  return {
      {Http::Method::Get, "/v1/health", get_health},
  };
}

void get_health(const Pistache::Rest::Request&, Http::ResponseWriter& w) {
  send_json(w, Http::Code::Ok, R"({"status":"ok"})");
}

} // namespace boxoffice::http
