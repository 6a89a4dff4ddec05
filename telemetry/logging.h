// The process log: one record per line on stdout, as a JSON object
// ({"time","level","msg", fields...}) or as text, through spdlog.
//
// Lines are written by one background thread from a bounded queue
// (log_writer.h), in batches, so no actor or HTTP thread ever waits on
// stdout (a stalled journald, a full pipe); when the queue is full the
// oldest lines are dropped and counted (boxoffice_log_lines_dropped_total).
//
// Structured lines carry their ids as fields (request_id, event, hold...).
// Digit runs that look like a card number (13-19 digits, Luhn-valid) are masked in every
// line; passwords and tokens are never passed to the log at all.
#pragma once

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

namespace boxoffice::telemetry {

enum class log_format { json, text };

// Replaces spdlog's default logger; call once, before the threads start.
// `level` is a name spdlog knows (trace, debug, info, warn, error, critical, off).
void setup_logging(log_format format, const std::string& level);

// Writes what is queued and stops the background thread; at exit.
void stop_logging();

// A field borrows its text (valid for the log() call it is passed to: the
// line is packed before log() returns); a number is formatted into the
// field itself. No allocation either way.
struct log_field {
  log_field(const char* k, std::string_view v) : key(k), value(v) {}
  log_field(const char* k, const char* v) : key(k), value(v) {}
  log_field(const char* k, const std::string& v) : key(k), value(v) {}
  // Numbers are written bare in JSON.
  log_field(const char* k, double v);
  log_field(const char* k, long long v);
  log_field(const char* k, unsigned long long v);
  log_field(const char* k, int v) : log_field(k, static_cast<long long>(v)) {}
  log_field(const char* k, unsigned v) : log_field(k, static_cast<unsigned long long>(v)) {}
  log_field(const char* k, long v) : log_field(k, static_cast<long long>(v)) {}
  log_field(const char* k, unsigned long v) : log_field(k, static_cast<unsigned long long>(v)) {}
  log_field(const log_field& other);
  log_field& operator=(const log_field&) = delete;

  const char* key;
  std::string_view value;
  bool number = false;

private:
  char number_text_[32];
};

// A line with fields: log(info, "request", {{"status", 201}, {"route", r}}).
// Fields with an empty value are left out.
void log(spdlog::level::level_enum level, std::string_view msg,
         std::initializer_list<log_field> fields);

// Whether a line at `level` is written: a hot path asks before it formats
// the fields of a line that would be dropped.
inline bool logs(spdlog::level::level_enum level) {
  return spdlog::default_logger_raw()->should_log(level);
}

// Replaces every Luhn-valid run of 13 to 19 digits (spaces and dashes between them
// allowed) but its last four with '*'. Exposed for the tests.
std::string mask_card_numbers(std::string_view text);

// The line formatter setup_logging installs; tests put it on a logger of
// their own.
std::unique_ptr<spdlog::formatter> make_formatter(log_format format);

// Whether the default logger has that formatter (setup_logging says yes).
// If not (a test binary, a program embedding boxoffice with its own
// logger), log() writes its fields as plain "key=value" text instead.
void set_fields_understood(bool yes);

} // namespace boxoffice::telemetry
