#!/usr/bin/env bash
# A local three-node cluster to try: builds boxoffice (optimised), starts a
# throwaway PostgreSQL (tools/with-postgres.sh), makes the cluster's CA and
# node certificates, starts nodes a, b and c on loopback with the demo event
# and accounts, puts nginx (deploy/nginx.conf) in front of them round-robin,
# and prints the URL. Ctrl-C stops everything and removes it all.
#
#   tools/cluster.sh [PORT]     # PORT: where nginx listens, default 8080
#
# Nodes: HTTP on 8081..8083 and node links on 21001..21003, all on
# 127.0.0.1. The nodes share one token key (auth.jwt_secret), as a real
# cluster must: a token signed by one node is checked by another.
# Try: `BOXOFFICE_DATABASE_URL=… build/release/boxoffice cluster status`
# (the URL is printed), kill a node (its events move to the others within
# about cluster.lease_s), or start it again by hand with the printed line.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != "--inside" ]; then
  ./tools/install-deps.sh
  cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
  cmake --build build/release -j "$(nproc)" --target boxoffice
  exec ./tools/with-postgres.sh "$0" --inside "$@"
fi
shift
listen=${1:-8080}
binary=$PWD/build/release/boxoffice
dir=$(mktemp -d "${TMPDIR:-/tmp}/boxoffice-cluster.XXXXXX")
nodes=(a b c)
pids=()

stop_all() {
  trap - EXIT INT TERM
  [ -f "$dir/nginx.pid" ] && kill -TERM "$(cat "$dir/nginx.pid")" 2> /dev/null || true
  # SIGTERM: each node hands its events over and leaves the membership.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2> /dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2> /dev/null || true; done
  rm -rf "$dir"
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

./tools/make-cluster-certs.sh "$dir/certs" "${nodes[@]}" > /dev/null 2>&1
secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')

node_env() {  # index -> the environment of node ${nodes[index]}
  local id=${nodes[$1]}
  echo BOXOFFICE_DATABASE_URL="$BOXOFFICE_TEST_PG_URL" BOXOFFICE_AUTH_JWT_SECRET="$secret" \
    BOXOFFICE_HTTP_PORT=$((8081 + $1)) BOXOFFICE_HTTP_TRUSTED_PROXIES=127.0.0.1 \
    BOXOFFICE_CLUSTER_ENABLED=true BOXOFFICE_CLUSTER_NODE_ID="$id" \
    BOXOFFICE_CLUSTER_LISTEN_PORT=$((21001 + $1)) \
    BOXOFFICE_CLUSTER_TLS_CA_FILE="$dir/certs/ca.pem" \
    BOXOFFICE_CLUSTER_TLS_CERT_FILE="$dir/certs/$id.pem" \
    BOXOFFICE_CLUSTER_TLS_KEY_FILE="$dir/certs/$id.key"
}

wait_ready() {  # port pid
  for _ in $(seq 150); do
    curl -sf "http://127.0.0.1:$1/v1/ready" > /dev/null && return 0
    kill -0 "$2" 2> /dev/null || break
    sleep 0.2
  done
  echo "cluster: the node on port $1 did not become ready; its log:" >&2
  tail -n 30 "$dir/node-$1.log" >&2
  exit 1
}

# One after the other: the first makes the demo event, the others find it.
for i in "${!nodes[@]}"; do
  port=$((8081 + i))
  # shellcheck disable=SC2046  # node_env prints NAME=VALUE words
  env $(node_env "$i") "$binary" serve --demo > "$dir/node-$port.log" 2>&1 &
  pids+=($!)
  wait_ready "$port" "$!"
done

upstreams=""
for i in "${!nodes[@]}"; do upstreams+="server 127.0.0.1:$((8081 + i));\n    "; done
sed -e "s/@LISTEN@/127.0.0.1:$listen/" -e "s#@RUNTIME_DIR@#$dir#" \
  -e "s/server 127.0.0.1:@UPSTREAM_PORT@;/$upstreams/" deploy/nginx.conf > "$dir/nginx.conf"
nginx -c "$dir/nginx.conf" -e "$dir/nginx-error.log"
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$listen/v1/health" > /dev/null && break; sleep 0.2; done

echo
echo "boxoffice cluster: http://127.0.0.1:$listen/  (nginx, round-robin over nodes a b c)"
grep -h "demo accounts" "$dir"/node-8081.log || true
# Event ids in a cluster come from the database's claims, not from 1.
event=$(grep -ho 'demo event [0-9]*' "$dir"/node-8081.log | head -n 1 | awk '{print $3}')
echo "demo event: ${event:-?} (http://127.0.0.1:$listen/#/event/${event:-})"
echo "nodes: a http://127.0.0.1:8081  b http://127.0.0.1:8082  c http://127.0.0.1:8083; logs in $dir"
echo "status: BOXOFFICE_DATABASE_URL='$BOXOFFICE_TEST_PG_URL' $binary cluster status"
echo "Ctrl-C stops the cluster and PostgreSQL."
# A node killed by hand leaves the others running (they take its events).
wait "${pids[@]}" || true
echo "cluster: every node has exited" >&2
