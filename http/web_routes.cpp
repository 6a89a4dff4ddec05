// The web pages: GET / (web/index.html) and GET /web/{file} (web/*), from
// the copies compiled into the binary (web_assets.h). Each answer carries
// its Content-Type, an ETag (If-None-Match → 304), Cache-Control: no-cache
// (names are not versioned, so the browser revalidates, which costs a 304)
// and a Content-Security-Policy that lets a page load only this server's
// own scripts, styles and images and talk only to this server. An unknown
// file is the usual 404 problem+json. HEAD is answered by the guard.
#include "http/api.h"
#include "http/headers.h"
#include "http/web_assets.h"

#include <map>

namespace boxoffice::http {

namespace Http = Pistache::Http;
namespace Rest = Pistache::Rest;

namespace {

// No inline script or style, no eval, no framing, no plug-ins, no other
// origin: an injected string can only ever be text.
constexpr const char* content_security_policy =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
  "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
  "form-action 'self'; frame-ancestors 'none'";

std::string_view content_type_of(std::string_view name) {
  auto dot = name.rfind('.');
  auto ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot + 1);
  if (ext == "html")
    return "text/html; charset=utf-8";
  if (ext == "js")
    return "text/javascript; charset=utf-8";
  if (ext == "css")
    return "text/css; charset=utf-8";
  if (ext == "svg")
    return "image/svg+xml";
  if (ext == "json")
    return "application/json";
  return "application/octet-stream";
}

struct served_asset {
  std::string content_type;
  std::string body;
  std::string etag;
};

// Built once: the hashes are of constant data.
const std::map<std::string, served_asset, std::less<>>& served_assets() {
  static const auto assets = [] {
    std::map<std::string, served_asset, std::less<>> out;
    for (const auto& a : web_assets())
      out.emplace(std::string(a.name),
                  served_asset{std::string(content_type_of(a.name)), std::string(a.body),
                               etag_of(a.body)});
    return out;
  }();
  return assets;
}

void serve_asset(const Rest::Request& req, Http::ResponseWriter& w, std::string_view name) {
  const auto& assets = served_assets();
  auto it = assets.find(name);
  if (it == assets.end())
    throw refusal{not_found()};
  const auto& asset = it->second;
  reply r;
  r.content_type = asset.content_type;
  r.body = asset.body;
  r.etag = asset.etag;
  r.cache_control = "no-cache";
  auto inm = req.headers().tryGetRaw("If-None-Match");
  if (inm && names_etag(inm->value(), asset.etag)) {
    r.status = 304;
    r.body.clear();
  }
  set_header(w, "Content-Security-Policy", content_security_policy);
  set_header(w, "X-Content-Type-Options", "nosniff");
  set_header(w, "Referrer-Policy", "no-referrer");
  write_reply(w, r);
}

} // namespace

void add_web_routes(std::vector<route>& routes) {
  routes.push_back({Http::Method::Get, "/", [](const Rest::Request& req, Http::ResponseWriter& w) {
                      serve_asset(req, w, "index.html");
                    }});
  routes.push_back({Http::Method::Get, "/web/:file",
                    [](const Rest::Request& req, Http::ResponseWriter& w) {
                      serve_asset(req, w, req.param(":file").as<std::string>());
                    }});
}

} // namespace boxoffice::http
