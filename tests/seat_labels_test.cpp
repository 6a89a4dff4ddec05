// Tests for seat labels: rows lettered like spreadsheet columns, label <->
// index round trips over whole layouts, and the strict parser that accepts
// only "<ROW>-<number>" naming a seat of this layout and nothing near it.
#include "actors/seat_labels.h"

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace {

using boxoffice::general_layout;
using boxoffice::parse_seat_label;
using boxoffice::reserved_layout;
using boxoffice::row_name;
using boxoffice::seat_label;

// A parse result as text, so that a failed check shows what came back.
std::string parsed(const boxoffice::section_layout& layout, std::string_view label) {
  auto index = parse_seat_label(layout, label);
  return index ? std::to_string(*index) : "none";
}

} // namespace

BOOST_AUTO_TEST_SUITE(seat_labels)

BOOST_AUTO_TEST_CASE(rows_are_lettered_like_spreadsheet_columns) {
  struct {
    uint32_t row;
    const char* name;
  } cases[] = {
    {0, "A"},   {1, "B"},   {25, "Z"},   {26, "AA"},   {27, "AB"},
    {51, "AZ"}, {52, "BA"}, {701, "ZZ"}, {702, "AAA"}, {UINT32_MAX, "MWLQKWV"},
  };
  for (const auto& c : cases)
    BOOST_TEST(row_name(c.row) == c.name, "row " << c.row);
}

BOOST_AUTO_TEST_CASE(labels_name_row_and_seat_number_from_one) {
  auto layout = reserved_layout(60, 30);
  struct {
    uint32_t index;
    const char* label;
  } cases[] = {
    {0, "A-1"},         {29, "A-30"},      {30, "B-1"},
    {25 * 30, "Z-1"},   {26 * 30, "AA-1"}, {51 * 30 + 29, "AZ-30"},
    {52 * 30 + 4, "BA-5"},
  };
  for (const auto& c : cases) {
    BOOST_TEST(seat_label(layout, c.index) == c.label, "index " << c.index);
    BOOST_TEST(parsed(layout, c.label) == std::to_string(c.index), c.label);
  }
}

BOOST_AUTO_TEST_CASE(every_seat_round_trips_through_its_label) {
  // Rows past Z and BA, and one-seat rows where row and index coincide.
  for (auto layout : {reserved_layout(60, 30), reserved_layout(80, 1), reserved_layout(1, 500)}) {
    std::set<std::string> seen;
    for (uint32_t index = 0; index < layout.capacity; ++index) {
      auto label = seat_label(layout, index);
      BOOST_TEST(seen.insert(label).second, "label " << label << " given twice");
      BOOST_TEST(parsed(layout, label) == std::to_string(index), label);
    }
  }
}

BOOST_AUTO_TEST_CASE(strict_parsing_refuses_anything_but_an_exact_label) {
  auto layout = reserved_layout(28, 30);  // rows A..AB, seats 1..30
  const std::string_view refused[] = {
    "a-1",          // lower case
    "A-0",          // seats count from 1
    "A-01",         // leading zero
    "A-",           // no number
    "-1",           // no row
    "A1",           // no dash
    "A-31",         // past the row's end
    "AC-1",         // row 28: past the last row
    "ZZ-1",         // far past the last row
    " A-1",         // leading space
    "A-1 ",         // trailing space
    "A -1",         // inner space
    "",             // empty
    "-",            // dash only
    "A--1",         // two dashes
    "A-1-1",        // two numbers
    "A-+1",         // sign
    "@-1",          // the character before 'A'
    "[-1",          // the character after 'Z'
    "A-/",          // the character before '0'
    "A-:",          // the character after '9'
    "A-4294967297", // 2^32 + 1: must not wrap to seat 1
    "A-99999999999",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-1",
    std::string_view{"A-1\0", 4},  // embedded NUL
  };
  for (auto label : refused)
    BOOST_TEST(parsed(layout, label) == "none", "label '" << label << "'");
}

BOOST_AUTO_TEST_CASE(the_last_row_and_seat_are_accepted) {
  auto layout = reserved_layout(28, 30);
  BOOST_TEST(parsed(layout, "AB-30") == std::to_string(28 * 30 - 1));
  BOOST_TEST(parsed(layout, "AB-1") == std::to_string(27 * 30));
}

BOOST_AUTO_TEST_CASE(general_admission_has_no_labels) {
  auto layout = general_layout(100);
  for (auto label : {"A-1", "A-100", "1"})
    BOOST_TEST(parsed(layout, label) == "none", label);
}

BOOST_AUTO_TEST_SUITE_END()
