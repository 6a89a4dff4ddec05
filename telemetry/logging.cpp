#include "telemetry/logging.h"

#include "telemetry/metrics.h"

#include <nlohmann/json.hpp>
#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
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

std::string time_text(spdlog::log_clock::time_point t) {
  auto since = t.time_since_epoch();
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
  std::time_t tt = secs.count();
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string_view level_name(spdlog::level::level_enum level) {
  auto name = spdlog::level::to_string_view(level);
  return {name.data(), name.size()};
}

void append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

std::string json_string(std::string_view text) {
  // Invalid UTF-8 (a raw byte from a request) is replaced, not thrown on.
  return nlohmann::json(mask_card_numbers(text))
    .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
    append(dest, "{\"time\":\"" + time_text(msg.time) + "\",\"level\":\"");
    append(dest, level_name(msg.level));
    append(dest, "\",\"msg\":" + json_string(p.msg));
    for (const auto& f : p.fields) {
      append(dest, "," + json_string(f.key) + ":");
      append(dest, f.number ? std::string(f.value) : json_string(f.value));
    }
    dest.push_back('}');
  }

  void format_text(const spdlog::details::log_msg& msg, const parsed_payload& p,
                   spdlog::memory_buf_t& dest) {
    append(dest, time_text(msg.time) + ' ');
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
  for (char c : text)
    out += (c == field_mark || c == value_mark) ? ' ' : c;
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
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  value = buf;  // inf and nan go as strings: JSON has no such numbers
}

std::unique_ptr<spdlog::formatter> make_formatter(log_format format) {
  return std::make_unique<line_formatter>(format);
}

void setup_logging(log_format format, const std::string& level) {
  constexpr size_t queue_lines = 8192;
  spdlog::init_thread_pool(queue_lines, 1);
  auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto logger = std::make_shared<spdlog::async_logger>(
    "boxoffice", sink, spdlog::thread_pool(), spdlog::async_overflow_policy::overrun_oldest);
  logger->set_formatter(make_formatter(format));
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
  set_fields_understood(true);
  metrics::default_registry().sampled_counter(
    "boxoffice_log_lines_dropped_total", "Log lines dropped because the log queue was full",
    // Weak: the registry outlives stop_logging, which must be able to end
    // the pool (and so write what is queued).
    [pool = std::weak_ptr<spdlog::details::thread_pool>(spdlog::thread_pool())] {
      auto p = pool.lock();
      return p ? static_cast<double>(p->overrun_counter()) : 0.0;
    });
}

void set_fields_understood(bool yes) {
  fields_understood.store(yes);
}

void stop_logging() {
  spdlog::shutdown();
}

void log(spdlog::level::level_enum level, std::string_view msg,
         std::initializer_list<log_field> fields) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(level))
    return;
  bool packed = fields_understood.load(std::memory_order_relaxed);
  std::string payload{packed ? structured_prefix : std::string_view{}};
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
