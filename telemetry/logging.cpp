#include "telemetry/logging.h"

#include "telemetry/log_writer.h"
#include "telemetry/metrics.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace boxoffice::telemetry {

namespace {

// log() packs its fields into the payload so that they survive the queue
// to the background thread: PREFIX msg, then per field FIELD key VALUE kind
// value. Plain spdlog lines have no prefix and are all message.
constexpr char field_mark = '\x1f';
constexpr char value_mark = '\x1e';
constexpr std::string_view structured_prefix = "\x1f\x1e";

std::atomic<bool> fields_understood{false};

// The logger setup_logging installed and its writer: log() hands its line
// to the writer directly, without spdlog copying it once more.
std::atomic<spdlog::logger*> installed_logger{nullptr};
std::atomic<log_writer*> installed_writer{nullptr};

struct parsed_payload {
  std::string_view msg;
  struct field {
    std::string_view key;
    std::string_view value;
    bool number;
  };
  std::vector<field> fields;
};

parsed_payload parse(std::string_view payload) {
  parsed_payload out;
  if (payload.substr(0, structured_prefix.size()) != structured_prefix) {
    out.msg = payload;
    return out;
  }
  payload.remove_prefix(structured_prefix.size());
  auto cut = payload.find(field_mark);
  out.msg = payload.substr(0, cut);
  while (cut != std::string_view::npos) {
    auto next = payload.find(field_mark, cut + 1);
    auto item = payload.substr(cut + 1, next == std::string_view::npos ? next : next - cut - 1);
    auto mark = item.find(value_mark);
    if (mark != std::string_view::npos && mark + 1 < item.size())
      out.fields.push_back({item.substr(0, mark), item.substr(mark + 2), item[mark + 1] == 'n'});
    cut = next;
  }
  return out;
}

// "2026-11-22T05:05:37.504Z"; the date and time are formatted once a
// second per thread (the writer's), only the milliseconds per line.
std::string_view time_text(spdlog::log_clock::time_point t) {
  thread_local std::time_t formatted_at = -1;
  thread_local char text[40];
  auto since = t.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count());
  std::time_t tt = secs.count();
  if (tt != formatted_at) {
    std::tm tm{};
    gmtime_r(&tt, &tm);
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    formatted_at = tt;
  }
  text[20] = static_cast<char>('0' + ms / 100);
  text[21] = static_cast<char>('0' + ms / 10 % 10);
  text[22] = static_cast<char>('0' + ms % 10);
  text[23] = 'Z';
  return {text, 24};
}

std::string_view level_name(spdlog::level::level_enum level) {
  auto name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

void append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

// True when `text` is its own JSON string body: printable ASCII without a
// quote or a backslash, and too few digits to hold a card number. Most
// fields of a request line are (ids, routes, paths, addresses).
bool plain_json(std::string_view text) {
  size_t digits = 0;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\')
      return false;
    digits += std::isdigit(u) ? 1 : 0;
  }
  return digits < 13;
}

void append_json_string(spdlog::memory_buf_t& dest, std::string_view text) {
  if (plain_json(text)) {
    dest.push_back('"');
    dest.append(text.data(), text.data() + text.size());
    dest.push_back('"');
    return;
  }
  // Invalid UTF-8 (a raw byte from a request) is replaced, not thrown on.
  auto quoted = nlohmann::json(mask_card_numbers(text))
                  .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  dest.append(quoted.data(), quoted.data() + quoted.size());
}

std::string json_string(std::string_view text) {
  spdlog::memory_buf_t out;
  append_json_string(out, text);
  return {out.data(), out.size()};
}

// A text record stays one line: control characters are escaped.
std::string one_line(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n')
      out += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20)
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    else
      out += c;
  }
  return out;
}

class line_formatter final : public spdlog::formatter {
public:
  explicit line_formatter(log_format format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto payload = parse({msg.payload.data(), msg.payload.size()});
    if (format_ == log_format::json)
      format_json(msg, payload, dest);
    else
      format_text(msg, payload, dest);
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<line_formatter>(format_);
  }

private:
  void format_json(const spdlog::details::log_msg& msg, const parsed_payload& p,
                   spdlog::memory_buf_t& dest) {
    append(dest, "{\"time\":\"");
    append(dest, time_text(msg.time));
    append(dest, "\",\"level\":\"");
    append(dest, level_name(msg.level));
    append(dest, "\",\"msg\":");
    append_json_string(dest, p.msg);
    for (const auto& f : p.fields) {
      dest.push_back(',');
      append_json_string(dest, f.key);
      dest.push_back(':');
      if (f.number)
        append(dest, f.value);
      else
        append_json_string(dest, f.value);
    }
    dest.push_back('}');
  }

  void format_text(const spdlog::details::log_msg& msg, const parsed_payload& p,
                   spdlog::memory_buf_t& dest) {
    append(dest, time_text(msg.time));
    dest.push_back(' ');
    append(dest, level_name(msg.level));
    append(dest, " " + one_line(mask_card_numbers(p.msg)));
    for (const auto& f : p.fields) {
      append(dest, " " + std::string(f.key) + "=");
      auto value = mask_card_numbers(f.value);
      bool plain = !value.empty() && std::none_of(value.begin(), value.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == ' ' || c == '"' || c == '=';
      });
      append(dest, plain ? value : json_string(f.value));
    }
  }

  log_format format_;
};

