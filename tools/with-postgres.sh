#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL 15 server:
#   tools/with-postgres.sh CMD ARGS...
# The server lives in a fresh temporary directory, listens only on 127.0.0.1
# on a free port below 32768 (and on a Unix socket in that directory), keeps
# fsync on, and runs as the `postgres` system user when started as root
# (postgres refuses to run as root). The command gets
#   BOXOFFICE_TEST_PG_URL=postgresql://boxoffice:<random>@127.0.0.1:<port>/boxoffice
# in its environment. The server is always stopped and the directory removed
# afterwards; the script exits with the command's exit code.
set -euo pipefail

if [ $# -eq 0 ]; then
  echo "usage: $0 CMD ARGS..." >&2
  exit 2
fi

pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/initdb" ]; then
  echo "with-postgres: $pg_bin/initdb not found; run tools/install-deps.sh" >&2
  exit 1
fi

# Root runs the server as an unprivileged user, in a directory that user can
# reach (a root-only TMPDIR would not do).
as_server=()
base=${TMPDIR:-/tmp}
if [ "$(id -u)" -eq 0 ]; then
  server_user=postgres
  if ! id "$server_user" > /dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$server_user"
  fi
  as_server=(runuser -u "$server_user" --)
  base=/tmp
fi

dir=$(mktemp -d "$base/boxoffice-pg.XXXXXX")
data=$dir/data
log=$dir/server.log

stop_server() {
  # Never let cleanup change the exit code, even under set -e.
  if [ -f "$data/postmaster.pid" ]; then
    "${as_server[@]}" "$pg_bin/pg_ctl" stop -D "$data" -m fast -s > /dev/null 2>&1 || true
  fi
  rm -rf "$dir" || true
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ${#as_server[@]} -gt 0 ]; then
  chown "$server_user": "$dir"
fi
chmod 700 "$dir"

password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
"${as_server[@]}" "$pg_bin/initdb" -D "$data" -U postgres --auth-local=trust \
  --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 > "$dir/initdb.log" 2>&1 || {
  cat "$dir/initdb.log" >&2
  exit 1
}

port_in_use() {  # port
  (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null
}

# A port that looked free can be taken before the server binds it: try again.
port=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  candidate=$((20000 + RANDOM % 12768))
  port_in_use "$candidate" && continue
  if "${as_server[@]}" "$pg_bin/pg_ctl" start -D "$data" -l "$log" -w -t 60 -s \
      -o "-c listen_addresses=127.0.0.1 -p $candidate -k '$dir' -c fsync=on" > /dev/null 2>&1; then
    port=$candidate
    break
  fi
done
if [ -z "$port" ]; then
  echo "with-postgres: the server did not start; its log:" >&2
  cat "$log" >&2 || true
  exit 1
fi

"$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres \
  -c "create role boxoffice login password '$password'" \
  -c "create database boxoffice owner boxoffice" > /dev/null

export BOXOFFICE_TEST_PG_URL="postgresql://boxoffice:$password@127.0.0.1:$port/boxoffice"
set +e
"$@"
status=$?
set -e
exit "$status"
