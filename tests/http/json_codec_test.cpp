// The hand-written bodies of the hot routes (seat map, hold) against the
// json tree they stand for: the same text byte for byte, escaping and
// invalid UTF-8 included.
#include "actors/seat_labels.h"
#include "http/json_codec.h"

#include <boost/test/unit_test.hpp>

using namespace boxoffice;
using namespace boxoffice::http;

namespace {

// The readable form: what the routes answered before the hand-written bodies.
json seat_map_tree(const seat_map& map) {
  const auto& layout = map.section.layout;
  json rows = json::array();
  if (layout.kind == section_kind::reserved)
    for (uint32_t r = 0; r < layout.rows; ++r) {
      std::string states;
      for (uint32_t s = 0; s < layout.seats_per_row; ++s) {
        auto seat = map.seats[size_t{r} * layout.seats_per_row + s];
        states += seat == seat_status::free ? 'f' : seat == seat_status::held ? 'h' : 's';
      }
      rows.push_back(json{{"row", row_name(r)}, {"states", states}});
    }
  return json{{"event_id", map.event},
              {"section", section_json(map.section, &map.stats)},
              {"label_format", "{row}-{number}"},
              {"rows", rows}};
}

json hold_tree(const hold_info& h) {
  return json{{"id", hold_public_id(h.ref)},       {"event_id", h.ref.event},
              {"section_id", h.ref.section},       {"seats", h.seats},
              {"quantity", h.quantity},            {"total_cents", h.total_cents},
              {"created_at", format_time(h.created_at)},
              {"expires_at", format_time(h.expires_at)}};
}

seat_map reserved_map(const std::string& name) {
  seat_map m;
  m.event = 42;
  m.section = section_info{3, name, reserved_layout(28, 7), 2500};
  for (uint32_t i = 0; i < 28 * 7; ++i)
    m.seats.push_back(i % 5 == 0 ? seat_status::sold
                      : i % 3 == 0 ? seat_status::held
                                   : seat_status::free);
  m.stats = section_stats{3, 196, 100, 56, 40, 12, 9, 5};
  return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(json_codec)

BOOST_AUTO_TEST_CASE(seat_map_bodies_equal_their_json_tree) {
  for (const std::string& name :
       {std::string{"Stalls"}, std::string{"Quote \" back\\ new\nline ü €"},
        std::string{"bad \xff utf-8"}, std::string{"\x01 control"}}) {
    auto m = reserved_map(name);
    BOOST_TEST(seat_map_body(m) == dump(seat_map_tree(m)), name);
  }
  seat_map general;
  general.event = 7;
  general.section = section_info{1, "Standing", general_layout(500), -1};
  general.stats = section_stats{1, 500, 10, 20, 470, 3, 4, 0};
  BOOST_TEST(seat_map_body(general) == dump(seat_map_tree(general)));
}

BOOST_AUTO_TEST_CASE(section_counts_name_the_holds_expiring_within_a_minute) {
  auto m = reserved_map("Stalls");
  auto j = section_json(m.section, &m.stats);
  BOOST_TEST(j["free"] == 100);
  BOOST_TEST(j["held"] == 56);
  BOOST_TEST(j["sold"] == 40);
  BOOST_TEST(j["holds_expiring_60s"] == 5);
  BOOST_TEST(json::parse(seat_map_body(m))["section"]["holds_expiring_60s"] == 5);
  BOOST_TEST(!section_json(m.section, nullptr).contains("holds_expiring_60s"));
}

BOOST_AUTO_TEST_CASE(hold_bodies_equal_their_json_tree) {
  hold_info h;
  h.ref = hold_ref{12, 3, 456};
  h.customer = 9;
  h.seats = {"A-1", "A-2", "AB-30"};
  h.quantity = 3;
  h.total_cents = 7500;
  h.created_at = 1795323940123;
  h.expires_at = 1795324540123;
  BOOST_TEST(hold_body(h) == dump(hold_tree(h)));
  h.seats.clear();  // general admission
  h.total_cents = -5;
  BOOST_TEST(hold_body(h) == dump(hold_tree(h)));
}

BOOST_AUTO_TEST_SUITE_END()
