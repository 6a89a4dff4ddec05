// The OpenAPI document (http/openapi.json, served at GET /v1/openapi.json)
// stays in step with the server: it is valid JSON in OpenAPI 3.x, it
// documents exactly the routes of the real route table, and it names every
// domain error code, so a new route or code cannot go undocumented.
#include "accounts/tokens.h"
#include "actors/errc.h"
#include "config/settings.h"
#include "http/api.h"
#include "http/routes.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace boxoffice;
using namespace boxoffice::http;
using nlohmann::json;

namespace {

const json& document() {
  static const json doc = json::parse(openapi_document());
  return doc;
}

// "/v1/events/:event_id" -> "/v1/events/{event_id}"
std::string openapi_path(const std::string& pistache_path) {
  std::string out;
  size_t i = 0;
  while (i < pistache_path.size()) {
    if (pistache_path[i] == ':' && (i == 0 || pistache_path[i - 1] == '/')) {
      auto end = pistache_path.find('/', i);
      if (end == std::string::npos)
        end = pistache_path.size();
      out += '{' + pistache_path.substr(i + 1, end - i - 1) + '}';
      i = end;
    } else {
      out += pistache_path[i++];
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "get /v1/events/{event_id}" for every route of the real table. Building
// the routes touches no service, so a default configuration will do.
std::set<std::string> routed_operations() {
  auto signer = std::make_shared<const token_signer>(std::string(32, 'k'), 600);
  auto api = std::make_shared<api_context>(settings{}, signer);
  std::set<std::string> out;
  for (const auto& r : api_routes(api)) {
    auto entry = lower(Pistache::Http::methodString(r.method)) + ' ' + openapi_path(r.path);
    BOOST_CHECK_MESSAGE(out.insert(entry).second, "route listed twice: " << entry);
  }
  return out;
}

std::set<std::string> documented_operations() {
  static const std::set<std::string> methods{"get", "put", "post", "delete",
                                             "options", "head", "patch", "trace"};
  std::set<std::string> out;
  for (const auto& [path, item] : document().at("paths").items())
    for (const auto& [key, operation] : item.items())
      if (methods.count(key))
        out.insert(key + ' ' + path);
  return out;
}

// True when `word` occurs in `text` with no identifier character around it,
// so "hold_expired" is not found inside "hold_expired_twice".
bool contains_word(const std::string& text, const std::string& word) {
  auto is_ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    bool left = at == 0 || !is_ident(text[at - 1]);
    bool right = at + word.size() == text.size() || !is_ident(text[at + word.size()]);
    if (left && right)
      return true;
  }
  return false;
}

// Resolves a local "#/a/b" reference (JSON Pointer, ~0 and ~1 escapes).
const json* resolve(const std::string& ref) {
  if (ref.rfind("#/", 0) != 0)
    return nullptr;
  try {
    return &document().at(json::json_pointer(ref.substr(1)));
  } catch (const json::exception&) {
    return nullptr;
  }
}

void collect_refs(const json& j, std::vector<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [key, value] : j.items()) {
      if (key == "$ref" && value.is_string())
        out.push_back(value.get<std::string>());
      else
        collect_refs(value, out);
    }
  } else if (j.is_array()) {
    for (const auto& item : j)
      collect_refs(item, out);
  }
}

} // namespace

BOOST_AUTO_TEST_SUITE(openapi)

BOOST_AUTO_TEST_CASE(is_openapi_3_json) {
  json doc;
  BOOST_REQUIRE_NO_THROW(doc = json::parse(openapi_document()));
  BOOST_REQUIRE(doc.is_object());
  BOOST_REQUIRE(doc.contains("openapi") && doc["openapi"].is_string());
  BOOST_CHECK_EQUAL(doc["openapi"].get<std::string>().rfind("3.", 0), 0u);
  BOOST_CHECK(doc.contains("info") && doc["info"].contains("title")
              && doc["info"].contains("version"));
  BOOST_REQUIRE(doc.contains("paths") && doc["paths"].is_object());
  BOOST_CHECK(!doc["paths"].empty());
}

