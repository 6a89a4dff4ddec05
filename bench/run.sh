#!/usr/bin/env bash
# The benchmark suite of issues 6 and 17 in one command, one measurement
# after another on this machine, each repeated RUNS times (medians reported):
#   1. the limits of the machine, each beside what boxoffice makes of it:
#      a. the HTTP ceiling of the stack: bench/bare (Pistache answering a
#         constant body) beside boxoffice's GET /v1/health, same client
#         (boxoffice-loadgen; wrk for reference), same connections, in turn;
#      b. the disk's group-commit rate: pgbench, CONNECTIONS clients, one
#         single-row INSERT per transaction, on the same throwaway
#         PostgreSQL; for SQLite, the fdatasync rate of the work directory;
#      c. the lock-based baseline directly on PostgreSQL, nothing in front:
#         pgbench running bench/lock_baseline/hold.sql (SELECT ... FOR UPDATE,
#         UPDATE ... WHERE status = 'free') on 100 x 1,000 seats;
#   2. reads: the seat map of a 1,000-seat section, fresh and conditional
#      (If-None-Match: 304), and the page of a 100-section event;
#   3. boxoffice-loadgen scenarios flash, spread, browse, mixed, quantity on
#      SQLite and on PostgreSQL, each on a fresh server and database, each
#      audited in the database afterwards;
#   4. health and spread holds at CONNECTIONS_HIGH connections (1,024);
#   5. open loop (--rate): health and spread holds at 50 % and 80 % of the
#      maximum measured above, latency from each request's intended send;
#   6. the scripts of issue 17, each its own tables (see "journal
#      scenarios" below): bench/flash20k.sh (a flash sale of 20,000 seats,
#      and the lock baseline, capped in time), bench/memory_1m.sh (memory
#      and recovery of 1M seats), bench/durable_holds.sh, and
#      bench/login_storm.sh (logins/s per core at the default Argon2id cost,
#      hold p99 with and without 200 logins/s).
# Every run uses CONNECTIONS connections (default 64) and 2 client threads.
# Prints a markdown table of medians and ratios with date, commit, commands
# and audit results, then each goal of issue 17 with its ratio and PASS/MISS.
# Usage: bench/run.sh    (env: RUNS=3 SECONDS_PER_RUN=8 CONNECTIONS=64
#                         CONNECTIONS_HIGH=1024 BUILD_DIR=build/release
#                         SKIP_BUILD=0 KEEP=dir STEPS=all)
# STEPS: some of ceiling commit reads scenarios high open flash20k memory_1m
# durable_holds login_storm (space-separated), e.g. STEPS="login_storm".
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BOXOFFICE_TEST_PG_URL:-}" ]; then
  ./tools/install-deps.sh   # wrk, pgbench, PostgreSQL, the build tools
  exec tools/with-postgres.sh "$PWD/bench/run.sh" "$@"
fi
runs=${RUNS:-3}
seconds=${SECONDS_PER_RUN:-8}
connections=${CONNECTIONS:-64}
connections_high=${CONNECTIONS_HIGH:-1024}
# The server's start and stop, build, work, port, pg_url, the admin and the
# trap that stops the server at exit: shared with the scripts of step 6.
# shellcheck source=bench/bench_server.sh
. bench/bench_server.sh
base=http://127.0.0.1:$port
# Which steps run (all by default): ceiling commit reads scenarios high open
# flash20k memory_1m durable_holds login_storm.
steps=${STEPS:-all}
step() { [ "$steps" = all ] || [[ " $steps " == *" $1 "* ]]; }
results=$work/results.jsonl
: > "$results"
commands=$work/commands.txt
: > "$commands"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  cmake --build "$build" -j2 --target boxoffice boxoffice-loadgen bare_pistache \
    > "$work/build.log" 2>&1 || {
    tail -20 "$work/build.log" >&2
    exit 1
  }
fi
server=$build/boxoffice
loadgen=$build/boxoffice-loadgen
bare=$build/bare_pistache
bare_port=$((port + 1))

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
record() { echo "$1" >> "$results"; }
note_command() { grep -qxF -- "$*" "$commands" || echo "$*" >> "$commands"; }

peak_rss_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$pid/status"; }

