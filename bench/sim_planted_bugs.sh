#!/usr/bin/env bash
# Proof that the simulator finds bugs (issue 14): builds boxoffice-sim once
# per planted bug (-DBOXOFFICE_PLANT_BUG=NAME, Release so that the section's
# own invariant aborts do not pre-empt the simulator), runs seeds 1..100 of
# the small scenario with swarm faults until one fails, and prints how many
# seeds each took. Then, without a planted bug, runs SEEDS seeds (default
# 10000) that must all pass. Results: bench/RESULTS.md.
#   bench/sim_planted_bugs.sh [SEEDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seeds=${1:-10000}
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=1
build() {  # build DIR [BUG]
  cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
        -DBOXOFFICE_PLANT_BUG="${2:-}" > /dev/null
  nice cmake --build "$1" -j2 --target boxoffice-sim > /dev/null
}
printf '%-24s %s\n' bug "first failing seed (of 1..100) and what broke"
for bug in ack_before_commit purchase_past_deadline no_undo cancel_twice quota_twice; do
  dir=build/bug-$bug
  build "$dir" "$bug"
  found=""
  for seed in $(seq 1 100); do
    if ! out=$("$dir/boxoffice-sim" --seed "$seed" --scenario small --faults swarm 2>&1); then
      found="$seed: $(grep -m1 '^FAILED' <<<"$out")"
      break
    fi
  done
  printf '%-24s %s\n' "$bug" "${found:-NOT CAUGHT in 100 seeds}"
done
build build/sim-release
failed=0
start=$(date +%s)
for seed in $(seq 1 "$seeds"); do
  if ! build/sim-release/boxoffice-sim --seed "$seed" --scenario small --faults swarm > /tmp/sim-seed.out 2>&1; then
    echo "seed $seed FAILED: $(grep -m1 '^FAILED' /tmp/sim-seed.out)"
    failed=$((failed + 1))
  fi
done
echo "no planted bug: $((seeds - failed)) of $seeds seeds passed in $(( $(date +%s) - start )) s"
