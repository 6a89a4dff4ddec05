#!/usr/bin/env bash
# Issue 17, a real flash sale: one hot section of 20,000 seats (100 rows x
# 200), 1,024 connections (one customer each), each a best-available 1-seat
# hold and then its purchase, until sold out; every run audited in the
# database. Against it, the lock baseline on the same PostgreSQL:
# bench/lock_baseline/flash.sql (SELECT ... FOR UPDATE the first free seat,
# mark it held, commit; then mark it sold, commit) with as many pgbench
# clients as the server's max_connections allows (a lock-based shop keeps a
# pool of that size in front of its crowd). Prints sales/s and p99 per run,
# with the load average. bench/run.sh may call it.
# Usage: bench/flash20k.sh  (env: ROUNDS=2 IN_FLIGHT="4" BACKENDS="postgresql"
#                            CONNECTIONS=1024 LOCK_BASELINE_S=60
#                            BUILD_DIR=build/release KEEP=dir)
# Expects boxoffice and boxoffice-loadgen already built in BUILD_DIR (bench/run.sh builds them).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BOXOFFICE_TEST_PG_URL:-}" ] || exec tools/with-postgres.sh "$PWD/bench/flash20k.sh" "$@"
rounds=${ROUNDS:-2}
in_flight_list=${IN_FLIGHT:-4}
backends=${BACKENDS:-postgresql}
connections=${CONNECTIONS:-1024}
lock_cap_s=${LOCK_BASELINE_S:-60}
# shellcheck source=bench/bench_server.sh
. bench/bench_server.sh

lock_baseline() {  # round
  psql "$pg_url" -q -v ON_ERROR_STOP=1 -v sections=1 -v seats=20000 \
    -f bench/lock_baseline/schema.sql > /dev/null
  local max clients
  max=$(psql "$pg_url" -Atc "show max_connections")
  clients=$((max - 10 < connections ? max - 10 : connections))
  # Until sold out, or LOCK_BASELINE_S at most (-T; it took ~3 minutes at a
  # load of 20): sales/s is what was sold in that time (sold out earlier,
  # the clients spin on empty transactions: then it is a lower bound).
  pgbench -n -c "$clients" -j 2 -T "$lock_cap_s" -D sections=1 -r -l --log-prefix="$work/pgb" \
    -f bench/lock_baseline/flash.sql "$pg_url" > "$work/pgbench-flash-$1.txt" 2>&1 || true
  local tps processed sold dups p99
  tps=$(awk '/^tps = / {print $3}' "$work/pgbench-flash-$1.txt")
  processed=$(awk '/^number of transactions actually processed/ {print $6}' "$work/pgbench-flash-$1.txt" | cut -d/ -f1)
  sold=$(psql "$pg_url" -Atc "select count(*) from baseline_seats where status = 'sold'")
  dups=$(psql "$pg_url" -Atc "select count(*) - count(distinct seat) from baseline_seats where status = 'sold'")
  # Per-script latency (hold + purchase) from pgbench's per-transaction log, in µs.
  p99=$(cat "$work"/pgb.* 2> /dev/null | awk '{print $3}' | sort -n | awk '{v[NR]=$1} END {if (NR) printf "%.2f", v[int(NR*0.99)]/1000; else print "-"}')
  rm -f "$work"/pgb.*
  local rate
  rate=$(python3 -c "import sys; t,p,s=float('${tps:-0}'),float('${processed:-0}' or 0),float('${sold:-0}'); print(f'{t*s/p:.0f}' if p else '-')")
  echo "lock_baseline pgbench clients=$clients capped_at_s=$lock_cap_s sales_per_s=$rate p99_ms(hold+purchase)=$p99 sold=$sold duplicates=$dups tps=${tps:-} [$(load_now)]"
}

boxoffice_flash() {  # round backend in_flight
  BENCH_ENV=(BOXOFFICE_DATABASE_JOURNAL_BATCHES_IN_FLIGHT_MAX="$3")
  start_server "$2"
  local f=$work/flash-$1-$2-$3.json
  loadgen_run "$f" --scenario flash --sections 1 --rows 100 --seats-per-row 200 \
    --connections "$connections" --threads 2 --duration-s 60
  local rss
  rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  stop_server
  local elapsed
  elapsed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("elapsed_s","-"))' "$f" 2> /dev/null || echo "-")
  echo "boxoffice $2 in_flight=$3 sales_per_s=$(report_field "$f" purchase successes_per_s) purchase_p99_ms=$(report_field "$f" purchase latency_ms_p99) hold_per_s=$(report_field "$f" hold successes_per_s) hold_p99_ms=$(report_field "$f" hold latency_ms_p99) elapsed_s=$elapsed audit=$(audit_passed "$f") peak_rss_kib=$rss [$(load_now)]"
}

echo "# flash 20,000 seats, $connections connections (commit $(git rev-parse --short HEAD))"
for n in $(seq "$rounds"); do
  lock_baseline "$n"
  for b in $backends; do
    for f in $in_flight_list; do
      boxoffice_flash "$n" "$b" "$f"
    done
  done
done