# Records one loadgen report as KIND (the scenario's name unless given).
# Env: CONN (connections, default CONNECTIONS), RATE (open loop, default
# closed), KIND, EXTRA (more loadgen arguments), URL_OF (a server already
# running: no server is started, and nothing is audited).
run_loadgen() {  # backend scenario run
  local backend=$1 scenario=$2 n=$3 rss=0 status=0 target=$base db_args=()
  local kind=${KIND:-$2} conn=${CONN:-$connections}
  local out=$work/$kind-$1-$3.json err=$work/$kind-$1-$3.log
  if [ -n "${URL_OF:-}" ]; then
    target=$URL_OF
  else
    start_server "$backend"
    db_args=(--db "$url")
  fi
  local args=(--url "$target" --admin-email "$admin_email" --scenario "$scenario"
              --connections "$conn" --threads 2 --duration-s "$seconds" "${db_args[@]}" --json)
  [ -n "${RATE:-}" ] && args+=(--rate "$RATE")
  # shellcheck disable=SC2206
  [ -n "${EXTRA:-}" ] && args+=($EXTRA)
  note_command "BOXOFFICE_LOADGEN_ADMIN_PASSWORD=... $loadgen ${args[*]/${url:-none}/<database.url>}"
  BOXOFFICE_LOADGEN_ADMIN_PASSWORD=$admin_password "$loadgen" "${args[@]}" > "$out" \
    2> "$err" || status=$?
  if [ -z "${URL_OF:-}" ]; then
    rss=$(peak_rss_kib)
    stop_server
  fi
  local extra_fields="\"connections\":$conn,\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\""
  if ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$out" 2> /dev/null; then
    echo "loadgen $kind on $backend failed (exit $status); see $err" >&2
    tail -5 "$err" >&2
    record "{\"kind\":\"$kind\",\"backend\":\"$backend\",\"run\":$n,\"exit\":$status,$extra_fields,\"report\":null}"
    return
  fi
  record "{\"kind\":\"$kind\",\"backend\":\"$backend\",\"run\":$n,\"exit\":$status,\"peak_rss_kib\":${rss:-0},$extra_fields,\"report\":$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$out")}"
}

run_wrk() {  # kind url run
  note_command "wrk -t2 -c$connections -d${seconds}s --latency -H 'Connection: keep-alive' $2"
  wrk -t2 -c"$connections" -d"${seconds}s" --latency -H 'Connection: keep-alive' "$2" \
    > "$work/$1-$3.txt"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$1-$3.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$1-$3.txt")
  record "{\"kind\":\"$1\",\"run\":$3,\"requests_per_s\":${rps:-0},\"p99\":\"$p99\"}"
}

# The HTTP ceiling of the stack and boxoffice's health route, in turn, with
# the same clients and connections.
run_http_ceiling() {  # run
  local bare_pid
  "$bare" "$bare_port" 2 > "$work/bare.log" 2>&1 &
  bare_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$bare_port/" > /dev/null && break; sleep 0.05; done
  note_command "$bare $bare_port 2"
  URL_OF=http://127.0.0.1:$bare_port KIND=bare run_loadgen - health "$1"
  run_wrk wrk_bare "http://127.0.0.1:$bare_port/v1/health" "$1"
  kill "$bare_pid"; wait "$bare_pid" 2>/dev/null || true
  run_loadgen sqlite health "$1"
  start_server sqlite
  run_wrk wrk_health "$base/v1/health" "$1"
  stop_server
}

