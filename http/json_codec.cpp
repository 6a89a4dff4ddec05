#include "http/json_codec.h"

#include "actors/seat_labels.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace boxoffice::http {

namespace {

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic
// Gregorian date, without the process time zone (timegm is not standard).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t at, size_t n, int& out) {
  if (at + n > s.size())
    return false;
  out = 0;
  for (size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool is_leap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

const char* state_char(seat_status s) {
  switch (s) {
    case seat_status::free: return "f";
    case seat_status::held: return "h";
    case seat_status::sold: return "s";
  }
  return "?";
}

std::vector<std::string> labels(const section_layout& layout,
                                const std::vector<uint32_t>& seats) {
  std::vector<std::string> out;
  out.reserve(seats.size());
  for (auto seat : seats)
    out.push_back(seat_label(layout, seat));
  return out;
}

template <class Ref>
std::optional<Ref> parse_triple(std::string_view text) {
  std::optional<uint64_t> parts[3];
  for (int i = 0; i < 3; ++i) {
    auto end = i < 2 ? text.find('-') : text.size();
    if (end == std::string_view::npos)
      return std::nullopt;
    parts[i] = parse_id(text.substr(0, end));
    if (!parts[i])
      return std::nullopt;
    text = i < 2 ? text.substr(end + 1) : std::string_view{};
  }
  if (*parts[1] > UINT32_MAX)
    return std::nullopt;
  return Ref{*parts[0], static_cast<section_id>(*parts[1]), *parts[2]};
}

const char* type_name(const json& j) {
  return j.type_name();
}

} // namespace

std::string format_time(timestamp_ms t) {
  int64_t secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
  int ms = static_cast<int>(t - secs * 1000);
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::optional<timestamp_ms> parse_time(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-'
      || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h)
      || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec))
    return std::nullopt;
  static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59
      || d > month_days[mo - 1] + (mo == 2 && is_leap(y) ? 1 : 0))
    return std::nullopt;
  size_t at = 19;
  int ms = 0;
  if (at < s.size() && s[at] == '.') {
    size_t start = ++at;
    while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
      if (at - start < 3)
        ms = ms * 10 + (s[at] - '0');
      ++at;
    }
    if (at == start || at - start > 9)
      return std::nullopt;
    for (size_t n = at - start; n < 3; ++n)
      ms *= 10;
  }
  int64_t offset_min = 0;
  if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
    int oh, om;
    if (!digits(s, at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':'
        || !digits(s, at + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (s[at] == '+' ? 1 : -1) * (oh * 60 + om);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != s.size())
    return std::nullopt;
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return secs * 1000 + ms;
}

std::string hold_public_id(const hold_ref& r) {
  return std::to_string(r.event) + '-' + std::to_string(r.section) + '-' + std::to_string(r.hold);
}

std::string order_public_id(const order_ref& r) {
  return std::to_string(r.event) + '-' + std::to_string(r.section) + '-'
         + std::to_string(r.order);
}

std::optional<hold_ref> parse_hold_id(std::string_view text) {
  return parse_triple<hold_ref>(text);
}

std::optional<order_ref> parse_order_id(std::string_view text) {
  return parse_triple<order_ref>(text);
}

std::optional<uint64_t> parse_id(std::string_view text) {
  if (text.empty() || text.size() > 20 || text[0] == '0')
    return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

json section_json(const section_info& s, const section_stats* stats) {
  json j{{"id", s.id},
         {"name", s.name},
         {"kind", to_string(s.layout.kind)},
         {"capacity", s.layout.capacity},
         {"price_cents", s.price_cents}};
  if (s.layout.kind == section_kind::reserved) {
    j["rows"] = s.layout.rows;
    j["seats_per_row"] = s.layout.seats_per_row;
  }
  if (stats) {
    j["free"] = stats->free;
    j["held"] = stats->held;
    j["holds_expiring_60s"] = stats->holds_expiring_60s;
    j["sold"] = stats->sold;
  }
  return j;
}

json event_json(const event_info& e, const std::vector<section_stats>* stats) {
  json j{{"id", e.id},
         {"title", e.title},
         {"description", e.description},
         {"venue", e.venue},
         {"starts_at", format_time(e.starts_at)},
         {"max_tickets_per_customer", e.max_tickets_per_customer},
         {"status", to_string(e.status)}};
  if (stats) {
    json sections = json::array();
    for (size_t i = 0; i < e.sections.size(); ++i)
      sections.push_back(section_json(e.sections[i], i < stats->size() ? &(*stats)[i] : nullptr));
    j["sections"] = std::move(sections);
  }
  return j;
}

json event_page_json(const event_page& page, uint32_t page_number, uint32_t page_size) {
  json items = json::array();
  for (const auto& e : page.events)
    items.push_back(event_json(e, nullptr));
  return json{{"items", std::move(items)},
              {"page", page_number},
              {"page_size", page_size},
              {"total", page.total}};
}

json order_json(const order_info& o) {
  return json{{"id", order_public_id(o.ref)},
              {"event_id", o.ref.event},
              {"section_id", o.ref.section},
              {"hold_id", hold_public_id(o.from_hold)},
              {"seats", o.seats},
              {"quantity", o.quantity},
              {"total_cents", o.total_cents},
              {"created_at", format_time(o.created_at)},
              {"status", "confirmed"}};
}

json stored_order_json(const stored_order& o) {
  std::vector<std::string> seats;
  if (o.layout.kind == section_kind::reserved)
    seats = labels(o.layout, o.order.seats);
  json j{{"id", order_public_id(order_ref{o.event, o.section, o.order.id})},
         {"event_id", o.event},
         {"section_id", o.section},
         {"hold_id", hold_public_id(hold_ref{o.event, o.section, o.order.from_hold})},
         {"seats", std::move(seats)},
         {"quantity", o.order.quantity},
         {"total_cents", o.total_cents},
         {"created_at", format_time(o.order.created_at)},
         {"status", o.cancelled ? "cancelled" : "confirmed"}};
  if (o.cancelled)
    j["cancelled_at"] = format_time(o.cancelled_at);
  return j;
}

json account_json(const account& a) {
  return json{{"id", a.id},
              {"email", a.email},
              {"role", to_string(a.role)},
              {"created_at", format_time(a.created_at)}};
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

// Appends what dump() writes for these values. Keys go in the order dump()
// writes them: nlohmann::json keeps an object's keys sorted.
void put_number(std::string& out, uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  out.append(buf, end);
}

void put_number(std::string& out, int64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  (void)ec;
  out.append(buf, end);
}

// Text that needs no escaping: ASCII letters, digits and - . : made by the server.
void put_plain(std::string& out, std::string_view text) {
  out += '"';
  out += text;
  out += '"';
}

// Any text, escaped (and bad UTF-8 replaced) by the same serializer.
void put_text(std::string& out, const std::string& text) {
  out += dump(json(text));
}

void put_section(std::string& out, const section_info& s, const section_stats& stats) {
  bool reserved = s.layout.kind == section_kind::reserved;
  out += "{\"capacity\":";
  put_number(out, uint64_t{s.layout.capacity});
  out += ",\"free\":";
  put_number(out, uint64_t{stats.free});
  out += ",\"held\":";
  put_number(out, uint64_t{stats.held});
  out += ",\"holds_expiring_60s\":";
  put_number(out, uint64_t{stats.holds_expiring_60s});
  out += ",\"id\":";
  put_number(out, uint64_t{s.id});
  out += ",\"kind\":";
  put_plain(out, to_string(s.layout.kind));
  out += ",\"name\":";
  put_text(out, s.name);
  out += ",\"price_cents\":";
  put_number(out, int64_t{s.price_cents});
  if (reserved) {
    out += ",\"rows\":";
    put_number(out, uint64_t{s.layout.rows});
    out += ",\"seats_per_row\":";
    put_number(out, uint64_t{s.layout.seats_per_row});
  }
  out += ",\"sold\":";
  put_number(out, uint64_t{stats.sold});
  out += '}';
}

} // namespace

std::string seat_map_body(const seat_map& map) {
  const auto& layout = map.section.layout;
  bool reserved = layout.kind == section_kind::reserved && layout.seats_per_row > 0;
  std::string out;
  out.reserve(256 + map.section.name.size()
              + (reserved ? size_t{layout.rows} * (layout.seats_per_row + 32) : 0));
  out += "{\"event_id\":";
  put_number(out, uint64_t{map.event});
  out += ",\"label_format\":\"{row}-{number}\",\"rows\":[";
  if (reserved) {
    for (uint32_t r = 0; r < layout.rows; ++r) {
      out += r == 0 ? "{\"row\":\"" : ",{\"row\":\"";
      out += row_name(r);
      out += "\",\"states\":\"";
      size_t first = size_t{r} * layout.seats_per_row;
      size_t at = out.size();
      out.resize(at + layout.seats_per_row);
      char* states = &out[at];
      for (uint32_t s = 0; s < layout.seats_per_row; ++s) {
        size_t index = first + s;
        states[s] = index < map.seats.size() ? state_char(map.seats[index])[0] : '?';
      }
      out += "\"}";
    }
  }
  out += "],\"section\":";
  put_section(out, map.section, map.stats);
  out += '}';
  return out;
}

std::string hold_body(const hold_info& h) {
  std::string out;
  out.reserve(200 + h.seats.size() * 12);
  out += "{\"created_at\":";
  put_plain(out, format_time(h.created_at));
  out += ",\"event_id\":";
  put_number(out, uint64_t{h.ref.event});
  out += ",\"expires_at\":";
  put_plain(out, format_time(h.expires_at));
  out += ",\"id\":";
  put_plain(out, hold_public_id(h.ref));
  out += ",\"quantity\":";
  put_number(out, uint64_t{h.quantity});
  out += ",\"seats\":[";
  for (size_t i = 0; i < h.seats.size(); ++i) {
    if (i > 0)
      out += ',';
    put_plain(out, h.seats[i]);  // labels the server made: A-12
  }
  out += "],\"section_id\":";
  put_number(out, uint64_t{h.ref.section});
  out += ",\"total_cents\":";
  put_number(out, int64_t{h.total_cents});
  out += '}';
  return out;
}

// --- Requests ------------------------------------------------------------------

problem invalid_field(std::string_view field, std::string_view what) {
  problem p;
  p.status = 400;
  p.code = "invalid_field";
  p.title = "A field of the request is missing or has the wrong type";
  p.detail = "Field '" + std::string{field} + "': " + std::string{what};
  return p;
}

problem invalid_value(std::string_view field, std::string_view what) {
  problem p;
  p.status = 422;
  p.code = "invalid_value";
  p.title = "A field of the request has a value that is not allowed";
  p.detail = "Field '" + std::string{field} + "': " + std::string{what};
  return p;
}

body_reader::body_reader(std::string_view body, bool empty_is_object) {
  if (body.empty() && empty_is_object) {
    object_ = json::object();
    return;
  }
  try {
    object_ = json::parse(body.begin(), body.end());
  } catch (const json::exception& e) {
    // parse_error names the byte and what was expected; out_of_range says a
    // number overflowed (1e400). Neither holds internals.
    throw refusal{malformed_json("", e.what())};
  }
  if (!object_.is_object())
    throw refusal{invalid_field("(body)", "must be a JSON object")};
}

bool body_reader::has(const char* field) const {
  auto i = object_.find(field);
  return i != object_.end() && !i->is_null();
}

const json& body_reader::get(const char* field) {
  read_.emplace_back(field);
  auto i = object_.find(field);
  if (i == object_.end() || i->is_null())
    throw refusal{invalid_field(field, "is required")};
  return *i;
}

std::string body_reader::text(const char* field, size_t max_bytes, bool allow_empty) {
  const auto& v = get(field);
  if (!v.is_string())
    throw refusal{invalid_field(field, std::string("must be a string, not ") + type_name(v))};
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() > max_bytes)
    throw refusal{invalid_value(field, "must be at most " + std::to_string(max_bytes) + " bytes")};
  if (!allow_empty && s.empty())
    throw refusal{invalid_value(field, "must not be empty")};
  return s;
}

std::optional<std::string> body_reader::optional_text(const char* field, size_t max_bytes,
                                                      bool allow_empty) {
  return optional(field, [&] { return text(field, max_bytes, allow_empty); });
}

uint64_t body_reader::number(const char* field, uint64_t min, uint64_t max) {
  const auto& v = get(field);
  // A number too big for 64 bits is parsed as a float: refused as not an
  // integer, so it can never wrap.
  if (!v.is_number_integer())
    throw refusal{invalid_field(field, std::string("must be an integer, not ") + type_name(v))};
  if (v.is_number_unsigned() ? v.get<uint64_t>() < min || v.get<uint64_t>() > max
                             : v.get<int64_t>() < 0 || static_cast<uint64_t>(v.get<int64_t>()) < min
                                 || static_cast<uint64_t>(v.get<int64_t>()) > max)
    throw refusal{invalid_value(
      field, "must be between " + std::to_string(min) + " and " + std::to_string(max))};
  return v.is_number_unsigned() ? v.get<uint64_t>() : static_cast<uint64_t>(v.get<int64_t>());
}

std::optional<uint64_t> body_reader::optional_number(const char* field, uint64_t min,
                                                     uint64_t max) {
  return optional(field, [&] { return number(field, min, max); });
}

int64_t body_reader::money(const char* field, int64_t max) {
  return static_cast<int64_t>(number(field, 0, static_cast<uint64_t>(max)));
}

timestamp_ms body_reader::time(const char* field) {
  auto text_value = text(field, 64);
  auto t = parse_time(text_value);
  if (!t)
    throw refusal{invalid_value(field, "must be an RFC 3339 time such as "
                                        "2026-12-01T20:00:00Z")};
  return *t;
}

std::optional<timestamp_ms> body_reader::optional_time(const char* field) {
  return optional(field, [&] { return time(field); });
}

std::optional<bool> body_reader::optional_flag(const char* field) {
  return optional(field, [&] {
    const auto& v = get(field);
    if (!v.is_boolean())
      throw refusal{invalid_field(field, std::string("must be true or false, not ") + type_name(v))};
    return v.get<bool>();
  });
}

std::vector<std::string> body_reader::text_list(const char* field, size_t max_items,
                                                size_t max_bytes) {
  const auto& v = get(field);
  if (!v.is_array())
    throw refusal{invalid_field(field, std::string("must be an array, not ") + type_name(v))};
  if (v.size() > max_items)
    throw refusal{invalid_value(field, "must have at most " + std::to_string(max_items)
                                          + " items")};
  std::vector<std::string> out;
  for (const auto& item : v) {
    if (!item.is_string())
      throw refusal{invalid_field(field, "must hold only strings")};
    if (item.get_ref<const std::string&>().size() > max_bytes)
      throw refusal{invalid_value(field, "items must be at most " + std::to_string(max_bytes)
                                            + " bytes")};
    out.push_back(item.get<std::string>());
  }
  return out;
}

void body_reader::finish() {
  for (auto i = object_.begin(); i != object_.end(); ++i)
    if (std::find(read_.begin(), read_.end(), i.key()) == read_.end())
      throw refusal{invalid_field(i.key(), "is not a field of this request")};
}

} // namespace boxoffice::http
