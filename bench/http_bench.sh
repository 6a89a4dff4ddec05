#!/usr/bin/env bash
# The HTTP benchmark of issue 4, in one run on one server binary: wrk with
# 64 keep-alive connections on
#   1. GET /v1/health                       (the HTTP ceiling: no actor)
#   2. GET a 1,000-seat section's seat map  (directory -> event -> section)
#   3. POST best-available holds on a 100,000-seat event (100 sections x
#      1,000), each one durable (group commit) before its 201
# and prints each as a ratio to the health ceiling, with wrk's p50/p99.
# Usage: bench/http_bench.sh [sqlite|postgresql] [seconds]   (run by tools/bench.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
seconds=${2:-8}
bin=./build/release/boxoffice
work=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
base=http://127.0.0.1:$port
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if [ "$backend" = postgresql ]; then
  url=${BOXOFFICE_TEST_PG_URL:?run through tools/with-postgres.sh}
  psql "$url" -qc "drop schema public cascade; create schema public" >/dev/null
else
  url=sqlite://$work/bench.db
fi
export BOXOFFICE_DATABASE_URL=$url BOXOFFICE_HTTP_PORT=$port \
  BOXOFFICE_AUTH_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 \
  BOXOFFICE_AUTH_ADMIN_EMAIL=admin@bench.test BOXOFFICE_AUTH_ADMIN_PASSWORD=bench-admin-password \
  BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN=0 BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN=0 \
  BOXOFFICE_RESERVATION_MAX_TICKETS_PER_CUSTOMER=10000 \
  BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER=1000 BOXOFFICE_RESERVATION_MAX_SECTIONS_PER_EVENT=100
"$bin" serve > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "$base/v1/ready" >/dev/null && break; sleep 0.1; done

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
post() { curl -sf -X "$1" "$base$2" -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} -d "$4"; }
admin=$(post POST /v1/auth/login "" '{"email":"admin@bench.test","password":"bench-admin-password"}' | json '["access_token"]')
event=$(post POST /v1/events "$admin" '{"title":"Bench","starts_at":"2030-01-01T20:00:00Z"}' | json '["id"]')
for s in $(seq 100); do
  post POST "/v1/events/$event/sections" "$admin" \
    "{\"name\":\"S$s\",\"kind\":\"reserved\",\"rows\":25,\"seats_per_row\":40,\"price_cents\":5000}" >/dev/null
done
post PATCH "/v1/events/$event" "$admin" '{"status":"on_sale"}' >/dev/null
echo "return {" > "$work/tokens.lua"
for c in $(seq 64); do
  post POST /v1/auth/signup "" "{\"email\":\"c$c@bench.test\",\"password\":\"customer-password\"}" >/dev/null
  t=$(post POST /v1/auth/login "" "{\"email\":\"c$c@bench.test\",\"password\":\"customer-password\"}" | json '["access_token"]')
  echo "\"$t\"," >> "$work/tokens.lua"
done
echo "}" >> "$work/tokens.lua"

run() {  # name, wrk args...
  local name=$1; shift
  wrk -t2 -c64 -d"${seconds}s" --latency -H "Connection: keep-alive" "$@" > "$work/$name.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$work/$name.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.txt")
  echo "$name $rps $p50 $p99"
}
health=$(run health "$base/v1/health")
seats=$(run seat_map "$base/v1/events/$event/sections/1/seats")
export BOXOFFICE_BENCH_TOKENS=$work/tokens.lua BOXOFFICE_BENCH_EVENT=$event BOXOFFICE_BENCH_SECTIONS=100
holds=$(run holds -s bench/wrk/hold.lua "$base")
ceiling=$(echo "$health" | cut -d' ' -f2)
echo "backend $backend, ${seconds}s per route, wrk -t2 -c64, commit $(git rev-parse --short HEAD), load $(cut -d' ' -f1-3 /proc/loadavg)"
# Durable holds wait for fsync: at 64 connections their rate is about
# 64 / (HTTP + 1.5 commits), so say what a flush cost on this disk just now.
python3 -c "import os,time
fd=os.open('$work/fsync.probe',os.O_CREAT|os.O_WRONLY); t=[]
for _ in range(100):
  os.write(fd,b'x'*4096); s=time.perf_counter(); os.fdatasync(fd); t.append(time.perf_counter()-s)
t.sort(); print('fdatasync of 4 KiB in %s: p50 %.2f ms, p90 %.2f ms' % ('$work', t[50]*1e3, t[90]*1e3))"
printf "%-9s %12s %8s %9s %9s\n" route "req/s" ratio p50 p99
for line in "$health" "$seats" "$holds"; do
  set -- $line
  printf "%-9s %12s %8s %9s %9s\n" "$1" "$2" "$(awk "BEGIN {printf \"%.2f\", $2 / $ceiling}")" "$3" "$4"
done
grep '^status' "$work/holds.txt" | sed 's/^/holds /'
sold_or_held=$(curl -s "$base/v1/events/$event" | python3 -c 'import json,sys; e=json.load(sys.stdin); print(sum(s["held"] for s in e["sections"]))')
echo "seats held at the end: $sold_or_held"
