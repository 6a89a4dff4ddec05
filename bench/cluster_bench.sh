#!/usr/bin/env bash
# The cluster benchmark of issue 13 in one command (not in CI). On one
# throwaway PostgreSQL (tools/with-postgres.sh), with a RelWithDebInfo build
# in build/release, node processes on 127.0.0.1 only, with the e2e suites'
# config shape (tests/e2e/cluster_nodes.h: mutual TLS with certificates from
# tools/make-cluster-certs.sh; leases, link and idle timeouts as in
# cluster_move_test.cpp, long enough that a CPU-starved node on this shared
# machine is not declared dead mid-run, which 1 s leases were, again and again):
#   1. holds/s through 1, 2 and 3 nodes: LOADGENS boxoffice-loadgen processes
#      (spread scenario, each on its own event), process k sending to node
#      k mod n, so events spread over owners and most requests are forwarded;
#      each process audits its event in the database afterwards;
#   2. on 3 nodes, the unavailability of each event (bench/cluster_probe.py
#      holds and releases a seat of each of PROBE_EVENTS events continuously
#      and measures, per event, the longest time between two successes) and
#      the hold latency, in steady state and during: a 4th node joining,
#      `boxoffice cluster drain` of it, a SIGTERM (leave), a SIGKILL (crash),
#      a SIGSTOP longer than the lease then SIGCONT (hang; its late commits
#      must be fenced); with the old owners' move histogram, fenced commits and
#      forwards from /metrics, and BG_CONNECTIONS of loadgen load besides.
# Prints a markdown report (also in $work/report.md) with the load average
# beside every figure. Cleans up every process it started on exit.
# Usage: bench/cluster_bench.sh
#   env: SECONDS_PER_RUN=10 LOADGENS=6 CONNECTIONS=48 PROBE_EVENTS=36
#        PROBE_PERIOD_MS=40 BG_CONNECTIONS=4 LEASE_S=3 HEARTBEAT_MS=500
#        POLL_MS=500 LINK_TIMEOUT_MS=3000 STEADY_S=4 SETTLE_S=6 HANG_BATCH_WAIT_MS=100
#        HANG_S=LEASE_S+2 COMMIT_IDLE_TIMEOUT_MS=2000 SKIP_BUILD=0
#        KEEP=dir
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BOXOFFICE_TEST_PG_URL:-}" ]; then
  ./tools/install-deps.sh
  exec tools/with-postgres.sh "$PWD/bench/cluster_bench.sh" "$@"
fi
seconds=${SECONDS_PER_RUN:-10}
loadgens=${LOADGENS:-6}
connections=${CONNECTIONS:-48}
probe_events=${PROBE_EVENTS:-36}
probe_period_ms=${PROBE_PERIOD_MS:-40}
bg_connections=${BG_CONNECTIONS:-4}
lease_s=${LEASE_S:-3}
heartbeat_ms=${HEARTBEAT_MS:-500}
poll_ms=${POLL_MS:-500}
link_timeout_ms=${LINK_TIMEOUT_MS:-3000}
commit_idle_timeout_ms=${COMMIT_IDLE_TIMEOUT_MS:-2000}
steady_s=${STEADY_S:-4}
settle_s=${SETTLE_S:-6}
hang_batch_wait_ms=${HANG_BATCH_WAIT_MS:-100}
hang_s=${HANG_S:-$((lease_s + 2))}
build=build/release
pg_url=$BOXOFFICE_TEST_PG_URL
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
results=$work/results.jsonl
: > "$results"
probe="python3 bench/cluster_probe.py"
admin_email=admin@cbench.test
admin_password=cbench-admin-password
secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
nodes=(a b c d)
declare -A pids=()
helpers=()  # loadgens and probes running in the background

