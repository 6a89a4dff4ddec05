#!/usr/bin/env bash
# The benchmark suite of issue 6 in one command, one measurement after
# another on this machine, each repeated RUNS times (medians reported):
#   1. the HTTP ceiling: GET /v1/health of the server binary, with
#      boxoffice-loadgen and with wrk for reference;
#   2. the lock-based baseline directly on PostgreSQL, nothing in front:
#      pgbench running bench/lock_baseline/hold.sql (SELECT ... FOR UPDATE,
#      UPDATE ... WHERE status = 'free') on 100 x 1,000 seats;
#   3. boxoffice-loadgen scenarios flash, spread, browse, mixed, quantity on
#      SQLite and on PostgreSQL, each on a fresh server and database, each
#      audited in the database afterwards.
# Every run uses CONNECTIONS connections (default 64) and 2 client threads.
# Prints a markdown table of medians and ratios with date, commit, commands
# and audit results.
# Usage: bench/run.sh    (env: RUNS=3 SECONDS_PER_RUN=8 CONNECTIONS=64
#                         BUILD_DIR=build/release SKIP_BUILD=0 KEEP=dir)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BOXOFFICE_TEST_PG_URL:-}" ]; then
  ./tools/install-deps.sh   # wrk, pgbench, PostgreSQL, the build tools
  exec tools/with-postgres.sh "$PWD/bench/run.sh" "$@"
fi
runs=${RUNS:-3}
seconds=${SECONDS_PER_RUN:-8}
connections=${CONNECTIONS:-64}
build=${BUILD_DIR:-build/release}
pg_url=$BOXOFFICE_TEST_PG_URL
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
results=$work/results.jsonl
: > "$results"
commands=$work/commands.txt
: > "$commands"
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  cmake --build "$build" -j2 --target boxoffice boxoffice-loadgen > "$work/build.log" 2>&1 || {
    tail -20 "$work/build.log" >&2
    exit 1
  }
fi
server=$build/boxoffice
loadgen=$build/boxoffice-loadgen
port=$((20000 + RANDOM % 10000))
base=http://127.0.0.1:$port
admin_email=admin@bench.test
admin_password=bench-admin-password

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
record() { echo "$1" >> "$results"; }
note_command() { grep -qxF -- "$*" "$commands" || echo "$*" >> "$commands"; }

# Starts a fresh server on a fresh database of the backend; sets pid and url.
# Cheap password hashing only speeds up the setup (sign-ups), never a
# measured request; limits are raised so that one customer may keep many
# holds (hold-only scenarios) and an event may have 100 sections.
start_server() {  # backend
  if [ "$1" = postgresql ]; then
    url=$pg_url
    psql "$url" -qc "drop schema public cascade; create schema public" > /dev/null 2>&1
  else
    rm -f "$work"/bench.db*
    url=sqlite://$work/bench.db
  fi
  BOXOFFICE_DATABASE_URL=$url BOXOFFICE_HTTP_PORT=$port \
  BOXOFFICE_AUTH_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 \
  BOXOFFICE_AUTH_ADMIN_EMAIL=$admin_email BOXOFFICE_AUTH_ADMIN_PASSWORD=$admin_password \
  BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN=0 BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN=0 \
  BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS=1 BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB=8 \
  BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER=1000 \
  BOXOFFICE_RESERVATION_MAX_SECTIONS_PER_EVENT=100 \
    "$server" serve >> "$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 200); do curl -sf "$base/v1/ready" > /dev/null && return; sleep 0.05; done
  echo "the server did not start; see $work/server.log" >&2
  exit 1
}

stop_server() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}

peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$pid/status"; }

