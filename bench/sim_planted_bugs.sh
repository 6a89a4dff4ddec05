#!/usr/bin/env bash
# Proof that the simulator finds bugs (issue 14). Builds boxoffice-sim in
# Release with -DBOXOFFICE_PLANT_BUGS=ON (actors/planted.h; Release so that
# the section's own Debug invariant aborts do not pre-empt the simulator)
# in PLANTED_DIR, and for each planted bug (BOXOFFICE_PLANTED_BUG=name, one at
# a time) runs seeds 1..100 of the small scenario with swarm faults until one
# fails; prints how many seeds it took, what broke, and the shrunk
# reproduction. Then builds boxoffice-sim in Release WITHOUT the option in
# BUILD_DIR and runs seeds 1..SEEDS (default 10000), which must all pass.
# Results: bench/RESULTS.md.
#   bench/sim_planted_bugs.sh [SEEDS] [BUILD_DIR] [PLANTED_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-10000}
dir=${2:-build/sim-bench}
planted=${3:-build/sim-planted}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=1
for d in "$planted" "$dir"; do
  flag=OFF
  [ "$d" = "$planted" ] && flag=ON
  cmake -S . -B "$d" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
        -DBOXOFFICE_PLANT_BUGS=$flag > /dev/null
  nice cmake --build "$d" -j2 --target boxoffice-sim > /dev/null
done
printf '%-24s %s\n' bug "first failing seed of 1..100, what broke; the shrunk reproduction"
for bug in ack_before_commit purchase_past_deadline no_undo cancel_twice quota_twice; do
  found=""
  for seed in $(seq 1 100); do
    if ! out=$(BOXOFFICE_PLANTED_BUG=$bug nice "$planted/boxoffice-sim" --seed "$seed" \
                 --scenario small --faults swarm 2>&1); then
      what=$(grep -m1 -E '^FAILED' <<<"$out" || head -c 300 <<<"$out")
      small=$(grep -m1 -A1 '^shrunk' <<<"$out" | tr '\n' ' ' || true)
      found="$seed: $what; $small"
      break
    fi
  done
  printf '%-24s %s\n' "$bug" "${found:-NOT CAUGHT in 100 seeds}"
done
failed=0
start=$(date +%s)
log=$(mktemp)
for seed in $(seq 1 "$seeds"); do
  if ! nice "$dir/boxoffice-sim" --seed "$seed" --scenario small --faults swarm > "$log" 2>&1; then
    echo "seed $seed FAILED: $(grep -m1 '^FAILED' "$log")"
    failed=$((failed + 1))
  fi
done
rm -f "$log"
echo "no planted bug: $((seeds - failed)) of $seeds seeds passed in $(( $(date +%s) - start )) s"