log() { echo "[$(date -u +%H:%M:%S)] $* (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2; }
record() { echo "$1" >> "$results"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

cleanup() {
  trap - EXIT INT TERM
  local p
  for p in "${helpers[@]}"; do kill -TERM "$p" 2> /dev/null || true; done
  for p in "${pids[@]}"; do kill -CONT "$p" 2> /dev/null || true; kill -TERM "$p" 2> /dev/null || true; done
  for _ in $(seq 100); do
    local alive=0
    for p in "${pids[@]}" "${helpers[@]}"; do kill -0 "$p" 2> /dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]}" "${helpers[@]}"; do kill -KILL "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  export CCACHE_BASEDIR=/work CCACHE_NOHASHDIR=1 CCACHE_DIR=${CCACHE_DIR:-/work/.ccache}
  export CCACHE_MAXSIZE=20G
  launcher=()
  command -v ccache > /dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" > /dev/null
  nice cmake --build "$build" -j2 --target boxoffice boxoffice-loadgen > "$work/build.log" 2>&1 || {
    tail -20 "$work/build.log" >&2
    exit 1
  }
fi
server=$PWD/$build/boxoffice
loadgen=$PWD/$build/boxoffice-loadgen
./tools/make-cluster-certs.sh "$work/certs" "${nodes[@]}" > /dev/null 2>&1

port_free() { ! (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
# HTTP on base+i, node links on base+50+i, for node index i (a=0 ... d=3).
for _ in $(seq 20); do
  base=$((20000 + RANDOM % 12000))
  ok=1
  for i in 0 1 2 3; do port_free $((base + i)) && port_free $((base + 50 + i)) || ok=0; done
  [ $ok = 1 ] && break
done
index_of() { case $1 in a) echo 0 ;; b) echo 1 ;; c) echo 2 ;; d) echo 3 ;; esac; }
url_of() { echo "http://127.0.0.1:$((base + $(index_of "$1")))"; }
urls_of() { local u="" n; for n in "$@"; do u+="${u:+,}$(url_of "$n")"; done; echo "$u"; }

# The e2e suites' node settings (tests/e2e/cluster_nodes.h), the bench's
# limits (bench/run.sh: cheap password hashing for the setup, many holds
# per customer), one shared token key.
start_node() {  # id [NAME=VALUE...: more settings]
  local id=$1 i
  shift
  i=$(index_of "$id")
  env BOXOFFICE_DATABASE_URL="$pg_url" BOXOFFICE_AUTH_JWT_SECRET="$secret" \
    BOXOFFICE_HTTP_ADDRESS=127.0.0.1 BOXOFFICE_HTTP_PORT=$((base + i)) \
    BOXOFFICE_AUTH_ADMIN_EMAIL=$admin_email BOXOFFICE_AUTH_ADMIN_PASSWORD=$admin_password \
    BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN=0 BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN=0 \
    BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS=1 BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB=8 \
    BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER=1000 \
    BOXOFFICE_RESERVATION_MAX_SECTIONS_PER_EVENT=100 \
    BOXOFFICE_CLUSTER_ENABLED=true BOXOFFICE_CLUSTER_NODE_ID="$id" \
    BOXOFFICE_CLUSTER_LISTEN_ADDRESS=127.0.0.1 BOXOFFICE_CLUSTER_LISTEN_PORT=$((base + 50 + i)) \
    BOXOFFICE_CLUSTER_TLS_CA_FILE="$work/certs/ca.pem" \
    BOXOFFICE_CLUSTER_TLS_CERT_FILE="$work/certs/$id.pem" \
    BOXOFFICE_CLUSTER_TLS_KEY_FILE="$work/certs/$id.key" \
    BOXOFFICE_CLUSTER_LEASE_S="$lease_s" BOXOFFICE_CLUSTER_HEARTBEAT_MS="$heartbeat_ms" \
    BOXOFFICE_CLUSTER_POLL_MS="$poll_ms" BOXOFFICE_CLUSTER_LINK_TIMEOUT_MS="$link_timeout_ms" \
    BOXOFFICE_CLUSTER_COMMIT_IDLE_TIMEOUT_MS="$commit_idle_timeout_ms" \
    BOXOFFICE_SERVER_SHUTDOWN_GRACE_S=10 "$@" \
    "$server" serve >> "$work/node-$id.log" 2>&1 &
  pids[$id]=$!
  for _ in $(seq 300); do
    curl -sf -m 2 "$(url_of "$id")/v1/ready" > /dev/null && return 0
    kill -0 "${pids[$id]}" 2> /dev/null || break
    sleep 0.1
  done
  echo "cluster_bench: node $id did not become ready; its log:" >&2
  tail -n 30 "$work/node-$id.log" >&2
  exit 1
}

stop_node() {  # id signal: TERM waits for the exit, KILL too
  local id=$1 sig=$2 pid=${pids[$1]}
  kill -"$sig" "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  unset "pids[$id]"
}

