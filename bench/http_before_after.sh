#!/usr/bin/env bash
# Two release binaries of boxoffice and the bare Pistache server
# (bench/bare/bare_pistache.cpp, the stack's HTTP ceiling), alternately:
# GET /v1/health, and the seat map of the demo's 600-seat section, wrk
# -t1 -c64 with keep-alive for 5 s each, on a fresh SQLite demo database.
# For before/after comparisons of the HTTP path; every ratio printed comes
# from one round, so a noisy machine moves both sides of it.
# Usage: bench/http_before_after.sh BEFORE_BINARY AFTER_BINARY [BARE_BINARY] [ROUNDS]
set -u
bare=${3:-./build/release/bare_pistache}
rounds=${4:-3}
rate() { wrk -t1 -c64 -d5s -H 'Connection: keep-alive' "$1" | awk '/Requests\/sec/{print $2}'; }
serve() { # binary port -> pid in $pid, dir in $dir
  dir=$(mktemp -d)
  BOXOFFICE_DATABASE_URL=sqlite://$dir/b.db BOXOFFICE_HTTP_PORT=$2 BOXOFFICE_CLUSTER_LISTEN_PORT=0 \
    BOXOFFICE_LOG_LEVEL=warn "$1" serve --demo > "$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$2/v1/ready" >/dev/null && break; sleep 0.2; done
}
for round in $(seq "$rounds"); do
  "$bare" 24001 > /dev/null 2>&1 &
  bare_pid=$!
  sleep 0.5
  b=$(rate http://127.0.0.1:24001/v1/health)
  kill $bare_pid; wait $bare_pid 2>/dev/null
  line="round=$round bare=$b"
  for side in before after; do
    [ $side = before ] && bin=$1 port=24101 || bin=$2 port=24201
    serve "$bin" $port
    h=$(rate http://127.0.0.1:$port/v1/health)
    s=$(rate http://127.0.0.1:$port/v1/events/1/sections/1/seats)
    kill $pid; wait $pid 2>/dev/null; rm -rf "$dir"
    eval "${side}_h=$h ${side}_s=$s"
    line+=" ${side}_health=$h ${side}_seatmap=$s"
  done
  echo "$line $(python3 -c "print(f'after/before health={$after_h/$before_h:.3f} seatmap={$after_s/$before_s:.3f}  health/bare before={$before_h/$b:.3f} after={$after_h/$b:.3f}')")"
done