// Both directions: a route the document lacks, or an operation no route
// serves, fails here with its name.
BOOST_AUTO_TEST_CASE(documents_exactly_the_route_table) {
  auto routed = routed_operations();
  auto documented = documented_operations();
  BOOST_CHECK(!routed.empty());
  for (const auto& op : routed)
    BOOST_CHECK_MESSAGE(documented.count(op), "route not in http/openapi.json: " << op);
  for (const auto& op : documented)
    BOOST_CHECK_MESSAGE(routed.count(op), "http/openapi.json documents no route: " << op);
}

BOOST_AUTO_TEST_CASE(path_conversion) {
  BOOST_CHECK_EQUAL(openapi_path("/v1/health"), "/v1/health");
  BOOST_CHECK_EQUAL(openapi_path("/v1/events/:event_id/sections/:section_id/seats"),
                    "/v1/events/{event_id}/sections/{section_id}/seats");
  BOOST_CHECK_EQUAL(openapi_path("/v1/holds/:hold_id"), "/v1/holds/{hold_id}");
}

// Walks the enum from its first value to its last through to_string, so a
// code added to errc.h must be documented before this passes.
BOOST_AUTO_TEST_CASE(names_every_error_code) {
  const auto& text = openapi_document();
  int codes = 0;
  for (int i = static_cast<int>(errc::invalid_request);
       i <= static_cast<int>(last_errc); ++i) {
    std::string name = to_string(static_cast<errc>(i));
    BOOST_REQUIRE_NE(name, "unknown_error");
    BOOST_CHECK_MESSAGE(contains_word(text, name), "error code not in http/openapi.json: "
                                                     << name);
    ++codes;
  }
  BOOST_CHECK_EQUAL(codes, static_cast<int>(last_errc));
}

// Every operation has an id (unique), at least one tag and a 2xx answer,
// and every error answer is a problem+json.
BOOST_AUTO_TEST_CASE(operations_are_complete) {
  std::set<std::string> ids;
  for (const auto& [path, item] : document().at("paths").items()) {
    for (const auto& [method, operation] : item.items()) {
      auto where = method + ' ' + path;
      BOOST_REQUIRE_MESSAGE(operation.contains("operationId"), where << " has no operationId");
      BOOST_CHECK_MESSAGE(ids.insert(operation["operationId"].get<std::string>()).second,
                          where << ": operationId used twice");
      BOOST_CHECK_MESSAGE(operation.contains("tags") && !operation["tags"].empty(),
                          where << " has no tag");
      BOOST_CHECK_MESSAGE(operation.contains("security"), where << " states no security");
      const auto& responses = operation.at("responses");
      bool success = false;
      for (const auto& [status, response] : responses.items()) {
        success = success || status[0] == '2';
        if (status[0] != '4' && status[0] != '5')
          continue;
        const json* r = &response;
        if (r->contains("$ref"))
          r = resolve((*r)["$ref"].get<std::string>());
        BOOST_REQUIRE_MESSAGE(r, where << ' ' << status << ": unresolved $ref");
        BOOST_CHECK_MESSAGE(r->contains("content")
                              && (*r)["content"].contains("application/problem+json"),
                            where << ' ' << status << " is not application/problem+json");
      }
      BOOST_CHECK_MESSAGE(success, where << " has no 2xx response");
    }
  }
}

BOOST_AUTO_TEST_CASE(every_ref_resolves) {
  std::vector<std::string> refs;
  collect_refs(document(), refs);
  BOOST_CHECK(!refs.empty());
  for (const auto& ref : refs)
    BOOST_CHECK_MESSAGE(resolve(ref) != nullptr, "unresolved $ref: " << ref);
}

BOOST_AUTO_TEST_SUITE_END()