admin_token() {
  curl -sf -H 'Content-Type: application/json' \
    -d "{\"email\":\"$admin_email\",\"password\":\"$admin_password\"}" \
    "$(url_of a)/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

active_members() {  # node
  curl -sf -H "Authorization: Bearer $(admin_token)" "$(url_of "$1")/v1/cluster" \
    | python3 -c 'import json,sys; print(sum(m["state"] == "active" for m in json.load(sys.stdin).get("members", [])))' \
    2> /dev/null || echo 0
}

wait_active() {  # node count
  for _ in $(seq 150); do
    [ "$(active_members "$1")" = "$2" ] && return 0
    sleep 0.2
  done
  echo "cluster_bench: $2 active members not reached; see $work/node-*.log" >&2
  exit 1
}

dead_declarations() {  # "was declared dead" lines in every node's log so far
  cat "$work"/node-*.log 2> /dev/null | grep -c "was declared dead" || true
}

xact_commits() {
  psql "$pg_url" -Atc "select xact_commit from pg_stat_database where datname = current_database()"
}

fresh_database() {
  psql "$pg_url" -qc "drop schema public cascade; create schema public" > /dev/null 2>&1
}

metrics_dump() {  # tag nodes...: one /metrics file per node; prints the list
  local tag=$1 out="" n
  shift
  for n in "$@"; do
    curl -sf -m 5 "$(url_of "$n")/metrics" > "$work/metrics-$tag-$n.txt" 2> /dev/null || true
    out+="${out:+,}$work/metrics-$tag-$n.txt"
  done
  echo "$out"
}

# ---- 1. holds/s through 1, 2 and 3 nodes ---------------------------------
throughput() {  # node count
  local n=$1 members=("${nodes[@]:0:$1}") k lp=() status=0 before after
  log "throughput through $n node(s): $loadgens loadgens x $((connections / loadgens)) connections, ${seconds}s"
  fresh_database
  for k in "${members[@]}"; do start_node "$k"; done
  wait_active a "$n"
  before=$(metrics_dump "tp$n-before" "${members[@]}")
  local load_before xact_before xact_after conns
  load_before=$(loadavg)
  xact_before=$(xact_commits)
  local dead_before
  dead_before=$(dead_declarations)
  for k in $(seq 0 $((loadgens - 1))); do
    BOXOFFICE_LOADGEN_ADMIN_PASSWORD=$admin_password "$loadgen" --url "$(url_of "${members[$((k % n))]}")" \
      --admin-email "$admin_email" --scenario spread --sections 20 \
      --connections $((connections / loadgens)) --threads 1 --duration-s "$seconds" \
      --seed $((k + 1)) --db "$pg_url" --json > "$work/tp$n-$k.json" 2> "$work/tp$n-$k.log" &
    lp+=($!)
  done
  helpers=("${lp[@]}")
  for k in "${!lp[@]}"; do wait "${lp[$k]}" || status=$?; done
  helpers=()
  xact_after=$(xact_commits)
  conns=$(psql "$pg_url" -Atc "select count(*) - 1 from pg_stat_activity where datname = current_database()")
  after=$(metrics_dump "tp$n-after" "${members[@]}")
  local load_after
  load_after=$(loadavg)
  python3 - "$work" "$n" "$loadgens" "$load_before" "$load_after" "$status" \
    "$($probe moves --before "$before" --after "$after")" "$((xact_after - xact_before))" "$conns" \
    "$seconds" "$(($(dead_declarations) - dead_before))" >> "$results" << 'EOF'
import json, sys
work, n, loadgens, lb, la, status, moves, xacts, conns, seconds, dead = sys.argv[1:12]
reports = []
for k in range(int(loadgens)):
    try:
        reports.append(json.load(open(f"{work}/tp{n}-{k}.json")))
    except (OSError, ValueError):
        reports.append(None)
ok = [r for r in reports if r]
hold = lambda r, f: r["operations"].get("hold", {}).get(f, 0)
print(json.dumps({
    "kind": "throughput", "nodes": int(n), "loadgens": len(ok), "load_before": lb, "load_after": la,
    "holds_per_s": round(sum(hold(r, "successes_per_s") for r in ok), 1),
    "holds": sum(hold(r, "successes") for r in ok),
    "requests": sum(r["requests"] for r in ok),
    "hold_p99_ms_worst": max((hold(r, "latency_ms_p99") for r in ok), default=None),
    "hold_p50_ms_median": sorted(hold(r, "latency_ms_p50") for r in ok)[len(ok) // 2] if ok else None,
    "failures": sum(hold(r, "attempts") - hold(r, "successes") for r in ok),
    "audits_passed": sum(1 for r in ok if r["audit"].get("passed")),
    "event_ids": [r["event_id"] for r in ok], "loadgen_exit": int(status),
    "metrics": json.loads(moves), "pg_commits": int(xacts), "pg_connections": int(conns),
    "seconds": float(seconds), "declared_dead": int(dead)}))
EOF
  for k in "${members[@]}"; do stop_node "$k" TERM; done
  log "throughput through $n node(s): $(tail -n 1 "$results" | cut -c1-300)"
}

# ---- 2. unavailability during join, drain, leave, crash, hang ------------
bg_pid=""
phase_start() {  # name probe-nodes...: starts the background load and the probe
  local name=$1
  shift
  phase_nodes=("$@")
  if [ "$bg_connections" -gt 0 ]; then
    BOXOFFICE_LOADGEN_ADMIN_PASSWORD=$admin_password "$loadgen" --url "$(url_of "$1")" \
      --admin-email "$admin_email" --scenario spread --sections 40 \
      --connections "$bg_connections" --threads 1 --duration-s $((steady_s + settle_s + 4 + hang_s)) \
      --db "$pg_url" --json > "$work/bg-$name.json" 2> "$work/bg-$name.log" &
    bg_pid=$!
    helpers=("$bg_pid")
    for _ in $(seq 200); do grep -q running "$work/bg-$name.log" 2> /dev/null && break; sleep 0.1; done
  fi
  $probe run --urls "$(urls_of "$@")" --setup "$work/probe-setup.json" \
    --period-ms "$probe_period_ms" --out "$work/trace-$name.jsonl" &
  probe_pid=$!
  helpers+=("$probe_pid")  # with the background loadgen
  sleep "$steady_s"
  $probe owners --url "$(url_of a)" --admin-email "$admin_email" --admin-password "$admin_password" \
    --setup "$work/probe-setup.json" --out "$work/owners-$name-before.json"
  metrics_before=$(metrics_dump "$name-before" a b c d)
  load_at_fault=$(loadavg)
  t0=$(date +%s.%N)
}

phase_end() {  # name fault-description nodes-before nodes-after (placement's members)
  local name=$1 what=$2 t1 moved after placement
  t1=$(date +%s.%N)
  after=$(metrics_dump "$name-after" a b c d)
  $probe owners --url "$(url_of a)" --admin-email "$admin_email" --admin-password "$admin_password" \
    --setup "$work/probe-setup.json" --out "$work/owners-$name-after.json"
  kill -TERM "$probe_pid"
  wait "$probe_pid" || true
  [ -n "$bg_pid" ] && { wait "$bg_pid" || true; }
  helpers=()
  bg_pid=""
  placement=$($probe placement --before "$work/owners-$name-before.json" \
    --after "$work/owners-$name-after.json" --nodes-before "$3" --nodes-after "$4")
  moved=$(python3 -c '
import json, sys
b, a = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
print(",".join(e for e in b if b[e] != a.get(e)))' "$work/owners-$name-before.json" "$work/owners-$name-after.json")
  python3 - "$work" "$name" "$what" "$t0" "$t1" "$steady_s" "$moved" "$load_at_fault" "$(loadavg)" \
    "$($probe moves --before "$metrics_before" --after "$after")" \
    "$($probe audit --trace "$work/trace-$name.jsonl" --db "$pg_url")" "$placement" \
    >> "$results" << 'EOF'
import json, subprocess, sys
work, name, what, t0, t1, steady, moved, lf, la, moves, audit, placement = sys.argv[1:13]
t0, t1 = float(t0), float(t1)
def gaps(lo, hi, events):
    if events == "none":
        return {"events": 0}
    out = subprocess.run(["python3", "bench/cluster_probe.py", "gaps", "--trace",
                          f"{work}/trace-{name}.jsonl", "--from", str(lo), "--to", str(hi),
                          "--events", events], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)
def log_times(lo, hi):
    """ms after the fault of the nodes' "took event" (a takeover or a first
    take) and "moved to" (a planned move done) lines, and of a link down."""
    import datetime, glob
    seen = {"took": [], "moved": [], "link_down": [], "declared_dead": []}
    for path in glob.glob(f"{work}/node-*.log"):
        for line in open(path, errors="replace"):
            if '"cluster: ' not in line:
                continue
            try:
                j = json.loads(line)
            except ValueError:
                continue
            t = datetime.datetime.strptime(j["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc).timestamp()
            if not lo <= t <= hi:
                continue
            msg = j["msg"]
            key = ("took" if msg.startswith("cluster: took event") else
                   "moved" if " moved to " in msg else
                   "declared_dead" if "was declared dead" in msg else
                   "link_down" if msg.startswith("cluster: link to") and "is down" in msg else None)
            if key:
                seen[key].append(round((t - lo) * 1000))
    return {k: {"n": len(v), "first_ms": min(v), "last_ms": max(v)} for k, v in seen.items() if v}
bg = None
try:
    r = json.load(open(f"{work}/bg-{name}.json"))
    h = r["operations"].get("hold", {})
    bg = {"holds_per_s": h.get("successes_per_s"), "p50_ms": h.get("latency_ms_p50"),
          "p99_ms": h.get("latency_ms_p99"), "max_ms": h.get("latency_ms_max"),
          "failures": h.get("attempts", 0) - h.get("successes", 0),
          "audit_passed": r["audit"].get("passed")}
except (OSError, ValueError, KeyError):
    pass
print(json.dumps({
    "kind": "fault", "phase": name, "fault": what, "window_s": round(t1 - t0, 2),
    "load_at_fault": lf, "load_after": la,
    "moved_events": len(moved.split(",")) if moved else 0,
    "steady": gaps(t0 - float(steady) + 1, t0, ""),
    "moved": gaps(t0, t1, moved or "none"),
    "all": gaps(t0, t1, ""),
    "metrics": json.loads(moves), "probe_audit": json.loads(audit), "background_loadgen": bg,
    "log": log_times(t0, t1), "placement": json.loads(placement)}))
EOF
  log "$name: $(tail -n 1 "$results" | cut -c1-400)"
}

faults() {
  log "faults on 3 nodes: probe over $probe_events events every ${probe_period_ms} ms, lease ${lease_s}s"
  fresh_database
  start_node a
  start_node b
  start_node c
  wait_active a 3
  $probe setup --url "$(urls_of a b c)" --admin-email "$admin_email" \
    --admin-password "$admin_password" --events "$probe_events" --out "$work/probe-setup.json"
  # Let every event find its owner before the first measurement.
  phase_start warmup a b c
  phase_end warmup "none (warm-up: events reach their owners)" a,b,c a,b,c

  phase_start join a b c
  start_node d
  sleep "$settle_s"
  phase_end join "node d joins (4 nodes)" a,b,c a,b,c,d

  phase_start drain a b c
  "$server" cluster drain d --database "$pg_url" > /dev/null
  sleep "$settle_s"
  phase_end drain "boxoffice cluster drain d (back to 3 nodes)" a,b,c,d a,b,c
  stop_node d TERM

  phase_start leave a b
  stop_node c TERM
  sleep "$settle_s"
  phase_end leave "SIGTERM c (leave; 2 nodes)" a,b,c a,b
  start_node c
  wait_active a 3
  sleep "$settle_s"

  phase_start crash a b
  stop_node c KILL
  sleep "$settle_s"
  phase_end crash "SIGKILL c (crash; 2 nodes)" a,b,c a,b
  # Commits of c wait HANG_BATCH_WAIT_MS to batch (as in the e2e hang test),
  # so that the SIGSTOP finds commits in flight whose late landing the fence
  # must refuse.
  start_node c BOXOFFICE_DATABASE_JOURNAL_BATCH_WAIT_MS="$hang_batch_wait_ms"
  wait_active a 3
  sleep "$settle_s"

  local c_pid=${pids[c]} c_fenced_before c_fenced_after
  c_fenced_before=$(curl -sf -m 5 "$(url_of c)/metrics" | awk '$1 == "boxoffice_fenced_commits_total" {print $2}')
  phase_start hang a b
  kill -STOP "$c_pid"
  sleep "$hang_s"
  kill -CONT "$c_pid"
  sleep "$settle_s"
  c_fenced_after=$(curl -sf -m 5 "$(url_of c)/metrics" | awk '$1 == "boxoffice_fenced_commits_total" {print $2}')
  phase_end hang "SIGSTOP c for $hang_s s (lease ${lease_s} s), then SIGCONT" a,b,c a,b
  record "{\"kind\":\"hang_fence\",\"c_fenced_before\":${c_fenced_before:-null},\"c_fenced_after\":${c_fenced_after:-null},\"c_log_dead\":$(grep -c 'declared dead\|rejoin' "$work/node-c.log" || true)}"
}

started=$(date -u +%Y-%m-%dT%H:%MZ)
log "work directory $work; ports from $base"
for n in 1 2 3; do throughput "$n"; done
faults
for n in "${!pids[@]}"; do stop_node "$n" TERM; done
python3 bench/cluster_report.py "$results" "$started" \
  "$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo '+local changes')" \
  "loadgens=$loadgens connections=$connections seconds=$seconds probe_events=$probe_events probe_period_ms=$probe_period_ms bg_connections=$bg_connections lease_s=$lease_s heartbeat_ms=$heartbeat_ms poll_ms=$poll_ms link_timeout_ms=$link_timeout_ms commit_idle_timeout_ms=$commit_idle_timeout_ms hang_batch_wait_ms=$hang_batch_wait_ms hang_s=$hang_s" \
  | tee "$work/report.md"
