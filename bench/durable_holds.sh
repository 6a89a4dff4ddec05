#!/usr/bin/env bash
# Issue 17, durable holds, in one run on one PostgreSQL: each round measures
#   - pgbench, 64 clients, one single-row INSERT per transaction (the rate a
#     durable write reaches at that concurrency: WAL group commit);
#   - GET /v1/health at 1,024 connections (the HTTP ceiling there);
#   - spread holds (100 x 1,000 seats, best-available 1-seat holds, each
#     committed before its 201) at 64 and at 1,024 connections, once per
#     database.journal_batches_in_flight_max in IN_FLIGHT (default "1 4":
#     the journal as before, and overlapping commits), each run audited.
# Prints one line per run with the load average, then a table of medians.
# Usage: bench/durable_holds.sh  (env: ROUNDS=2 SECONDS_PER_RUN=8 IN_FLIGHT="1 4"
#                                  BUILD_DIR=build/release KEEP=dir)
# Expects boxoffice and boxoffice-loadgen already built in BUILD_DIR (bench/run.sh builds them).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BOXOFFICE_TEST_PG_URL:-}" ] || exec tools/with-postgres.sh "$PWD/bench/durable_holds.sh" "$@"
rounds=${ROUNDS:-2}
seconds=${SECONDS_PER_RUN:-8}
in_flight_list=${IN_FLIGHT:-"1 4"}
# shellcheck source=bench/bench_server.sh
. bench/bench_server.sh
results=$work/results.txt
: > "$results"

pgbench_insert() {  # round
  psql "$pg_url" -qc "drop table if exists bench_insert; create table bench_insert (id bigserial primary key, v integer)" > /dev/null
  echo 'INSERT INTO bench_insert (v) VALUES (:client_id);' > "$work/insert.sql"
  pgbench -n -c 64 -j 2 -T $((seconds + 2)) -f "$work/insert.sql" "$pg_url" > "$work/pgbench-$1.txt" 2>&1 || true
  local tps lat
  tps=$(awk '/^tps = / {printf "%.0f", $3}' "$work/pgbench-$1.txt")
  lat=$(awk '/^latency average/ {print $4}' "$work/pgbench-$1.txt")
  echo "pgbench_insert 64 - ${tps:--} - - ${lat:--} [$(load_now)]" | tee -a "$results"
}

health() {  # round connections
  BENCH_ENV=()
  start_server postgresql
  loadgen_run "$work/health-$1-$2.json" --scenario health --connections "$2" --threads 2 \
    --duration-s "$seconds"
  stop_server
  local f=$work/health-$1-$2.json
  echo "health $2 - $(report_field "$f" health successes_per_s) $(report_field "$f" health latency_ms_p50) $(report_field "$f" health latency_ms_p99) - [$(load_now)]" | tee -a "$results"
}

spread() {  # round connections in_flight
  BENCH_ENV=(BOXOFFICE_DATABASE_JOURNAL_BATCHES_IN_FLIGHT_MAX="$3")
  start_server postgresql
  local f=$work/spread-$1-$2-$3.json
  loadgen_run "$f" --scenario spread --connections "$2" --threads 2 --duration-s "$seconds"
  local rss journal cpu
  rss=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  # What the journal did: rows per commit and the mean commit time, from
  # /metrics; and the server's CPU seconds (user + system, setup included).
  journal=$(curl -s "$base/metrics" | awk '
    /^boxoffice_journal_batch_rows_sum/ {rs=$2} /^boxoffice_journal_batch_rows_count/ {rc=$2}
    /^boxoffice_journal_commit_duration_seconds_sum/ {ds=$2}
    /^boxoffice_journal_commit_duration_seconds_count/ {dc=$2}
    END {if (rc && dc) printf "commits=%d rows_per_commit=%.1f commit_ms_mean=%.2f", rc, rs/rc, 1000*ds/dc}')
  cpu=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$pid/stat")
  stop_server
  echo "spread $2 $3 $(report_field "$f" hold successes_per_s) $(report_field "$f" hold latency_ms_p50) $(report_field "$f" hold latency_ms_p99) $(audit_passed "$f") [$(load_now)] rss_kib=$rss server_cpu_s=$cpu $journal" | tee -a "$results"
}

echo "# what connections in_flight per_s p50_ms p99_ms audit/latency [load] (commit $(git rev-parse --short HEAD))" | tee -a "$results"
for n in $(seq "$rounds"); do
  pgbench_insert "$n"
  health "$n" 1024
  for c in 64 1024; do
    for f in $in_flight_list; do
      spread "$n" "$c" "$f"
    done
  done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    if line.startswith("#"):
        continue
    p = line.split()
    rows.setdefault((p[0], p[1], p[2]), []).append(p)
def med(key, i):
    vals = [float(r[i]) for r in rows.get(key, []) if r[i] not in ("-", "")]
    return statistics.median(vals) if vals else None
insert = med(("pgbench_insert", "64", "-"), 3)
health = med(("health", "1024", "-"), 3)
print("\n| measurement | connections | in flight | median /s | p50 ms | p99 ms | ratio | goal |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
print(f"| pgbench single-row INSERT | 64 | – | {insert or 0:,.0f} | – | – | 1.00 | – |")
print(f"| GET /v1/health | 1024 | – | {health or 0:,.0f} | {med(('health','1024','-'),4) or 0:.2f} | {med(('health','1024','-'),5) or 0:.2f} | 1.00 | – |")
for (what, c, f), rs in sorted(rows.items()):
    if what != "spread":
        continue
    rate = med((what, c, f), 3)
    ref, goal = (insert, "≥ 1.0 × pgbench, p99 ≤ 5 ms") if c == "64" else (health, "≥ 0.5 × health")
    ratio = f"{rate / ref:.2f}" if rate and ref else "–"
    audits = sum(1 for r in rs if r[6] == "pass")
    print(f"| spread holds (audits {audits}/{len(rs)}) | {c} | {f} | {rate or 0:,.0f} | {med((what,c,f),4) or 0:.2f} | {med((what,c,f),5) or 0:.2f} | {ratio} | {goal} |")
PY
