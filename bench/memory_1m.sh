#!/usr/bin/env bash
# Issue 17, memory: one event of 1,000,000 reserved seats (10 sections of
# 100 rows x 1,000 seats), half of them sold (250,000 orders of 2 seats, one
# purchased hold each, 500,000 live tickets; 100,000 customers), written
# straight into the database (generate_series: the HTTP path would take
# minutes), then a fresh server recovers it on the first request. Prints the
# server's resident set before and after, its peak, and the recovery time,
# with the load average. PostgreSQL (tools/with-postgres.sh).
# Usage: bench/memory_1m.sh  (env: ROUNDS=3 BUILD_DIR=build/release KEEP=dir
#                              WRAP="heaptrack -o /tmp/x": runs the server under it;
#                              PERF=file: perf record of the server during the recovery)
# Expects boxoffice and boxoffice-loadgen already built in BUILD_DIR (bench/run.sh builds them).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${BOXOFFICE_TEST_PG_URL:-}" ] || exec tools/with-postgres.sh "$PWD/bench/memory_1m.sh" "$@"
rounds=${ROUNDS:-3}
# shellcheck source=bench/bench_server.sh
. bench/bench_server.sh
event=900001
rss_kib() { awk -v k="$1" '$1 == k ":" {print $2}' "/proc/$pid/status"; }

# The schema comes from the server's own migrations.
start_server postgresql
stop_server
started=$(date +%s.%N)
psql "$pg_url" -q -v ON_ERROR_STOP=1 -v e=$event <<'SQL'
\set t0 1800000000000
insert into events (id, title, description, venue, starts_at, max_tickets_per_customer, status)
  values (:e, 'One million seats', '', 'Bench', :t0, 100, 'on_sale');
insert into sections (event_id, id, name, kind, row_count, seats_per_row, capacity, price_cents)
  select :e, s, 'Section ' || s, 'reserved', 100, 1000, 100000, 5000 from generate_series(1, 10) s;
-- Order k of section s sells seats 4k and 4k+1: every other pair, so the
-- free seats are spread over every row.
insert into holds (event_id, section_id, id, customer_id, seats, quantity, created_at, expires_at,
                   status, ended_at)
  select :e, s, k + 1, 1 + (s * 25000 + k) % 100000, (4 * k) || ',' || (4 * k + 1), 2, :t0,
         :t0 + 600000, 'purchased', :t0
  from generate_series(1, 10) s, generate_series(0, 24999) k;
insert into orders (event_id, section_id, id, customer_id, hold_id, quantity, total_cents,
                    created_at, status)
  select :e, s, k + 1, 1 + (s * 25000 + k) % 100000, k + 1, 2, 10000, :t0, 'sold'
  from generate_series(1, 10) s, generate_series(0, 24999) k;
insert into tickets (event_id, section_id, order_id, number, seat, status)
  select :e, s, k + 1, n, 4 * k + n, 'live'
  from generate_series(1, 10) s, generate_series(0, 24999) k, generate_series(0, 1) n;
vacuum analyze events, sections, holds, orders, tickets;
SQL
echo "data written in $(echo "$(date +%s.%N) - $started" | bc) s: $(psql "$pg_url" -Atc "select count(*) from tickets") tickets, $(psql "$pg_url" -Atc "select count(*) from orders") orders"

echo "# round idle_rss_mib recovered_rss_mib peak_rss_mib recovery_s sold [load] (commit $(git rev-parse --short HEAD))"
for n in $(seq "$rounds"); do
  # Not start_server: it would drop the data.
  env BOXOFFICE_DATABASE_URL="$pg_url" BOXOFFICE_HTTP_PORT="$port" \
    BOXOFFICE_AUTH_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 \
    BOXOFFICE_RESERVATION_MAX_SECTIONS_PER_EVENT=100 \
    ${WRAP:-} "$build/boxoffice" serve >> "$work/server.log" 2>&1 &
  pid=$!
  [ -z "${WRAP:-}" ] || { sleep 2; pid=$(pgrep -n -P "$pid" || echo "$pid"); }
  base=http://127.0.0.1:$port
  for _ in $(seq 400); do curl -sf "$base/v1/ready" > /dev/null && break; sleep 0.05; done
  idle=$(rss_kib VmRSS)
  # The first request for the event loads it: the recovery.
  [ -z "${PERF:-}" ] || { perf record -F 499 -g -p "$pid" -o "$PERF.$n" > /dev/null 2>&1 & perf_pid=$!; sleep 1; }
  t=$(curl -s -o "$work/event.json" -w '%{time_total}' "$base/v1/events/$event")
  [ -z "${PERF:-}" ] || { kill -INT "$perf_pid"; wait "$perf_pid" || true; }
  sold=$(python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); print(sum(s.get("sold",0) for s in v.get("sections",[])))' "$work/event.json" 2> /dev/null || echo "?")
  sleep 1
  after=$(rss_kib VmRSS)
  peak=$(rss_kib VmHWM)
  echo "$n $((idle / 1024)) $((after / 1024)) $((peak / 1024)) $t $sold [$(load_now)]"
  stop_server
done
