#!/usr/bin/env bash
# Makes the cluster's own CA and one certificate per node for the mutual-TLS
# node links (docs/cluster.md, "Links, TLS and routing"; README "Running a
# cluster"). Every certificate this CA signs is accepted as a member's, so
# keep ca.key offline once the nodes have theirs.
#
#   tools/make-cluster-certs.sh DIR NODE_ID [NODE_ID...]
#
# Writes DIR/ca.pem and DIR/ca.key (made once, reused on later runs), and
# for each node DIR/NODE_ID.pem and DIR/NODE_ID.key: the values of
# cluster.tls_ca_file, cluster.tls_cert_file and cluster.tls_key_file.
# Environment: DAYS (node certificates, default 825), CA_DAYS (3650),
# KEY_PASSPHRASE: if set, node keys are encrypted with it (then set
# cluster.tls_key_passphrase, or BOXOFFICE_CLUSTER_TLS_KEY_PASSPHRASE).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 DIR NODE_ID [NODE_ID...]" >&2
  exit 2
fi
dir=$1
shift
mkdir -p "$dir"
umask 077

if [ ! -f "$dir/ca.key" ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/ca.key"
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days "${CA_DAYS:-3650}" \
    -subj "/CN=boxoffice cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$dir/ca.pem"
fi

for node in "$@"; do
  case "$node" in
    *[!A-Za-z0-9._-]*|"") echo "bad node id '$node'" >&2; exit 2 ;;
  esac
  openssl ecparam -name prime256v1 -genkey -noout -out "$dir/$node.raw.key"
  if [ -n "${KEY_PASSPHRASE:-}" ]; then
    openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$dir/$node.raw.key" -out "$dir/$node.key" \
      -passout env:KEY_PASSPHRASE
  else
    openssl pkcs8 -topk8 -nocrypt -in "$dir/$node.raw.key" -out "$dir/$node.key"
  fi
  openssl req -new -key "$dir/$node.raw.key" -subj "/CN=$node" -out "$dir/$node.csr"
  rm -f "$dir/$node.raw.key"
  printf '%s\n' "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyAgreement" \
    "extendedKeyUsage=serverAuth,clientAuth" "subjectAltName=DNS:$node" > "$dir/$node.ext"
  openssl x509 -req -in "$dir/$node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days "${DAYS:-825}" -sha256 -extfile "$dir/$node.ext" \
    -out "$dir/$node.pem" 2>/dev/null
  rm -f "$dir/$node.csr" "$dir/$node.ext"
  echo "$dir/$node.pem, $dir/$node.key (CA $dir/ca.pem)"
done
