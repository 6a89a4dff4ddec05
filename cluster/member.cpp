#include "cluster/member.h"

namespace boxoffice::cluster {

namespace {

constexpr const char* state_names[] = {"joining", "active", "leaving", "dead"};
constexpr const char* reason_names[] = {"left", "lease_expired", "replaced"};

template <class Enum, std::size_t N>
std::optional<Enum> parse_name(const char* const (&names)[N], const std::string& text) {
  for (std::size_t i = 0; i < N; ++i)
    if (text == names[i])
      return static_cast<Enum>(i);
  return std::nullopt;
}

} // namespace

const char* to_string(member_state x) {
  return state_names[static_cast<std::size_t>(x)];
}

std::optional<member_state> parse_member_state(const std::string& text) {
  return parse_name<member_state>(state_names, text);
}

const char* to_string(end_reason x) {
  return reason_names[static_cast<std::size_t>(x)];
}

std::optional<end_reason> parse_end_reason(const std::string& text) {
  return parse_name<end_reason>(reason_names, text);
}

} // namespace boxoffice::cluster
