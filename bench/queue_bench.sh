#!/usr/bin/env bash
# The waiting room's benchmarks of issue 15, in one run on one server
# (build/release/boxoffice, RelWithDebInfo):
#   1. durable joins: wrk, 64 keep-alive connections, each join a new
#      customer (access tokens minted with the server's secret by
#      bench/queue/mint_tokens.py: login is not what is measured), every
#      201 committed before it is sent; the rows are counted afterwards;
#   2. one event's line grown to 1,000,000 waiters: the server's RSS;
#   3. status polls (GET /v1/queue/<entry>) on that line: wrk, 64 connections;
#   4. 10,000 event streams on another event (bench/queue/sse_fanout.py):
#      memory per stream, broadcasts (one more shopper let in moves every
#      waiter up), the polls' p99 meanwhile against their baseline, and the
#      streams held open for SSE_HOLD_S.
# Every figure is printed beside `uptime` (the machine is shared).
# Usage: bench/queue_bench.sh [sqlite|postgresql] [join_seconds] [sse_hold_s] [waiters]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
seconds=${2:-30}
hold=${3:-300}
waiters=${4:-1000000}
streams=${STREAMS:-10000}
bin=./build/release/boxoffice
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
base=http://127.0.0.1:$port
secret=queue-bench-secret-queue-bench-secret-0123
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
say() { echo "$*   [$(uptime | sed 's/.*load average/load average/')]"; }

if [ "$backend" = postgresql ]; then
  url=${BOXOFFICE_TEST_PG_URL:?run through tools/with-postgres.sh}
  psql "$url" -qc "drop schema public cascade; create schema public" >/dev/null
else
  url=sqlite://$work/bench.db
fi
ulimit -n 20000
export BOXOFFICE_DATABASE_URL=$url BOXOFFICE_HTTP_PORT=$port BOXOFFICE_AUTH_JWT_SECRET=$secret \
  BOXOFFICE_AUTH_ADMIN_EMAIL=admin@bench.test BOXOFFICE_AUTH_ADMIN_PASSWORD=bench-admin-password \
  BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN=0 BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN=0 \
  BOXOFFICE_WAITING_ROOM_QUEUE_LENGTH_MAX=2000000 BOXOFFICE_WAITING_ROOM_ABANDON_AFTER_S=86400 \
  BOXOFFICE_HTTP_QUEUE_STREAMS_MAX=$((streams + 1000))
"$bin" serve > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "$base/v1/ready" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$pid/status"; }

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -sf -X "$1" "$base$2" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$4"; }
admin=$(post POST /v1/auth/login "" '{"email":"admin@bench.test","password":"bench-admin-password"}' | json '["access_token"]')
new_event() {  # title, room settings (JSON)
  local e
  e=$(post POST /v1/events "$admin" "{\"title\":\"$1\",\"starts_at\":\"2030-01-01T20:00:00Z\"}" | json '["id"]')
  post POST "/v1/events/$e/sections" "$admin" \
    '{"name":"Floor","kind":"general","capacity":5000,"price_cents":5000}' >/dev/null
  post PATCH "/v1/events/$e" "$admin" '{"status":"on_sale"}' >/dev/null
  post PATCH "/v1/events/$e/queue" "$admin" "$2" >/dev/null
  echo "$e"
}
joins() {  # event, first customer, count, seconds, ids to keep, ids file -> wrk output
  python3 bench/queue/mint_tokens.py "$secret" "$2" "$3" > "$work/tokens.txt"
  EVENT=$1 TOKENS=$work/tokens.txt WRK_THREADS=2 KEEP=$5 ENTRIES_OUT=$6 \
    wrk -t2 -c64 -d"$4s" --latency -H "Connection: keep-alive" -s bench/queue/join.lua "$base"
}
figure() {  # wrk output file -> "rate, p50, p99"
  awk '/Requests\/sec/ {r=$2} $1 == "50%" {p50=$2} $1 == "99%" {p99=$2}
       END {printf "%s requests/s, p50 %s, p99 %s", r, p50, p99}' "$1"
}
stored() {  # event -> rows in queue_entries
  if [ "$backend" = postgresql ]; then
    psql "$url" -tAc "select count(*) from queue_entries where event_id = $1"
  else
    python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from queue_entries where event_id = ' + sys.argv[2]).fetchone()[0])" "$work/bench.db" "$1"
  fi
}

say "server $bin on $backend, RSS $(rss) after start"
line=$(new_event "Line" '{"mode":"queue","paused":true,"rate_per_s":100,"active_max":100,"queue_length_max":1000000}')

# 1. Durable joins.
: > "$work/poll_ids.txt"
joins "$line" 1 $((seconds * 16000)) "$seconds" 2000 "$work/poll_ids.txt" > "$work/join.txt"
created=$(awk '/^joins:/ {gsub(",", ""); print $3}' "$work/join.txt")
say "joins: $(grep '^joins:' "$work/join.txt"); $(figure "$work/join.txt") (wrk, all requests)"
say "joins: $((created / seconds)) durable joins/s over ${seconds} s, 64 connections; rows stored $(stored "$line") (>= $created acknowledged)"
say "server RSS $(rss) with $created waiters"

# 2. The line grown to $waiters.
left=$((waiters - created))
if [ "$left" -gt 0 ]; then
  rate=$((created / seconds + 1))
  joins "$line" $((seconds * 16000 + 1)) "$left" $(( left * 13 / 10 / rate + 10 )) 0 /dev/null > "$work/fill.txt"
  say "fill: $(grep '^joins:' "$work/fill.txt")"
fi
depth=$(curl -sf "$base/v1/events/$line/queue" -H "Authorization: Bearer $admin" | json '["waiting"]')
say "line: $depth waiting in one event; server RSS $(rss); rows stored $(stored "$line")"

# 3. Status polls on that line.
ENTRIES=$work/poll_ids.txt wrk -t2 -c64 -d15s --latency -s bench/queue/poll.lua "$base" > "$work/poll.txt"
say "polls: $(figure "$work/poll.txt") (GET /v1/queue/<entry>, $depth in line, 64 connections)"

# 4. Event streams: five shoppers ahead (the broadcasts let them in), then the streamed waiters.
fan=$(new_event "Streams" '{"mode":"queue","paused":true,"rate_per_s":1000,"active_max":1,"queue_length_max":100000}')
joins "$fan" 5000001 5 3 5 "$work/heads.txt" > /dev/null
: > "$work/stream_ids.txt"
joins "$fan" 5000101 "$streams" 10 "$streams" "$work/stream_ids.txt" > /dev/null
say "streams: $(wc -l < "$work/stream_ids.txt") waiters to stream behind $(wc -l < "$work/heads.txt") shoppers"
python3 bench/queue/sse_fanout.py "$port" "$pid" "$fan" "$admin" "$work/stream_ids.txt" 5 \
  "$work/poll_ids.txt" "$hold" | while IFS= read -r l; do say "sse: $l"; done
say "server RSS $(rss) at the end"
