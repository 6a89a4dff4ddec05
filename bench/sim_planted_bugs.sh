#!/usr/bin/env bash
# Proof that the simulator finds bugs (issue 14). Builds boxoffice-sim in
# Release with -DBOXOFFICE_PLANT_BUGS=ON (actors/planted.h; Release so that
# the section's own Debug invariant aborts do not pre-empt the simulator),
# then for each planted bug (BOXOFFICE_PLANTED_BUG=name, one at a time) runs
# seeds 1..100 of the small scenario with swarm faults until one fails and
# prints how many seeds it took. Then, with no bug chosen, runs SEEDS seeds
# (default 10000) that must all pass. Results: bench/RESULTS.md.
#   bench/sim_planted_bugs.sh [SEEDS] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-10000}
dir=${2:-build/sim-bench}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=1
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
      -DBOXOFFICE_PLANT_BUGS=ON > /dev/null
nice cmake --build "$dir" -j2 --target boxoffice-sim > /dev/null
sim=$dir/boxoffice-sim
printf '%-24s %s\n' bug "seeds run until the first failure (of 1..100), and what broke"
for bug in ack_before_commit purchase_past_deadline no_undo cancel_twice quota_twice; do
  found=""
  for seed in $(seq 1 100); do
    if ! out=$(BOXOFFICE_PLANTED_BUG=$bug "$sim" --seed "$seed" --scenario small --faults swarm 2>&1); then
      found="$seed: $(grep -m1 '^FAILED' <<<"$out" || head -c 300 <<<"$out")"
      break
    fi
  done
  printf '%-24s %s\n' "$bug" "${found:-NOT CAUGHT in 100 seeds}"
done
failed=0
start=$(date +%s)
for seed in $(seq 1 "$seeds"); do
  if ! "$sim" --seed "$seed" --scenario small --faults swarm > /tmp/sim-seed.$$ 2>&1; then
    echo "seed $seed FAILED: $(grep -m1 '^FAILED' /tmp/sim-seed.$$)"
    failed=$((failed + 1))
  fi
done
rm -f /tmp/sim-seed.$$
echo "no planted bug: $((seeds - failed)) of $seeds seeds passed in $(( $(date +%s) - start )) s"
