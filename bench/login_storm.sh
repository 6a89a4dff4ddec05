#!/usr/bin/env bash
# Issue 17, the login storm, at the default Argon2id cost (t=2, 64 MiB):
#   1. logins/s per core: closed loop, LOGIN_CLIENTS clients logging the
#      admin in for SECONDS_PER_RUN; logins/s, and logins per CPU-second of
#      the server (user + system from /proc, the login phase alone);
#   2. hold p99 without and with 200 logins/s arriving: boxoffice-loadgen
#      spread, open loop at HOLD_RATE holds/s, alone, then again while an
#      open-loop sender (python3, STORM_RATE logins/s, each on time or
#      counted late) logs in beside it. Past auth.workers + auth.hash_queue_max
#      the logins are answered 503 auth_busy; the goal: hold p99 with the
#      storm within 1.5x of the p99 without.
# Each on a fresh SQLite server per round, with the load average beside each
# figure. bench/run.sh calls it (step login_storm).
# Usage: bench/login_storm.sh  (env: ROUNDS=1 SECONDS_PER_RUN=8 HOLD_RATE=100
#                               STORM_RATE=200 LOGIN_CLIENTS=8 CONNECTIONS=16
#                               BUILD_DIR=build/release KEEP=dir)
# Expects boxoffice and boxoffice-loadgen already built in BUILD_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BOXOFFICE_TEST_PG_URL:-}" ] || exec tools/with-postgres.sh "$PWD/bench/login_storm.sh" "$@"
rounds=${ROUNDS:-1}
seconds=${SECONDS_PER_RUN:-8}
hold_rate=${HOLD_RATE:-100}
storm_rate=${STORM_RATE:-200}
login_clients=${LOGIN_CLIENTS:-8}
connections=${CONNECTIONS:-16}
# shellcheck source=bench/bench_server.sh
. bench/bench_server.sh
# The default cost: later assignments win over bench_server.sh's cheap ones.
default_cost=(BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS=2 BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB=65536)
storm_email=storm@bench.test
storm_password=storm-password-bench
# The stored hash says its own cost (verifying reads it from the hash): the
# storm's account gets a hash made at the default cost, while the servers of
# the hold runs keep bench_server.sh's cheap cost for the loadgen's sign-ups.
signup_storm_account() {
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d "{\"email\":\"$storm_email\",\"password\":\"$storm_password\"}" "$base/v1/auth/signup"
}
storm_hash() {  # the SQLite database: prints the storm account's hash
  python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select password_hash from accounts where email = ?", (sys.argv[2],)).fetchone()[0])' "$work/bench.db" "$storm_email"
}
set_storm_hash() {  # hash
  python3 -c 'import sqlite3,sys
c=sqlite3.connect(sys.argv[1], timeout=10); c.execute("update accounts set password_hash = ? where email = ?", (sys.argv[3], sys.argv[2])); c.commit()' "$work/bench.db" "$storm_email" "$1"
}

server_cpu_ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# Sends logins: open loop at rate/s (mode open) for `seconds`, or closed
# loop with `clients` threads (mode closed). Prints one JSON line.
login_sender() {  # mode rate_or_clients seconds
  python3 - "$base" "$storm_email" "$storm_password" "$@" <<'PY'
import http.client, json, sys, threading, time
from urllib.parse import urlparse
base, email, password, mode, n, seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
u = urlparse(base)
body = json.dumps({"email": email, "password": password})
lock = threading.Lock()
counts = {"sent": 0, "ok": 0, "busy": 0, "busy_with_retry_after": 0, "other": 0, "late": 0}
lat_ok = []
def one(conn):
    t0 = time.perf_counter()
    conn.request("POST", "/v1/auth/login", body, {"Content-Type": "application/json"})
    r = conn.getresponse(); data = r.read()
    dt = time.perf_counter() - t0
    with lock:
        counts["sent"] += 1
        if r.status == 200:
            counts["ok"] += 1; lat_ok.append(dt)
        elif r.status == 503 and json.loads(data).get("code") == "auth_busy":
            counts["busy"] += 1
            if r.getheader("Retry-After"):
                counts["busy_with_retry_after"] += 1
        else:
            counts["other"] += 1
start = time.perf_counter(); end = start + seconds
# Open loop: 64 senders share the schedule; a send is late when its sender
# was still waiting for an earlier answer past its intended time.
threads = 64 if mode == "open" else n
def worker(i):
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    k = 0
    while True:
        if mode == "open":
            at = start + (i + k * threads) / n
            if at >= end: break
            now = time.perf_counter()
            if at > now: time.sleep(at - now)
            elif now - at > 0.05:
                with lock: counts["late"] += 1
        elif time.perf_counter() >= end:
            break
        k += 1
        try: one(conn)
        except Exception:
            with lock: counts["other"] += 1
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
elapsed = time.perf_counter() - start
lat_ok.sort()
out = dict(counts, elapsed_s=round(elapsed, 2), ok_per_s=round(counts["ok"] / elapsed, 1),
           sent_per_s=round(counts["sent"] / elapsed, 1),
           ok_p99_ms=round(1000 * lat_ok[int(len(lat_ok) * 0.99)], 1) if lat_ok else None)
print(json.dumps(out))
PY
}

