// Known bugs planted on purpose, so that the simulator's bench can show it
// catches each (bench/sim_planted_bugs.sh, README "Simulating a sale").
// Only a build with -DBOXOFFICE_PLANT_BUGS=ON can plant them, and then one
// at a time: the one BOXOFFICE_PLANTED_BUG names. Elsewhere the condition is
// the constant false and the compiler drops the planted lines.
#pragma once

#ifdef BOXOFFICE_PLANT_BUGS
#include <cstdlib>
#include <cstring>

namespace boxoffice {
inline bool planted_bug(const char* name) {
  static const char* chosen = std::getenv("BOXOFFICE_PLANTED_BUG");
  return chosen != nullptr && std::strcmp(chosen, name) == 0;
}
} // namespace boxoffice
#define BOXOFFICE_PLANTED(name) ::boxoffice::planted_bug(#name)
#else
#define BOXOFFICE_PLANTED(name) false
#endif