// The packing marks must not come from the caller's text.
void append_clean(std::string& out, std::string_view text) {
  auto from = out.size();
  out.append(text);
  for (auto i = from; i < out.size(); ++i)
    if (out[i] == field_mark || out[i] == value_mark)
      out[i] = ' ';
}

// Card numbers carry a Luhn check digit; nine in ten other long numbers
// (times in ms, counters) fail it and stay readable. The tenth is masked:
// a log line that loses a number is better than one that keeps a card.
bool passes_luhn(std::string_view run) {
  int sum = 0;
  bool twice = false;
  for (size_t j = run.size(); j-- > 0;) {
    if (!std::isdigit(static_cast<unsigned char>(run[j])))
      continue;
    int d = run[j] - '0';
    if (twice && (d *= 2) > 9)
      d -= 9;
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

} // namespace

log_field::log_field(const char* k, double v) : key(k), number(std::isfinite(v)) {
  int n = std::snprintf(number_text_, sizeof number_text_, "%.6g", v);
  value = {number_text_, static_cast<size_t>(n)};  // inf and nan go as strings: JSON has no such numbers
}

log_field::log_field(const char* k, long long v) : key(k), number(true) {
  int n = std::snprintf(number_text_, sizeof number_text_, "%lld", v);
  value = {number_text_, static_cast<size_t>(n)};
}

log_field::log_field(const char* k, unsigned long long v) : key(k), number(true) {
  int n = std::snprintf(number_text_, sizeof number_text_, "%llu", v);
  value = {number_text_, static_cast<size_t>(n)};
}

// A number's text moves with the field; borrowed text stays where it is.
log_field::log_field(const log_field& other) : key(other.key), value(other.value),
                                                number(other.number) {
  if (other.value.data() == other.number_text_) {
    std::memcpy(number_text_, other.number_text_, other.value.size());
    value = {number_text_, other.value.size()};
  }
}

std::unique_ptr<spdlog::formatter> make_formatter(log_format format) {
  return std::make_unique<line_formatter>(format);
}

void setup_logging(log_format format, const std::string& level) {
  constexpr size_t queue_lines = 8192;
  auto sink = std::make_shared<log_writer>(stdout, queue_lines);
  auto logger = std::make_shared<spdlog::logger>("boxoffice", sink);
  logger->set_formatter(make_formatter(format));
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
  installed_writer.store(sink.get());
  installed_logger.store(logger.get());
  set_fields_understood(true);
  metrics::default_registry().sampled_counter(
    "boxoffice_log_lines_dropped_total", "Log lines dropped because the log queue was full",
    // Weak: the registry outlives stop_logging, which must be able to end
    // the writer (and so write what is queued).
    [writer = std::weak_ptr<log_writer>(sink)] {
      auto w = writer.lock();
      return w ? static_cast<double>(w->dropped()) : 0.0;
    });
}

void set_fields_understood(bool yes) {
  fields_understood.store(yes);
}

void stop_logging() {
  installed_logger.store(nullptr);
  installed_writer.store(nullptr);
  spdlog::shutdown();
}

void log(spdlog::level::level_enum level, std::string_view msg,
         std::initializer_list<log_field> fields) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(level))
    return;
  bool packed = fields_understood.load(std::memory_order_relaxed);
  size_t size = structured_prefix.size() + msg.size();
  for (const auto& f : fields)
    size += std::strlen(f.key) + f.value.size() + 3;
  std::string payload;
  payload.reserve(size);
  payload.append(packed ? structured_prefix : std::string_view{});
  append_clean(payload, msg);
  for (const auto& f : fields) {
    if (f.value.empty())
      continue;  // an absent detail, client...: no key at all
    payload += packed ? field_mark : ' ';
    append_clean(payload, f.key);
    if (packed) {
      payload += value_mark;
      payload += f.number ? 'n' : 's';
    } else {
      payload += '=';
    }
    append_clean(payload, f.value);
  }
  auto* writer = installed_writer.load(std::memory_order_acquire);
  if (writer != nullptr && logger == installed_logger.load(std::memory_order_acquire))
    writer->push(spdlog::log_clock::now(), level, std::move(payload));
  else
    logger->log(level, std::string_view{payload});
}

std::string mask_card_numbers(std::string_view text) {
  std::string out{text};
  size_t i = 0;
  while (i < out.size()) {
    if (!std::isdigit(static_cast<unsigned char>(out[i]))) {
      ++i;
      continue;
    }
    // A run of digits, single spaces or dashes allowed between them.
    size_t end = i;
    size_t digits = 0;
    while (end < out.size()) {
      if (std::isdigit(static_cast<unsigned char>(out[end]))) {
        ++digits;
        ++end;
      } else if ((out[end] == ' ' || out[end] == '-') && end + 1 < out.size() &&
                 std::isdigit(static_cast<unsigned char>(out[end + 1]))) {
        ++end;
      } else {
        break;
      }
    }
    if (digits >= 13 && digits <= 19 && passes_luhn(std::string_view{out}.substr(i, end - i))) {
      size_t keep = 4;
      for (size_t j = end; j-- > i;) {
        if (!std::isdigit(static_cast<unsigned char>(out[j])))
          continue;
        if (keep > 0)
          --keep;
        else
          out[j] = '*';
      }
    }
    i = end;
  }
  return out;
}

} // namespace boxoffice::telemetry
