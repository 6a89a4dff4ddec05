// The metrics registry's exposition format and the log line formatter.
#include "telemetry/logging.h"
#include "telemetry/metrics.h"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

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

BOOST_AUTO_TEST_SUITE_END()
