#include "actors/seat_labels.h"

#include <algorithm>

namespace boxoffice {

std::string row_name(uint32_t row) {
  // Bijective base 26: A=0 ... Z=25, AA=26.
  std::string name;
  uint64_t n = static_cast<uint64_t>(row) + 1;
  while (n > 0) {
    --n;
    name.push_back(static_cast<char>('A' + n % 26));
    n /= 26;
  }
  std::reverse(name.begin(), name.end());
  return name;
}

std::string seat_label(const section_layout& layout, uint32_t index) {
  return row_name(index / layout.seats_per_row) + "-"
         + std::to_string(index % layout.seats_per_row + 1);
}

namespace {

std::optional<uint64_t> parse_row(std::string_view s) {
  if (s.empty() || s.size() > 7)  // 7 letters already exceed any uint32 row
    return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < 'A' || c > 'Z')
      return std::nullopt;
    n = n * 26 + static_cast<uint64_t>(c - 'A' + 1);
  }
  return n - 1;
}

std::optional<uint64_t> parse_number(std::string_view s) {
  if (s.empty() || s.size() > 10 || s.front() == '0')
    return std::nullopt;
  uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

} // namespace

std::optional<uint32_t> parse_seat_label(const section_layout& layout, std::string_view label) {
  if (layout.kind != section_kind::reserved)
    return std::nullopt;
  auto dash = label.find('-');
  if (dash == std::string_view::npos)
    return std::nullopt;
  auto row = parse_row(label.substr(0, dash));
  auto number = parse_number(label.substr(dash + 1));
  if (!row || !number || *row >= layout.rows || *number > layout.seats_per_row)
    return std::nullopt;
  return static_cast<uint32_t>(*row * layout.seats_per_row + *number - 1);
}

} // namespace boxoffice
