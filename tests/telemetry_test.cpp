// The metrics registry's exposition format and the log line formatter.
#include "telemetry/log_writer.h"
#include "telemetry/logging.h"
#include "telemetry/metrics.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <spdlog/pattern_formatter.h>

#include <cstdio>
#include <sstream>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace boxoffice;

BOOST_AUTO_TEST_SUITE(metrics_and_logs)

BOOST_AUTO_TEST_CASE(counters_and_gauges_render_with_their_labels) {
  metrics::registry r;
  auto& holds = r.counters("t_holds_total", "Holds placed", {"event"});
  holds.with({"1"})->inc();
  holds.with({"1"})->inc(2);
  holds.with({"2"})->inc();
  r.gauges("t_free_seats", "Free seats", {"event", "section"}).with({"1", "3"})->set(42);
  auto text = r.render();
  BOOST_TEST(text.find("# HELP t_holds_total Holds placed\n# TYPE t_holds_total counter\n")
             != std::string::npos);
  BOOST_TEST(text.find("t_holds_total{event=\"1\"} 3\n") != std::string::npos);
  BOOST_TEST(text.find("t_holds_total{event=\"2\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("t_free_seats{event=\"1\",section=\"3\"} 42\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(histograms_are_cumulative_with_sum_and_count) {
  metrics::registry r;
  auto h = r.histograms("t_latency_seconds", "Latency", {"route"}, {0.1, 1}).with({"/x"});
  h->observe(0.05);
  h->observe(0.1);  // le is inclusive
  h->observe(0.5);
  h->observe(7);
  auto text = r.render();
  BOOST_TEST(text.find("t_latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n") != std::string::npos);
  BOOST_TEST(text.find("t_latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n") != std::string::npos);
  BOOST_TEST(text.find("t_latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n")
             != std::string::npos);
  BOOST_TEST(text.find("t_latency_seconds_sum{route=\"/x\"} 7.65\n") != std::string::npos);
  BOOST_TEST(text.find("t_latency_seconds_count{route=\"/x\"} 4\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(label_values_and_help_are_escaped) {
  metrics::registry r;
  r.counters("t_odd_total", "Line one\nback\\slash", {"path"}).with({"a\"b\\c\nd"})->inc();
  auto text = r.render();
  BOOST_TEST(text.find("# HELP t_odd_total Line one\\nback\\\\slash\n") != std::string::npos);
  BOOST_TEST(text.find("t_odd_total{path=\"a\\\"b\\\\c\\nd\"} 1\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_name_registered_twice_is_one_family_and_types_must_agree) {
  metrics::registry r;
  auto& a = r.counters("t_same_total", "Same", {"k"});
  auto& b = r.counters("t_same_total", "Same", {"k"});
  BOOST_TEST(&a == &b);
  BOOST_CHECK_THROW(r.gauges("t_same_total", "Other type"), std::logic_error);
  BOOST_CHECK_THROW(a.with({"1", "2"}), std::logic_error);  // wrong label count
  BOOST_CHECK_THROW(metrics::histogram({1, 1}), std::logic_error);
}

BOOST_AUTO_TEST_CASE(removed_children_stop_rendering_and_holders_stay_valid) {
  metrics::registry r;
  auto& free = r.gauges("t_free", "Free", {"event"});
  auto held = free.with({"9"});
  free.remove({"9"});
  held->set(5);  // still a valid object
  BOOST_TEST(r.render().find("t_free{") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(sampled_gauges_read_at_render_and_the_latest_reader_wins) {
  metrics::registry r;
  double value = 1;
  r.sampled_gauge("t_sampled", "Sampled", [&] { return value; });
  value = 2.5;
  BOOST_TEST(r.render().find("t_sampled 2.5\n") != std::string::npos);
  r.sampled_gauge("t_sampled", "Sampled", [] { return 7.0; });
  BOOST_TEST(r.render().find("t_sampled 7\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(card_like_numbers_are_masked_and_other_numbers_kept) {
  using telemetry::mask_card_numbers;
  BOOST_TEST(mask_card_numbers("card 4111111111111111 ok") == "card ************1111 ok");
  BOOST_TEST(mask_card_numbers("4111 1111 1111 1111") == "**** **** **** 1111");
  BOOST_TEST(mask_card_numbers("4111-1111-1111-1111") == "****-****-****-1111");
  BOOST_TEST(mask_card_numbers("378282246310005") == "***********0005");  // Amex, 15
  // Not Luhn-valid, too short or too long: kept.
  BOOST_TEST(mask_card_numbers("4111111111111112") == "4111111111111112");
  BOOST_TEST(mask_card_numbers("hold 12-3-456 at 1795323940123") == "hold 12-3-456 at 1795323940123");
  BOOST_TEST(mask_card_numbers("411111111111") == "411111111111");
  BOOST_TEST(mask_card_numbers("41111111111111111111111") == "41111111111111111111111");
}

// One record through the formatter, on a logger of the test's own.
std::string formatted(telemetry::log_format format,
                      const std::function<void()>& write) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  auto logger = std::make_shared<spdlog::logger>("t", sink);
  logger->set_formatter(telemetry::make_formatter(format));
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  telemetry::set_fields_understood(true);
  write();
  telemetry::set_fields_understood(false);
  spdlog::set_default_logger(previous);
  return out.str();
}

BOOST_AUTO_TEST_CASE(json_lines_carry_time_level_message_and_fields) {
  auto line = formatted(telemetry::log_format::json, [] {
    telemetry::log(spdlog::level::warn, "request \"quoted\"",
                   {{"request_id", "ab-1"}, {"status", 503}, {"duration_ms", 1.5},
                    {"detail", "card 4111111111111111"}, {"empty", ""}});
  });
  BOOST_REQUIRE(!line.empty() && line.back() == '\n');
  BOOST_TEST(line.find('\n') == line.size() - 1);
  auto j = nlohmann::json::parse(line);
  BOOST_TEST(j["level"] == "warning");
  BOOST_TEST(j["msg"] == "request \"quoted\"");
  BOOST_TEST(j["request_id"] == "ab-1");
  BOOST_TEST(j["status"] == 503);
  BOOST_TEST(j["duration_ms"] == 1.5);
  BOOST_TEST(j["detail"] == "card ************1111");
  BOOST_TEST(!j.contains("empty"));
  auto time = j["time"].get<std::string>();
  BOOST_TEST(time.size() == 24u);  // 2026-11-22T05:05:37.504Z
  BOOST_TEST(time.back() == 'Z');
}

BOOST_AUTO_TEST_CASE(plain_spdlog_lines_and_odd_bytes_stay_valid_json) {
  auto line = formatted(telemetry::log_format::json, [] {
    spdlog::info("raw \x01 control, bad utf-8 \xff, marks \x1f\x1e and a newline\nhere");
  });
  BOOST_TEST(line.find('\n') == line.size() - 1);
  auto j = nlohmann::json::parse(line);
  BOOST_TEST(j["level"] == "info");
  BOOST_TEST(j["msg"].get<std::string>().find("newline\nhere") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(text_lines_read_as_key_value_pairs) {
  auto line = formatted(telemetry::log_format::text, [] {
    telemetry::log(spdlog::level::info, "request",
                   {{"route", "/v1/holds/:id"}, {"status", 201}, {"detail", "two words"}});
  });
  BOOST_TEST(line.find(" info request route=/v1/holds/:id status=201 detail=\"two words\"\n")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_text_record_stays_one_line_and_odd_numbers_stay_valid_json) {
  auto text = formatted(telemetry::log_format::text, [] {
    telemetry::log(spdlog::level::err, "failed\nDETAIL:\tforged line",
                   {{"error", "two\nlines"}, {"tab", "a\tb"}});
  });
  BOOST_TEST(text.find('\n') == text.size() - 1, text);
  BOOST_TEST(text.find("failed\\nDETAIL:\\x09forged") != std::string::npos, text);
  BOOST_TEST(text.find("error=\"two\\nlines\"") != std::string::npos, text);
  auto json_line = formatted(telemetry::log_format::json, [] {
    telemetry::log(spdlog::level::info, "odd", {{"ratio", 1.0 / 0.0}, {"ok", 2.5}});
  });
  auto j = nlohmann::json::parse(json_line);
  BOOST_TEST(j["ratio"] == "inf");
  BOOST_TEST(j["ok"] == 2.5);
}

// Printable ASCII fields are written as they are (no JSON library on the
// way); anything a JSON string must escape, and anything that could hold a
// card number, still goes through the escaping and the masking.
BOOST_AUTO_TEST_CASE(plain_fields_are_copied_and_the_rest_still_escaped_and_masked) {
  auto line = formatted(telemetry::log_format::json, [] {
    telemetry::log(spdlog::level::info, "request",
                   {{"route", "/v1/events/:event_id/sections/:section_id/seats"},
                    {"path", "/v1/events/12/sections/345678/seats?x=1&y=2"},
                    {"client", "127.0.0.1"},
                    {"card", "/v1/x/4111111111111111"},
                    {"digits", "1234567 and 890123"},
                    {"odd", "tab\there \\ \"q\" caf\xc3\xa9"}});
  });
  BOOST_TEST(line.find(",\"route\":\"/v1/events/:event_id/sections/:section_id/seats\",")
             != std::string::npos, line);
  BOOST_TEST(line.find(",\"client\":\"127.0.0.1\",") != std::string::npos, line);
  auto j = nlohmann::json::parse(line);
  BOOST_TEST(j["path"] == "/v1/events/12/sections/345678/seats?x=1&y=2");
  BOOST_TEST(j["card"] == "/v1/x/************1111");
  BOOST_TEST(j["digits"] == "1234567 and 890123");
  BOOST_TEST(j["odd"] == "tab\there \\ \"q\" caf\xc3\xa9");
}

namespace {

// A logger writing "%v" lines through a log_writer.
std::shared_ptr<spdlog::logger> writer_logger(const std::shared_ptr<telemetry::log_writer>& w) {
  w->set_formatter(std::make_unique<spdlog::pattern_formatter>("%v"));
  return std::make_shared<spdlog::logger>("t", w);
}

std::string text_of(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    out.append(buf, n);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_log_writer_writes_every_line_in_order_and_flush_waits_for_them) {
  std::FILE* file = std::tmpfile();
  BOOST_REQUIRE(file);
  {
    auto writer = std::make_shared<telemetry::log_writer>(file, 100000);
    auto logger = writer_logger(writer);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < 2500; ++i)
          logger->info("{} {}", t, i);
      });
    for (auto& t : threads)
      t.join();
    logger->info("last");
    writer->flush();  // while the writer lives on
    auto text = text_of(file);
    std::fseek(file, 0, SEEK_END);
    std::istringstream lines{text};
    std::string line;
    int count = 0;
    std::vector<int> next(4, 0);
    bool in_order = true;
    while (std::getline(lines, line)) {
      ++count;
      int t = -1, i = -1;
      if (std::sscanf(line.c_str(), "%d %d", &t, &i) == 2 && t >= 0 && t < 4)
        in_order = in_order && i == next[t]++;
    }
    BOOST_TEST(count == 10001);
    BOOST_TEST(in_order);
    BOOST_TEST(text.substr(text.size() - 5) == "last\n");
    BOOST_TEST(writer->dropped() == 0u);
  }
  std::fclose(file);
}

// A writer stuck on its output (a pipe nobody reads) keeps at most
// lines_max lines; the rest are dropped and counted, and logging never
// blocks. Once the output drains, every line kept is written.
BOOST_AUTO_TEST_CASE(a_stuck_log_writer_drops_the_oldest_lines_and_counts_them) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  std::FILE* out = ::fdopen(fds[1], "w");
  BOOST_REQUIRE(out);
  const std::string kib(1023, 'x');  // a 1 KiB line: the pipe holds about 64
  constexpr int lines = 2000;
  uint64_t dropped = 0;
  size_t read_lines = 0;
  std::thread reader;
  {
    auto writer = std::make_shared<telemetry::log_writer>(out, 16);
    auto logger = writer_logger(writer);
    for (int i = 0; i < lines; ++i)
      logger->info(kib);
    dropped = writer->dropped();
    reader = std::thread([&] {
      char buf[4096];
      for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
        for (ssize_t k = 0; k < n; ++k)
          read_lines += buf[k] == '\n';
    });
  }
  std::fclose(out);
  reader.join();
  ::close(fds[0]);
  BOOST_TEST(dropped >= 1000u);
  BOOST_TEST(read_lines + dropped == size_t{lines});
}

BOOST_AUTO_TEST_SUITE_END()
