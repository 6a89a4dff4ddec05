# Sourced by bench/durable_holds.sh, bench/flash20k.sh and bench/memory_1m.sh
# (issue 17): starts a release server on a fresh database with the
# environment of bench/run.sh (cheap password hashing for the sign-ups only,
# no login rate limits, many holds per customer), plus whatever BENCH_ENV
# (an array of NAME=value) adds. Sourcing it sets build (BUILD_DIR), work
# (KEEP, else a temporary directory removed at exit), port, pg_url and a
# trap that stops the server; start_server sets pid, url, base.
build=${BUILD_DIR:-build/release}
pg_url=$BOXOFFICE_TEST_PG_URL
work=${KEEP:-$(mktemp -d)}
mkdir -p "$work"
port=$((20000 + RANDOM % 10000))
pid=""
BENCH_ENV=()
admin_email=admin@bench.test
admin_password=bench-admin-password

start_server() {  # backend
  if [ "$1" = postgresql ]; then
    url=$pg_url
    psql "$url" -qc "drop schema public cascade; create schema public" > /dev/null 2>&1
  else
    rm -f "$work"/bench.db*
    url=sqlite://$work/bench.db
  fi
  base=http://127.0.0.1:$port
  env BOXOFFICE_DATABASE_URL="$url" BOXOFFICE_HTTP_PORT="$port" \
    BOXOFFICE_AUTH_JWT_SECRET=bench-secret-bench-secret-bench-secret-0123 \
    BOXOFFICE_AUTH_ADMIN_EMAIL=$admin_email BOXOFFICE_AUTH_ADMIN_PASSWORD=$admin_password \
    BOXOFFICE_AUTH_ATTEMPTS_PER_ADDRESS_PER_MIN=0 BOXOFFICE_AUTH_ATTEMPTS_PER_ACCOUNT_PER_MIN=0 \
    BOXOFFICE_AUTH_PASSWORD_HASH_ITERATIONS=1 BOXOFFICE_AUTH_PASSWORD_HASH_MEMORY_KIB=8 \
    BOXOFFICE_RESERVATION_MAX_HOLDS_PER_CUSTOMER=1000 \
    BOXOFFICE_RESERVATION_MAX_SECTIONS_PER_EVENT=100 \
    "${BENCH_ENV[@]}" "$build/boxoffice" serve >> "$work/server.log" 2>&1 &
  pid=$!
  for _ in $(seq 400); do curl -sf "$base/v1/ready" > /dev/null && return; sleep 0.05; done
  echo "the server did not start; see $work/server.log" >&2
  tail -5 "$work/server.log" >&2
  exit 1
}

stop_server() {
  [ -n "${pid:-}" ] || return 0
  kill "$pid" 2> /dev/null || true
  wait "$pid" 2> /dev/null || true
  pid=""
}

# One loadgen run: prints its JSON report into $1; the rest are loadgen options.
loadgen_run() {
  local out=$1
  shift
  BOXOFFICE_LOADGEN_ADMIN_PASSWORD=$admin_password "$build/boxoffice-loadgen" --url "$base" \
    --admin-email "$admin_email" --db "$url" --json "$@" > "$out" 2> "$out.log" || true
}

# field of an operation in a loadgen report: report op field
report_field() {
  python3 -c 'import json,sys
r=json.load(open(sys.argv[1]))
v=r.get("operations",{}).get(sys.argv[2],{}).get(sys.argv[3])
print("-" if v is None else (f"{v:.2f}" if isinstance(v,float) else v))' "$@" 2> /dev/null || echo "-"
}

audit_passed() {
  python3 -c 'import json,sys; print("pass" if json.load(open(sys.argv[1]))["audit"].get("passed") else "FAIL")' "$1" 2> /dev/null || echo "no report"
}

load_now() { cut -d' ' -f1-3 /proc/loadavg; }

cleanup() { stop_server; [ -n "${KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
