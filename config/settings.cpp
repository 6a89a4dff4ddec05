// Loading, validating and rendering the node configuration. Every key is one
// row of key_table(); YAML, environment, validation and rendering all walk
// that table, so adding a key is adding a row.
#include "config/settings.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <utility>

namespace boxoffice {
namespace {

struct key_descriptor {
  std::string path;
  // Parses `text` into this key's field of `s`. `origin` names where the text
  // came from ("http.port" or "BOXOFFICE_HTTP_PORT (http.port)") so that the
  // config_error thrown on a bad value tells the operator what to fix.
  std::function<void(settings& s, const std::string& text, const std::string& origin)> parse;
  std::function<std::string(const settings& s)> render;
  // Secret values are masked wherever they are shown: rendering and errors.
  bool secret = false;
};

// Only the password of a URL is secret; user, host and database stay
// visible because they are what an operator needs to debug a connection.
// The last '@' ends the credentials so that a password containing '@' or
// '/' is still masked whole.
std::string mask_url_password(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto credentials_end = url.rfind('@');
  if (scheme_end == std::string::npos || credentials_end == std::string::npos ||
      credentials_end < scheme_end) {
    return url;
  }
  const auto password_begin = url.find(':', scheme_end + 3);
  if (password_begin == std::string::npos || password_begin > credentials_end) {
    return url;
  }
  return url.substr(0, password_begin + 1) + "***" + url.substr(credentials_end);
}

// A secret URL shows all but its password; any other secret shows nothing.
std::string shown_value(bool secret, const std::string& value) {
  if (!secret || value.empty())
    return value;
  return value.find("://") != std::string::npos ? mask_url_password(value) : "***";
}

[[noreturn]] void throw_bad_value(const std::string& origin, const std::string& shown,
                                  const std::string& problem) {
  throw config_error("config: " + origin + ": '" + shown + "' " + problem);
}

struct number_range {
  uint64_t min;
  uint64_t max;
  // Appended to the allowed range in errors; empty for plain counts.
  const char* unit;
};

std::string allowed_text(const number_range& range) {
  std::string text = "(allowed " + std::to_string(range.min) + ".." + std::to_string(range.max);
  if (*range.unit != '\0') {
    text += std::string(" ") + range.unit;
  }
  return text + ")";
}

// Strict on purpose: no sign, no spaces, no exponent, no trailing text, so
// that "1e3", " 80" or "80s" is reported instead of silently meaning
// something else.
uint64_t parse_number(const std::string& text, const number_range& range,
                      const std::string& origin) {
  uint64_t value = 0;
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc::result_out_of_range) {
    throw_bad_value(origin, text, "is out of range " + allowed_text(range));
  }
  if (error != std::errc() || stop != end) {
    throw_bad_value(origin, text, "is not a whole number " + allowed_text(range));
  }
  if (value < range.min || value > range.max) {
    throw_bad_value(origin, text, "is out of range " + allowed_text(range));
  }
  return value;
}

template <typename Section, typename Number>
key_descriptor number_key(std::string path, Section settings::*section, Number Section::*field,
                          number_range range) {
  // A range wider than its field would let parse truncate silently.
  if (range.max > std::numeric_limits<Number>::max()) {
    throw std::logic_error("config: the range of " + path + " does not fit its field");
  }
  key_descriptor key;
  key.path = std::move(path);
  key.parse = [=](settings& s, const std::string& text, const std::string& origin) {
    (s.*section).*field = static_cast<Number>(parse_number(text, range, origin));
  };
  key.render = [=](const settings& s) { return std::to_string((s.*section).*field); };
  return key;
}

struct text_form {
  bool (*accepts)(const std::string& text);
  // Shown after "allowed" when `accepts` rejects a value.
  const char* allowed;
};

template <typename Section>
key_descriptor text_key(std::string path, Section settings::*section, std::string Section::*field,
                        text_form form, bool secret) {
  key_descriptor key;
  key.path = std::move(path);
  key.secret = secret;
  key.parse = [=](settings& s, const std::string& text, const std::string& origin) {
    if (!form.accepts(text)) {
      throw_bad_value(origin, shown_value(secret, text),
                      std::string("is not allowed (allowed ") + form.allowed + ")");
    }
    (s.*section).*field = text;
  };
  key.render = [=](const settings& s) { return (s.*section).*field; };
  return key;
}

bool is_listen_address(const std::string& text) {
  return !text.empty() && std::none_of(text.begin(), text.end(),
                                       [](unsigned char c) { return std::isspace(c) != 0; });
}

bool has_prefix_and_more(const std::string& text, const std::string& prefix) {
  return text.size() > prefix.size() && text.compare(0, prefix.size(), prefix) == 0;
}

bool is_database_url(const std::string& text) {
  return has_prefix_and_more(text, "sqlite://") || has_prefix_and_more(text, "postgresql://");
}

bool any_text(const std::string&) {
  return true;
}

bool is_email_or_empty(const std::string& text) {
  return text.empty() || (text.find('@') != std::string::npos
                          && std::none_of(text.begin(), text.end(),
                                          [](unsigned char c) { return std::isspace(c) != 0; }));
}

constexpr text_form free_text{any_text, "any text"};
constexpr text_form email_or_empty{is_email_or_empty, "an email address, or empty"};
constexpr text_form listen_address{is_listen_address, "a host name or IP address, no spaces"};
constexpr text_form database_url{is_database_url,
                                 "sqlite://<path> or postgresql://user:password@host:port/dbname"};

// The one list of keys, in the declaration order of settings.h. Rows of one
// top-level section must stay adjacent: render_settings groups by them.
const std::vector<key_descriptor>& key_table() {
  using http = http_settings;
  using actors = actor_settings;
  using limits = reservation_limits;
  using auth = auth_settings;
  static const std::vector<key_descriptor> table = {
      text_key("http.address", &settings::http, &http::address, listen_address, false),
      number_key("http.port", &settings::http, &http::port, {1, 65535, ""}),
      number_key("http.threads", &settings::http, &http::threads, {1, 64, ""}),
      number_key("http.max_body_bytes", &settings::http, &http::max_body_bytes,
                 {1024, 16777216, "bytes"}),
      number_key("http.max_in_flight_requests", &settings::http, &http::max_in_flight_requests,
                 {1, 10000000, ""}),
      text_key("database.url", &settings::database, &database_settings::url, database_url, true),
      number_key("database.journal_batch_rows_max", &settings::database,
                 &database_settings::journal_batch_rows_max, {1, 100000, "rows"}),
      number_key("database.journal_batch_wait_ms", &settings::database,
                 &database_settings::journal_batch_wait_ms, {0, 1000, "milliseconds"}),
      number_key("database.journal_queue_rows_max", &settings::database,
                 &database_settings::journal_queue_rows_max, {1, 10000000, "rows"}),
      number_key("actors.threads", &settings::actors, &actors::threads, {1, 64, ""}),
      number_key("actors.event_idle_stop_s", &settings::actors, &actors::event_idle_stop_s,
                 {0, 604800, "seconds"}),
      number_key("actors.event_backlog_max", &settings::actors, &actors::event_backlog_max,
                 {1, 1000000, ""}),
      number_key("actors.request_timeout_ms", &settings::actors, &actors::request_timeout_ms,
                 {1, 600000, "milliseconds"}),
      number_key("reservation.hold_ttl_s", &settings::reservation, &limits::hold_ttl_s,
                 {1, 86400, "seconds"}),
      number_key("reservation.hold_max_lifetime_s", &settings::reservation,
                 &limits::hold_max_lifetime_s, {1, 604800, "seconds"}),
      number_key("reservation.max_seats_per_hold", &settings::reservation,
                 &limits::max_seats_per_hold, {1, 1000, ""}),
      number_key("reservation.max_holds_per_customer", &settings::reservation,
                 &limits::max_holds_per_customer, {1, 1000, ""}),
      number_key("reservation.max_tickets_per_customer", &settings::reservation,
                 &limits::max_tickets_per_customer, {1, 10000, ""}),
      number_key("reservation.max_sections_per_event", &settings::reservation,
                 &limits::max_sections_per_event, {1, 10000, ""}),
      number_key("reservation.max_seats_per_section", &settings::reservation,
                 &limits::max_seats_per_section, {1, 10000000, ""}),
      number_key("reservation.ended_holds_kept_max", &settings::reservation,
                 &limits::ended_holds_kept_max, {0, 10000000, ""}),
      text_key("auth.jwt_secret", &settings::auth, &auth::jwt_secret, free_text, true),
      number_key("auth.access_token_ttl_s", &settings::auth, &auth::access_token_ttl_s,
                 {10, 86400, "seconds"}),
      number_key("auth.refresh_token_ttl_s", &settings::auth, &auth::refresh_token_ttl_s,
                 {60, 31536000, "seconds"}),
      number_key("auth.password_min_length", &settings::auth, &auth::password_min_length,
                 {8, 128, "characters"}),
      number_key("auth.password_hash_iterations", &settings::auth,
                 &auth::password_hash_iterations, {1, 16, ""}),
      number_key("auth.password_hash_memory_kib", &settings::auth,
                 &auth::password_hash_memory_kib, {8, 4194304, "KiB"}),
      number_key("auth.workers", &settings::auth, &auth::workers, {1, 64, ""}),
      number_key("auth.attempts_per_address_per_min", &settings::auth,
                 &auth::attempts_per_address_per_min, {0, 1000000, "per minute"}),
      number_key("auth.attempts_per_account_per_min", &settings::auth,
                 &auth::attempts_per_account_per_min, {0, 1000000, "per minute"}),
      number_key("auth.rate_limit_keys_max", &settings::auth, &auth::rate_limit_keys_max,
                 {1, 100000000, ""}),
      text_key("auth.admin_email", &settings::auth, &auth::admin_email, email_or_empty, false),
      text_key("auth.admin_password", &settings::auth, &auth::admin_password, free_text, true),
      number_key("idempotency.ttl_s", &settings::idempotency, &idempotency_settings::ttl_s,
                 {60, 2592000, "seconds"}),
      number_key("idempotency.in_flight_max", &settings::idempotency,
                 &idempotency_settings::in_flight_max, {1, 10000000, ""}),
      text_key("cluster.listen_address", &settings::cluster, &cluster_settings::listen_address,
               listen_address, false),
      number_key("cluster.listen_port", &settings::cluster, &cluster_settings::listen_port,
                 {0, 65535, ""}),
  };
  return table;
}

const key_descriptor* find_key(const std::string& path) {
  for (const auto& key : key_table()) {
    if (key.path == path) {
      return &key;
    }
  }
  return nullptr;
}

bool is_section(const std::string& path) {
  for (const auto& key : key_table()) {
    if (key.path.size() > path.size() && key.path.compare(0, path.size(), path) == 0 &&
        key.path[path.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string env_name(const std::string& path) {
  std::string name = "BOXOFFICE_";
  for (const unsigned char c : path) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  }
  return name;
}

// (dotted path, scalar text) in document order.
using flat_values = std::vector<std::pair<std::string, std::string>>;

std::string child_path(const std::string& parent, const YAML::Node& key) {
  if (!key.IsScalar()) {
    throw config_error("config: " + (parent.empty() ? std::string("top level") : parent) +
                       ": a key must be a plain name");
  }
  return parent.empty() ? key.Scalar() : parent + "." + key.Scalar();
}

[[noreturn]] void throw_unknown_key(const std::string& path) {
  throw config_error("config: unknown key '" + path + "'");
}

// A key given a map or a list, or a section given a value or a list. `got`
// may be a value written one level too high, such as a database URL.
[[noreturn]] void throw_wrong_shape(const std::string& path, const std::string& got) {
  const char* expected = is_section(path) ? "a map of keys" : "a single value";
  throw config_error("config: " + path + ": expected " + expected + ", got " +
                     mask_url_password(got));
}

void flatten(const YAML::Node& node, const std::string& path, flat_values& out) {
  switch (node.Type()) {
  case YAML::NodeType::Map:
    if (find_key(path) != nullptr) {
      throw_wrong_shape(path, "a map");
    }
    for (const auto& entry : node) {
      flatten(entry.second, child_path(path, entry.first), out);
    }
    return;
  case YAML::NodeType::Sequence:
    if (find_key(path) == nullptr && !is_section(path)) {
      throw_unknown_key(path);
    }
    throw_wrong_shape(path, "a list");
  case YAML::NodeType::Null:
    // "http:" with nothing under it is an empty section; a key with
    // nothing after it is an empty value, which its parser rejects.
    if (!is_section(path)) {
      out.emplace_back(path, "");
    }
    return;
  default:
    out.emplace_back(path, node.Scalar());
    return;
  }
}

// `file` names the source in syntax errors; empty for in-memory text.
flat_values flatten_yaml(const std::string& yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::ParserException& error) {
    const std::string where = file.empty() ? "" : " in '" + file + "'";
    throw config_error("config: YAML syntax error" + where + " at line " +
                       std::to_string(error.mark.line + 1) + ", column " +
                       std::to_string(error.mark.column + 1) + ": " + error.msg);
  }
  flat_values values;
  if (root.IsNull()) {
    return values;
  }
  if (!root.IsMap()) {
    throw config_error(
        "config: the YAML document must be a map of sections (http:, database:, ...)");
  }
  flatten(root, "", values);
  return values;
}

void apply_yaml(const flat_values& values, settings& s) {
  for (const auto& [path, text] : values) {
    const key_descriptor* key = find_key(path);
    if (key != nullptr) {
      key->parse(s, text, path);
    } else if (is_section(path)) {
      throw_wrong_shape(path, "'" + text + "'");
    } else {
      throw_unknown_key(path);
    }
  }
}

void apply_env(const env_lookup& env, settings& s) {
  for (const auto& key : key_table()) {
    const std::string name = env_name(key.path);
    if (const auto text = env(name)) {
      key.parse(s, *text, name + " (" + key.path + ")");
    }
  }
}

// Rules between keys, checked once every source has been applied so that
// raising both values in different sources is not rejected half-way.
void check_cross_key_rules(const settings& s) {
  const auto& limits = s.reservation;
  if (limits.hold_max_lifetime_s < limits.hold_ttl_s) {
    throw config_error("config: reservation.hold_max_lifetime_s: '" +
                       std::to_string(limits.hold_max_lifetime_s) +
                       "' is less than reservation.hold_ttl_s (allowed " +
                       std::to_string(limits.hold_ttl_s) + " seconds or more)");
  }
}

settings load(const std::string& yaml_text, const std::string& file, const env_lookup& env) {
  settings s;
  apply_yaml(flatten_yaml(yaml_text, file), s);
  apply_env(env, s);
  check_cross_key_rules(s);
  return s;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw config_error("config: cannot read config file '" + path + "': " + std::strerror(errno));
  }
  std::string text;
  char chunk[4096];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<size_t>(in.gcount()));
  }
  // A directory opens fine on Linux and only fails on the first read.
  if (in.bad()) {
    throw config_error("config: cannot read config file '" + path + "': " + std::strerror(errno));
  }
  return text;
}

} // namespace

env_lookup process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  };
}

settings load_settings_from_string(const std::string& yaml_text, const env_lookup& env) {
  return load(yaml_text, "", env);
}

settings load_settings(const std::optional<std::string>& path, const env_lookup& env) {
  if (!path) {
    return load("", "", env);
  }
  return load(read_file(*path), *path, env);
}

std::string render_settings(const settings& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string open_section;
  for (const auto& key : key_table()) {
    const auto dot = key.path.find('.');
    const std::string section = key.path.substr(0, dot);
    if (section != open_section) {
      if (!open_section.empty()) {
        out << YAML::EndMap;
      }
      out << YAML::Key << section << YAML::Value << YAML::BeginMap;
      open_section = section;
    }
    out << YAML::Key << key.path.substr(dot + 1) << YAML::Value
        << shown_value(key.secret, key.render(s));
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::vector<std::string> setting_keys() {
  std::vector<std::string> paths;
  for (const auto& key : key_table()) {
    paths.push_back(key.path);
  }
  return paths;
}

} // namespace boxoffice