# The disk's group-commit rate: what PostgreSQL commits with CONNECTIONS
# clients each committing one single-row INSERT; and the fdatasync rate of
# the directory the SQLite database lives in (one writer, 4 KiB each).
run_commit_rate() {  # run
  psql "$pg_url" -qc "drop table if exists commit_rate; create table commit_rate (id bigserial primary key, v integer not null)" > /dev/null 2>&1
  echo 'insert into commit_rate (v) values (1);' > "$work/commit_rate.sql"
  local t=$((seconds + 4))
  note_command "pgbench -n -c $connections -j 2 -T $t -f commit_rate.sql  # insert into commit_rate (v) values (1);"
  pgbench -n -c "$connections" -j 2 -T "$t" -f "$work/commit_rate.sql" "$pg_url" \
    > "$work/commit-rate-$1.txt" 2>&1
  local tps lat
  tps=$(awk '/^tps = / {print $3}' "$work/commit-rate-$1.txt")
  lat=$(awk '/^latency average/ {print $4}' "$work/commit-rate-$1.txt")
  note_command "python3: 1,000 x (write 4 KiB; fdatasync) in the work directory"
  local fsync
  fsync=$(python3 -c "import os,time
fd=os.open('$work/fsync.probe',os.O_CREAT|os.O_WRONLY); n=1000; s=time.perf_counter()
for _ in range(n):
  os.write(fd,b'x'*4096); os.fdatasync(fd)
print(n/(time.perf_counter()-s))")
  rm -f "$work/fsync.probe"
  record "{\"kind\":\"commit_rate\",\"run\":$1,\"tps\":${tps:-0},\"latency_ms_avg\":${lat:-0},\"fdatasync_per_s\":${fsync:-0}}"
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

# The median successes/s of a recorded kind's operation (0 if none).
median_rate() {  # kind backend operation
  python3 - "$results" "$1" "$2" "$3" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
v = [((r.get("report") or {}).get("operations", {}).get(sys.argv[4], {}).get("successes_per_s"))
     for r in rows if r["kind"] == sys.argv[2] and r.get("backend") == sys.argv[3]]
v = [x for x in v if x]
print(int(statistics.median(v)) if v else 0)
PY
}

log "work directory $work; $runs runs of ${seconds}s; $connections connections"
started=$(date -u +%Y-%m-%dT%H:%MZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
if step ceiling; then
  for n in $(seq "$runs"); do
    log "HTTP ceiling (bare Pistache) and health, run $n"
    run_http_ceiling "$n"
  done
fi
if step commit; then
  for n in $(seq "$runs"); do
    log "commit rate (pgbench single-row inserts, fdatasync) and lock baseline, run $n"
    run_commit_rate "$n"
    run_lock_baseline "$n"
  done
fi
if step reads; then
  for n in $(seq "$runs"); do
    for scenario in seat_map seat_map_cached event_page; do
      log "$scenario on sqlite, run $n"
      run_loadgen sqlite "$scenario" "$n"
    done
  done
fi
if step scenarios; then
  for backend in sqlite postgresql; do
    for scenario in flash spread browse mixed quantity; do
      for n in $(seq "$runs"); do
        log "$scenario on $backend, run $n"
        run_loadgen "$backend" "$scenario" "$n"
      done
    done
  done
fi
if step high; then
  for n in $(seq "$runs"); do
    log "health and spread at $connections_high connections, run $n"
    CONN=$connections_high KIND=health_high run_loadgen sqlite health "$n"
    for backend in sqlite postgresql; do
      CONN=$connections_high KIND=spread_high run_loadgen "$backend" spread "$n"
    done
  done
fi
# Open loop at 50 % and 80 % of the closed-loop maximum measured above.
if step open; then
  for percent in 50 80; do
    for what in "health sqlite health health" "spread sqlite spread hold" \
                "spread postgresql spread hold"; do
      set -- $what
      max=$(median_rate "$1" "$2" "$4")
      [ "$max" -gt 0 ] || continue
      rate=$((max * percent / 100))
      log "open loop: $1 on $2 at $rate/s ($percent % of $max)"
      RATE=$rate KIND=open_${1}_$percent run_loadgen "$2" "$3" 1
    done
  done
fi

# --- journal scenarios (issue 17; owned by the journal work) -----------------
# The journal's scripts and the login storm, each on its own (KEEP keeps
# its files in $work/NAME, its output in $work/NAME.txt, printed after the
# summary), ROUNDS=RUNS. Their figures are recorded for summarize.py: kinds
# "flash20k" (loadgen reports), "flash20k_lock_baseline", "memory_1m",
# "login_rate" and "login_storm"; durable_holds prints its own table.
sub_bench() {  # name script
  log "$1 ($2, ROUNDS=$runs)"
  note_command "ROUNDS=$runs $2"
  mkdir -p "$work/$1"
  ROUNDS=$runs BUILD_DIR=$build KEEP=$work/$1 "$2" > "$work/$1.txt" 2> "$work/$1.err" \
    || { echo "$2 failed; see $work/$1.err" >&2; tail -5 "$work/$1.err" >&2; }
}
if step flash20k; then
  sub_bench flash20k bench/flash20k.sh
  for f in "$work"/flash20k/flash-*.json; do
    [ -f "$f" ] || continue
    python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f" 2> /dev/null || continue
    n=$(basename "$f" .json | cut -d- -f2); b=$(basename "$f" .json | cut -d- -f3)
    record "{\"kind\":\"flash20k\",\"backend\":\"$b\",\"run\":$n,\"report\":$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$f")}"
  done
  python3 - "$work/flash20k.txt" >> "$results" <<'PY'
import json, re, sys
for line in open(sys.argv[1]):
    if line.startswith("lock_baseline"):
        kv = dict(re.findall(r"(\w+)=([^ \[]+)", line))
        num = lambda k: float(kv[k]) if kv.get(k, "-") not in ("-", "") else None
        print(json.dumps({"kind": "flash20k_lock_baseline", "sales_per_s": num("sales_per_s"),
                          "held": num("sold"), "capped_at_s": num("capped_at_s")}))
PY
fi
if step memory_1m; then
  sub_bench memory_1m bench/memory_1m.sh
  # "round idle recovered peak recovery_s sold [load]": rss is the recovered RSS.
  awk '$1 ~ /^[0-9]+$/ {printf "{\"kind\":\"memory_1m\",\"run\":%d,\"rss_mib\":%s,\"peak_rss_mib\":%s,\"recovery_s\":%s}\n", $1, $3, $4, $5}' \
    "$work/memory_1m.txt" >> "$results"
fi
if step durable_holds; then
  sub_bench durable_holds bench/durable_holds.sh
fi
if step login_storm; then
  sub_bench login_storm bench/login_storm.sh
  sed -n 's/^record //p' "$work/login_storm.txt" >> "$results"
fi
# -------------------------------------------------------------------------------

python3 bench/loadgen/summarize.py "$results" "$commands" \
  "$started" "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+local changes')" \
  "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" "$runs" "$seconds" "$connections"
for name in flash20k memory_1m durable_holds login_storm; do
  [ -s "$work/$name.txt" ] || continue
  echo
  echo "### $name (bench/$name.sh, ROUNDS=$runs)"
  echo
  echo '```'
  grep -v '^record ' "$work/$name.txt"
  echo '```'
done
