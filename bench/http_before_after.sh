#!/usr/bin/env bash
# Two release binaries of boxoffice, alternately: GET /v1/health and the
# seat map of the demo's 600-seat section, wrk -t1 -c64 for 5 s each, on a
# fresh SQLite demo database. For before/after comparisons of the HTTP path.
# Usage: bench/http_before_after.sh BEFORE_BINARY AFTER_BINARY
set -u
run() { # label binary port
  local dir; dir=$(mktemp -d)
  BOXOFFICE_DATABASE_URL=sqlite://$dir/b.db BOXOFFICE_HTTP_PORT=$3 BOXOFFICE_CLUSTER_LISTEN_PORT=$(( $3 + 1 )) BOXOFFICE_LOG_LEVEL=warn "$2" serve --demo > $dir/log 2>&1 &
  local pid=$!
  for i in $(seq 50); do curl -sf http://127.0.0.1:$3/v1/ready >/dev/null && break; sleep 0.2; done
  local seats=/v1/events/1 sec=1
  curl -sf http://127.0.0.1:$3$seats/sections/$sec/seats > /dev/null || echo "no seat map"
  local h s
  h=$(wrk -t1 -c64 -d5s http://127.0.0.1:$3/v1/health | awk '/Requests\/sec/{print $2}')
  s=$(wrk -t1 -c64 -d5s http://127.0.0.1:$3$seats/sections/$sec/seats | awk '/Requests\/sec/{print $2}')
  echo "$1 health=$h seatmap=$s ratio=$(python3 -c "print(round($s/$h,3))")"
  kill $pid; wait $pid 2>/dev/null; rm -rf $dir
}
for round in 1 2; do
  run before "$1" 24101
  run after "$2" 24201
done