run_loadgen() {  # backend scenario run
  local backend=$1 scenario=$2 n=$3 out=$work/$2-$1-$3.json rss status=0
  start_server "$backend"
  local args=(--url "$base" --admin-email "$admin_email" --scenario "$scenario"
              --connections "$connections" --threads 2 --duration-s "$seconds" --db "$url" --json)
  note_command "BOXOFFICE_LOADGEN_ADMIN_PASSWORD=... $loadgen ${args[*]/$url/<database.url>}"
  BOXOFFICE_LOADGEN_ADMIN_PASSWORD=$admin_password "$loadgen" "${args[@]}" > "$out" \
    2> "$work/$scenario-$backend-$n.log" || status=$?
  rss=$(peak_rss_kib)
  stop_server
  if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2> /dev/null; then
    echo "loadgen $scenario on $backend failed (exit $status); see $work/$scenario-$backend-$n.log" >&2
    tail -5 "$work/$scenario-$backend-$n.log" >&2
    record "{\"kind\":\"$scenario\",\"backend\":\"$backend\",\"run\":$n,\"exit\":$status,\"report\":null}"
    return
  fi
  record "{\"kind\":\"$scenario\",\"backend\":\"$backend\",\"run\":$n,\"exit\":$status,\"peak_rss_kib\":$rss,\"report\":$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$out")}"
}

run_wrk_health() {  # run
  start_server sqlite
  note_command "wrk -t2 -c$connections -d${seconds}s --latency $base/v1/health"
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$base/v1/health" > "$work/wrk-$1.txt"
  stop_server
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk-$1.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/wrk-$1.txt")
  record "{\"kind\":\"wrk_health\",\"run\":$1,\"requests_per_s\":$rps,\"p99\":\"$p99\"}"
}

run_lock_baseline() {  # run
  psql "$pg_url" -q -v ON_ERROR_STOP=1 -v sections=100 -v seats=1000 \
    -f bench/lock_baseline/schema.sql > /dev/null
  # -T includes opening the connections (seconds under load with SCRAM),
  # tps does not; the holds' rate is the holds' share of tps.
  local t=$((seconds + 4))
  note_command "psql -v sections=100 -v seats=1000 -f bench/lock_baseline/schema.sql; pgbench -n -c $connections -j 2 -T $t -D sections=100 -f bench/lock_baseline/hold.sql"
  pgbench -n -c "$connections" -j 2 -T "$t" -D sections=100 -r \
    -f bench/lock_baseline/hold.sql "$pg_url" > "$work/pgbench-$1.txt" 2>&1
  local tps held failed lat processed
  tps=$(awk '/^tps = / {print $3}' "$work/pgbench-$1.txt")
  processed=$(awk '/^number of transactions actually processed/ {print $6}' "$work/pgbench-$1.txt")
  lat=$(awk '/^latency average/ {print $4}' "$work/pgbench-$1.txt")
  failed=$(awk '/^number of failed transactions/ {print $5}' "$work/pgbench-$1.txt")
  held=$(psql "$pg_url" -Atc "select count(*) from baseline_seats where status = 'held'")
  dups=$(psql "$pg_url" -Atc "select count(*) - count(distinct (section, seat)) from baseline_seats where status = 'held'")
  record "{\"kind\":\"lock_baseline\",\"run\":$1,\"tps\":${tps:-0},\"processed\":${processed:-0},\"held\":$held,\"failed\":${failed:-0},\"latency_ms_avg\":${lat:-0},\"duplicates\":$dups}"
}

log "work directory $work; $runs runs of ${seconds}s; $connections connections"
started=$(date -u +%Y-%m-%dT%H:%MZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for n in $(seq "$runs"); do
  log "health ceiling, run $n"
  run_loadgen sqlite health "$n"
  run_wrk_health "$n"
done
for n in $(seq "$runs"); do
  log "lock baseline on PostgreSQL, run $n"
  run_lock_baseline "$n"
done
for backend in sqlite postgresql; do
  for scenario in flash spread browse mixed quantity; do
    for n in $(seq "$runs"); do
      log "$scenario on $backend, run $n"
      run_loadgen "$backend" "$scenario" "$n"
    done
  done
done
python3 bench/loadgen/summarize.py "$results" "$commands" \
  "$started" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+local changes')" \
  "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs" "$seconds" "$connections"
