#!/usr/bin/env bash
# Builds and runs the whole test suite: once in a Debug build with invariant
# checks, once under AddressSanitizer + UndefinedBehaviorSanitizer. Each run
# gets a throwaway PostgreSQL (tools/with-postgres.sh), so the sql_store
# suite covers both SQLite and PostgreSQL every time.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install-deps.sh

jobs=$(nproc)
started=$(mktemp)
trap 'rm -f "$started"' EXIT

# The servers the end-to-end tests start log to files in the temp directory,
# which CI does not keep: when a suite fails, print the end of each log of
# this run that holds a sanitizer report or a crash.
report_server_crashes() {
  find "${TMPDIR:-/tmp}" -maxdepth 2 -path '*/boxoffice-*' -name '*.log' -newer "$started" 2>/dev/null |
    while read -r log; do
      if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:|Segmentation fault" "$log"; then
        echo "== the end of $log =="
        tail -n 80 "$log"
      fi
    done
}

run_suite() {  # name, extra cmake args...
  local dir=build/$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" > /dev/null
  cmake --build "$dir" -j "$jobs"
  if ! ./tools/with-postgres.sh ctest --test-dir "$dir" --output-on-failure --verbose \
    | grep -vE "^([0-9]+: )?(UpdateCTestConfiguration|Parse|Add|Constructing|Checking|Test project|test [0-9]|Test command|Working Directory|Environment variables|Test timeout)"; then
    report_server_crashes
    return 1
  fi
}

echo "== OpenAPI lint (http/openapi.json) =="
./tools/lint-openapi.sh
echo "== tests (Debug, invariants checked) =="
run_suite debug
echo "== tests (AddressSanitizer + UndefinedBehaviorSanitizer) =="
# Boost.Test must not catch the sanitizers' abort: it would go on after the
# report, and the second report (LeakSanitizer's, at exit) then spins forever
# (a sanitizer never dies twice), which once hung CI until its limit.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  BOOST_TEST_CATCH_SYSTEM_ERRORS=no run_suite asan -DBOXOFFICE_SANITIZE=ON