hold_p99() {  # report: p99 and successes/s of its holds
  echo "hold_p99_ms=$(report_field "$1" hold latency_ms_p99) holds_per_s=$(report_field "$1" hold successes_per_s) audit=$(audit_passed "$1")"
}

echo "login storm: default Argon2id cost (t=2, m=64 MiB), $(nproc) cores, ${seconds}s per run"
for r in $(seq "$rounds"); do
  BENCH_ENV=("${default_cost[@]}")
  start_server sqlite
  signup_storm_account
  default_hash=$(storm_hash)
  hz=$(getconf CLK_TCK)
  before=$(server_cpu_ticks)
  closed=$(login_sender closed "$login_clients" "$seconds")
  after=$(server_cpu_ticks)
  python3 - "$closed" "$before" "$after" "$hz" "$r" "$login_clients" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
cpu = (float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[4])
per_core = r["ok"] / cpu if cpu else None
print("record " + json.dumps({"kind": "login_rate", "run": int(sys.argv[5]),
                              "logins_per_s": r["ok_per_s"],
                              "logins_per_cpu_s": round(per_core, 1) if per_core else None,
                              "busy": r["busy"]}))
print(f"round {sys.argv[5]} logins, closed loop, {sys.argv[6]} clients: {r['ok_per_s']} logins/s; "
      f"server cpu {cpu:.1f} s in {r['elapsed_s']} s: {per_core or 0:.1f} logins per cpu-second "
      f"(per core); 503 auth_busy {r['busy']}, other {r['other']}, login p99 {r['ok_p99_ms']} ms")
PY
  echo "  [load $(load_now)] $closed"
  stop_server

  BENCH_ENV=()
  start_server sqlite
  signup_storm_account
  set_storm_hash "$default_hash"
  f=$work/holds-alone-$r.json
  loadgen_run "$f" --scenario spread --connections "$connections" --threads 2 \
    --duration-s "$seconds" --rate "$hold_rate"
  alone=$(report_field "$f" hold latency_ms_p99)
  echo "round $r holds alone at $hold_rate/s: $(hold_p99 "$f") [load $(load_now)]"
  stop_server

  BENCH_ENV=()
  start_server sqlite
  signup_storm_account
  set_storm_hash "$default_hash"
  f=$work/holds-storm-$r.json
  # The storm starts once the loadgen's setup (its sign-ups, which the
  # storm would crowd out) is done, and lasts as long as its run.
  loadgen_run "$f" --scenario spread --connections "$connections" --threads 2 \
    --duration-s "$seconds" --rate "$hold_rate" &
  gen=$!
  for _ in $(seq 1200); do grep -q "; running" "$f.log" 2> /dev/null && break; sleep 0.05; done
  login_sender open "$storm_rate" "$seconds" > "$work/storm-$r.json"
  wait "$gen" || true
  stormy=$(report_field "$f" hold latency_ms_p99)
  echo "round $r holds at $hold_rate/s with $storm_rate logins/s: $(hold_p99 "$f") [load $(load_now)]"
  echo "  logins: $(cat "$work/storm-$r.json")"
  python3 - "$alone" "$stormy" "$r" <<'PY'
import json, sys
a, b, n = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    ratio = float(b) / float(a)
except (ValueError, ZeroDivisionError):
    print(f"round {n} hold p99 with/without the storm: not measured ({a}, {b})")
else:
    print("record " + json.dumps({"kind": "login_storm", "run": int(n), "hold_p99_ms_alone": float(a),
                                  "hold_p99_ms_storm": float(b), "ratio": round(ratio, 3)}))
    print(f"round {n} hold p99 with/without the storm: {ratio:.2f}x (goal <= 1.5x): "
          f"{'PASS' if ratio <= 1.5 else 'MISS'}")
PY
  stop_server
done
uptime
