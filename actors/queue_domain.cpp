#include "actors/queue_domain.h"

namespace boxoffice {

namespace {

constexpr const char* mode_names[] = {"off", "queue", "safety_net"};
constexpr const char* state_names[] = {"pre_queue", "waiting", "admitted", "used",     "left",
                                       "expired",   "closed",  "away",     "abandoned"};

template <class T, size_t N>
bool parse(const char* const (&names)[N], const std::string& text, T& out) {
  for (size_t i = 0; i < N; ++i)
    if (text == names[i]) {
      out = static_cast<T>(i);
      return true;
    }
  return false;
}

} // namespace

const char* to_string(queue_mode x) {
  return mode_names[static_cast<size_t>(x)];
}

const char* to_string(entry_state x) {
  return state_names[static_cast<size_t>(x)];
}

bool parse_queue_mode(const std::string& text, queue_mode& out) {
  return parse(mode_names, text, out);
}

bool parse_entry_state(const std::string& text, entry_state& out) {
  return parse(state_names, text, out);
}

} // namespace boxoffice
