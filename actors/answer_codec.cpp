#include "actors/answer_codec.h"

namespace boxoffice {

// Hex, not the bytes: both databases keep it in a text column, and
// PostgreSQL's text takes no NUL bytes.
std::string encode_answer_bytes(const std::vector<char>& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    text += digits[b >> 4];
    text += digits[b & 0xf];
  }
  return text;
}

std::optional<std::vector<char>> decode_answer_bytes(const std::string& text) {
  auto value = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  if (text.size() % 2 != 0)
    return std::nullopt;
  std::vector<char> bytes;
  bytes.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    int high = value(text[i]), low = value(text[i + 1]);
    if (high < 0 || low < 0)
      return std::nullopt;
    bytes.push_back(static_cast<char>(high << 4 | low));
  }
  return bytes;
}

} // namespace boxoffice
