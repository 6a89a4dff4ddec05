// Tests for best available (actors/seat_picker.h). Each case is a section
// drawn as rows of text, '.' a free seat and 'X' a taken one, the party
// size, and the block expected: its row and the offset of its first seat.
// A randomized comparison against a brute-force reading of the four rules
// then covers the combinations no table lists.
#include "actors/seat_picker.h"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

namespace {

using boxoffice::seat_block;
using boxoffice::seat_status;

// The picker's answer as "row/first" or "none", so a table row fails readably.
std::string render(const std::optional<seat_block>& block) {
  return block ? std::to_string(block->row) + "/" + std::to_string(block->first) : "none";
}

std::string drawing(const std::vector<std::string>& rows) {
  std::string text;
  for (const auto& row : rows)
    text += " " + row;
  return text;
}

std::optional<seat_block> pick(const std::vector<std::string>& rows, uint32_t quantity) {
  auto seats_per_row = static_cast<uint32_t>(rows.at(0).size());
  std::vector<seat_status> seats;
  std::vector<uint32_t> free_per_row;
  for (const auto& row : rows) {
    BOOST_REQUIRE_EQUAL(row.size(), seats_per_row);
    free_per_row.push_back(static_cast<uint32_t>(std::count(row.begin(), row.end(), '.')));
    for (char c : row)
      seats.push_back(c == '.' ? seat_status::free : seat_status::held);
  }
  return boxoffice::pick_best_available(seats, free_per_row, seats_per_row, quantity);
}

struct picker_case {
  const char* rule;
  std::vector<std::string> rows;
  uint32_t quantity;
  const char* expected;  // "row/first" or "none"
};

// clang-format off
const picker_case cases[] = {
  // 1. Adjacent in one row: the scattered free seats 1 and 3 are not a block.
  {"adjacent in one row",            {"X.X.X...X"},               3, "0/5"},
  {"adjacent, one seat",             {"XXXX.XXX"},                1, "0/4"},
  // 3. Front row first, even when a later row offers a more central block.
  {"front row first",                {"XXXXX...", "........"},    3, "0/5"},
  {"front row of an empty section",  {"........", "........"},    2, "0/3"},
  // 4. Centre of the row; ties go to the left.
  {"centre of an odd row",           {"........."},               3, "0/3"},
  {"centre tie goes left",           {"........"},                3, "0/2"},
  {"centre tie goes left, pair",     {"......."},                 2, "0/2"},
  {"centre across runs",             {".....XX......"},           2, "0/7"},
  {"centre tie across runs",         {"....XX...."},              2, "0/2"},
  // 2. No stranded single seat when any choice avoids it ...
  {"no orphan, same row",            {"........"},                5, "0/0"},
  {"no orphan, beats centre",        {"...X....X..."},            3, "0/0"},
  {"no orphan at the row's start",   {"......X"},                 4, "0/2"},
  {"no orphan before a taken seat",  {"........X"},               5, "0/3"},
  // ... even if that choice is in a later row (rule 2 outweighs rule 3).
  {"no orphan, later row",           {"X....XXX", "........"},    3, "1/2"},
  {"no orphan, two rows later",      {"X....XXX", "XXX....X", "XX...XXX"}, 3, "2/2"},
  // An orphaning block only when nothing else fits: front-most, then centre.
  {"orphan only if nothing else",    {"X....XXX", "XXX....X"},    3, "0/2"},
  {"orphan: row one longer",         {"....."},                   4, "0/0"},
  // None when no run is long enough.
  {"none: runs too short",           {"..X..X..", "X.X.X.X."},    3, "none"},
  {"none: party wider than a row",   {"....", "...."},            5, "none"},
  {"none: all taken",                {"XXXX", "XXXX"},            1, "none"},
  // Full rows and rows with enough scattered free seats are skipped.
  {"full rows skipped",              {"XXXXXXXX", "XXXXXXXX", "........"}, 2, "2/3"},
  {"scattered row skipped",          {"X.X.X.X.", "........"},    2, "1/3"},
  // The party fills a whole row.
  {"quantity == whole row",          {"......"},                  6, "0/0"},
  {"whole row, first row too short", {"X.......", "........"},    8, "1/0"},
};
// clang-format on

// The rules of seat_picker.h read literally: among every all-free block,
// the least by (strands a seat, row, distance of centres, start).
std::optional<seat_block> brute_force(const std::vector<std::string>& rows, uint32_t quantity) {
  std::optional<std::tuple<bool, uint32_t, int64_t, uint32_t>> best;
  auto width = static_cast<uint32_t>(rows[0].size());
  for (uint32_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    for (uint32_t start = 0; start + quantity <= width; ++start) {
      if (row.compare(start, quantity, std::string(quantity, '.')) != 0)
        continue;
      auto end = start + quantity;
      bool left = start == 1 ? row[0] == '.' : start > 1 && row[start - 1] == '.'
                                                 && row[start - 2] == 'X';
      bool right = end + 1 == width ? row[end] == '.'
                                    : end + 1 < width && row[end] == '.' && row[end + 1] == 'X';
      auto centre = std::abs(2 * int64_t{start} + quantity - width);
      auto key = std::make_tuple(left || right, r, centre, start);
      if (!best || key < *best)
        best = key;
    }
  }
  if (!best)
    return std::nullopt;
  return seat_block{std::get<1>(*best), std::get<3>(*best)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(seat_picker)

BOOST_AUTO_TEST_CASE(best_available_table) {
  for (const auto& c : cases) {
    BOOST_TEST(render(pick(c.rows, c.quantity)) == c.expected,
               c.rule << ": quantity " << c.quantity << " in" << drawing(c.rows));
  }
}

BOOST_AUTO_TEST_CASE(the_table_agrees_with_the_brute_force_reading) {
  // Guards the reference itself, so the randomized test below means something.
  for (const auto& c : cases)
    BOOST_TEST(render(brute_force(c.rows, c.quantity)) == c.expected, c.rule);
}

BOOST_AUTO_TEST_CASE(random_sections_agree_with_the_brute_force_reading) {
  std::mt19937 random{20240601};  // fixed: a failure must reproduce
  for (int round = 0; round < 5000; ++round) {
    auto width = std::uniform_int_distribution<uint32_t>{1, 12}(random);
    auto height = std::uniform_int_distribution<uint32_t>{1, 4}(random);
    auto taken_percent = std::uniform_int_distribution<uint32_t>{0, 70}(random);
    std::vector<std::string> rows(height, std::string(width, '.'));
    for (auto& row : rows)
      for (auto& seat : row)
        if (std::uniform_int_distribution<uint32_t>{0, 99}(random) < taken_percent)
          seat = 'X';
    auto quantity = std::uniform_int_distribution<uint32_t>{1, width + 1}(random);
    auto expected = render(brute_force(rows, quantity));
    auto actual = render(pick(rows, quantity));
    if (actual != expected)
      BOOST_ERROR("quantity " << quantity << " in" << drawing(rows) << ": picked " << actual
                              << ", rules say " << expected);
  }
}

BOOST_AUTO_TEST_CASE(the_block_picked_is_free_and_inside_one_row) {
  std::vector<std::string> rows{"X..X...XX.", "....X.....", "XX......XX"};
  for (uint32_t quantity = 1; quantity <= 10; ++quantity) {
    auto block = pick(rows, quantity);
    if (!block)
      continue;
    BOOST_TEST_REQUIRE(block->row < rows.size());
    BOOST_TEST_REQUIRE(block->first + quantity <= rows[block->row].size());
    BOOST_TEST(rows[block->row].substr(block->first, quantity) == std::string(quantity, '.'),
               "quantity " << quantity);
  }
}

BOOST_AUTO_TEST_SUITE_END()
