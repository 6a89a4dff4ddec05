#!/usr/bin/env bash
# Two release binaries of boxoffice and the bare Pistache server
# (bench/bare/bare_pistache.cpp, the stack's HTTP ceiling), alternately:
# GET /v1/health, the seat map of the demo's 600-seat section, and the same
# seat map asked with If-None-Match of its ETag (304s), wrk -t1 -c64 with
# keep-alive for 5 s each, on a fresh SQLite demo database, with the
# server's default logging (a request line per request; LOG_LEVEL=warn
# leaves it out).
# For before/after comparisons of the HTTP path; every ratio printed comes
# from one round, so a noisy machine moves both sides of it.
#
# Besides requests/s, each line gives the server's CPU time per request
# (user + system, from /proc/PID/stat, in µs): what a request costs the
# server, which other load on a shared machine moves far less than it moves
# the rate (a busy machine slows wrk and the server alike, but a request
# still costs the server the same work).
# Usage: bench/http_before_after.sh BEFORE_BINARY AFTER_BINARY [BARE_BINARY] [ROUNDS]
set -u
bare=${3:-./build/release/bare_pistache}
rounds=${4:-3}
tick_us=$((1000000 / $(getconf CLK_TCK)))
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# measure URL PID -> "RATE CPU_US_PER_REQUEST"
measure() {  # URL PID [HEADER]
  local before after out requests
  before=$(cpu_ticks "$2")
  out=$(wrk -t1 -c64 -d5s -H 'Connection: keep-alive' ${3:+-H "$3"} "$1")
  after=$(cpu_ticks "$2")
  requests=$(awk '/requests in/{print $1}' <<< "$out")
  awk -v r="$(awk '/Requests\/sec/{print $2}' <<< "$out")" -v n="$requests" \
      -v t="$(( (after - before) * tick_us ))" 'BEGIN{printf "%s %.1f", r, (n > 0 ? t / n : 0)}'
}
serve() { # binary port -> pid in $pid, dir in $dir
  dir=$(mktemp -d)
  BOXOFFICE_DATABASE_URL=sqlite://$dir/b.db BOXOFFICE_HTTP_PORT=$2 BOXOFFICE_CLUSTER_LISTEN_PORT=0 \
    BOXOFFICE_LOG_LEVEL=${LOG_LEVEL:-info} "$1" serve --demo > "$dir/log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$2/v1/ready" >/dev/null && break; sleep 0.2; done
}
for round in $(seq "$rounds"); do
  "$bare" 24001 > /dev/null 2>&1 &
  bare_pid=$!
  sleep 0.5
  read -r b b_cpu <<< "$(measure http://127.0.0.1:24001/v1/health $bare_pid)"
  kill $bare_pid; wait $bare_pid 2>/dev/null
  line="round=$round load=$(cut -d' ' -f1 /proc/loadavg) bare=$b bare_cpu_us=$b_cpu"
  for side in before after; do
    [ $side = before ] && bin=$1 port=24101 || bin=$2 port=24201
    serve "$bin" $port
    read -r h h_cpu <<< "$(measure http://127.0.0.1:$port/v1/health $pid)"
    seats=http://127.0.0.1:$port/v1/events/1/sections/1/seats
    read -r s s_cpu <<< "$(measure $seats $pid)"
    etag=$(curl -sI "$seats" | tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}')
    read -r c c_cpu <<< "$(measure $seats $pid "If-None-Match: $etag")"
    kill $pid; wait $pid 2>/dev/null; rm -rf "$dir"
    eval "${side}_h=$h ${side}_s=$s ${side}_c=$c ${side}_hc=$h_cpu ${side}_sc=$s_cpu ${side}_cc=$c_cpu"
    line+=" ${side}_health=$h/${h_cpu}us ${side}_seatmap=$s/${s_cpu}us ${side}_304=$c/${c_cpu}us"
  done
  echo "$line"
  python3 -c "print(f'  after/before rate: health={$after_h/$before_h:.3f} seatmap={$after_s/$before_s:.3f} 304={$after_c/$before_c:.3f}'
      f'  cpu/request: health={$after_hc/$before_hc:.3f} seatmap={$after_sc/$before_sc:.3f} 304={$after_cc/$before_cc:.3f}'
      f'  health/bare before={$before_h/$b:.3f} after={$after_h/$b:.3f}'
      f'  seatmap/health after={$after_s/$after_h:.3f} 304/health after={$after_c/$after_h:.3f}')"
done
