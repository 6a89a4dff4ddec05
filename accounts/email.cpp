#include "accounts/email.h"

#include "accounts/text.h"

#include <algorithm>
#include <cstdint>

namespace boxoffice {

namespace {

bool ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && ascii_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && ascii_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Spaces, controls and the RFC 5322 specials other than '@' and '.': they
// only appear in quoted forms, display names and comments, none of which
// an account identifier needs; refusing them keeps the normal form unique.
bool forbidden(char c) {
  auto u = static_cast<uint8_t>(c);
  if (u <= 0x20 || u == 0x7F)
    return true;
  return std::string_view("()<>[]:;,\\\"").find(c) != std::string_view::npos;
}

bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.front() == '.' || domain.back() == '.')
    return false;
  return domain.find('.') != std::string_view::npos
         && domain.find("..") == std::string_view::npos;
}

} // namespace

std::optional<std::string> normalise_email(std::string_view raw) {
  auto text = trimmed(raw);
  if (text.size() > email_bytes_max)
    return std::nullopt;
  auto at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos)
    return std::nullopt;
  auto local = text.substr(0, at);
  if (local.empty() || local.size() > email_local_bytes_max || !valid_domain(text.substr(at + 1)))
    return std::nullopt;
  if (std::any_of(text.begin(), text.end(), forbidden) || !valid_utf8(text))
    return std::nullopt;
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

} // namespace boxoffice
