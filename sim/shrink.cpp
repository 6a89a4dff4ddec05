#include "sim/simulation.h"

namespace boxoffice::sim {

namespace {

// One run of `s`; true if it fails.
bool fails(const scenario& s, uint64_t seed, const std::function<void(simulation&)>& prepare,
           result& out) {
  simulation sim{s, seed};
  if (prepare)
    prepare(sim);
  out = sim.run();
  return !out.passed;
}

// The smallest value in [1, hi) for which the run still fails, by halving
// the distance to the last failing value (a failure need not be monotone in
// the value, so this finds a small failing value, not the least one).
template <class Set>
void cut(shrunk& best, uint64_t seed, uint32_t hi, uint32_t runs_max, Set set,
         const std::function<void(simulation&)>& prepare) {
  uint32_t lo = 0;  // known (or assumed) to pass
  while (hi > lo + 1 && best.runs < runs_max) {
    uint32_t mid = lo + (hi - lo) / 2;
    auto s = best.smallest;
    set(s, mid);
    result r;
    ++best.runs;
    if (fails(s, seed, prepare, r)) {
      best.smallest = s;
      best.last = r;
      best.smaller = true;
      hi = mid;
    } else {
      lo = mid;
    }
  }
}

} // namespace

shrunk shrink(const scenario& failing, uint64_t seed, const result& failed, uint32_t runs_max,
              const std::function<void(simulation&)>& prepare) {
  shrunk best;
  best.smallest = failing;
  best.last = failed;
  // Customers, then operations, then customers again under the new bound.
  for (int round = 0; round < 2; ++round) {
    cut(best, seed, best.smallest.customers, runs_max,
        [](scenario& s, uint32_t n) { s.customers = n; }, prepare);
    auto ops = static_cast<uint32_t>(best.last.ops);
    if (best.smallest.ops_max && best.smallest.ops_max < ops)
      ops = best.smallest.ops_max;
    cut(best, seed, ops, runs_max, [](scenario& s, uint32_t n) { s.ops_max = n; }, prepare);
  }
  return best;
}

} // namespace boxoffice::sim
